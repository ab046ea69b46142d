/**
 * Evaluation thread of a contract processor: compiles the contract once and judges batches of
 * raw records sent by the processor's EvaluationPool. Nothing here touches Kafka.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { builtInDetectors } from '../detectors/index.ts';
import { GuardEngine } from '../guard/index.ts';
import { Keyring } from './crypto.ts';
import { compileContract } from './evaluate.ts';
import type { GuardPolicy } from '../guard/index.ts';
import type {
  PoolOutcome,
  PoolPolicyUpdate,
  PoolRequest,
  PoolResponse,
  PoolSetup,
} from './pool.ts';

const setup = workerData as PoolSetup;
const keyring = new Keyring();
for (const [id, key] of setup.keys) keyring.add(id, key);
let engine: GuardEngine | undefined;
const compile = (guardPolicy: GuardPolicy | undefined): ReturnType<typeof compileContract> => {
  // This thread handles one message at a time: the old engine is idle once replaced.
  engine?.close();
  engine = guardPolicy === undefined ? undefined : new GuardEngine(guardPolicy, builtInDetectors());
  return compileContract(setup.contract, {
    ...(engine === undefined ? {} : { guard: engine }),
    hashSalt: setup.hashSalt,
    keyring,
  });
};
let evaluate = compile(setup.guardPolicy);

parentPort?.on('message', (message: PoolRequest | PoolPolicyUpdate) => {
  if ('guardPolicy' in message) {
    // A contract without the guard scan stays without it.
    if (setup.guardPolicy !== undefined) evaluate = compile(message.guardPolicy);
    return;
  }
  const request = message;
  let response: PoolResponse;
  try {
    const outcomes = request.records.map((record): PoolOutcome => {
      const outcome = evaluate({
        key: record.key,
        value:
          record.value === null
            ? null
            : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength),
        headers: record.headers,
      });
      if (!outcome.ok) return outcome;
      return {
        ok: true,
        json: outcome.value === null ? null : JSON.stringify(outcome.value),
        ...(outcome.schemaId === undefined ? {} : { schemaId: outcome.schemaId }),
      };
    });
    response = { id: request.id, outcomes };
  } catch (error) {
    response = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(response);
});
