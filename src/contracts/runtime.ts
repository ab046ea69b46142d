import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { GuardstreamConfig } from '../config/index.ts';
import { builtInDetectors } from '../detectors/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import { GuardEngine } from '../guard/index.ts';
import type { DetectorBindings } from '../guard/index.ts';
import { TopicAdmin } from '../kafka/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { Keyring } from './crypto.ts';
import { defaultEvaluationThreads } from './pool.ts';
import { ContractProcessor } from './processor.ts';

export interface RunningContracts {
  processors: readonly ContractProcessor[];
  /**
   * Puts another guard policy in force for every processor (see `ContractProcessor.usePolicy`);
   * returns the engines it replaced, for the caller to close.
   */
  applyPolicy(engine: GuardEngine): GuardEngine[];
  /** Stops every processor after its current batch; resolves when all have ended. */
  stop(): Promise<void>;
}

export interface StartContractsOptions {
  metrics?: Metrics;
  /** Only these contracts (default: all configured). */
  names?: readonly string[];
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  onError?: (contract: string, error: GuardstreamError) => void;
  /** Shares bound detectors (loaded models) with the process's other components. */
  bindings?: DetectorBindings;
}

/** Starts one processor per configured contract, sharing one guard engine and keyring. */
export async function startContracts(
  config: GuardstreamConfig,
  connection: KafkaConnection,
  options: StartContractsOptions = {},
): Promise<RunningContracts> {
  const env = options.env ?? {};
  const selected =
    options.names === undefined || options.names.length === 0
      ? config.contracts
      : options.names.map((name) => {
          const contract = config.contracts.find((candidate) => candidate.name === name);
          if (contract === undefined) {
            throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
              message: `No contract named ${name} (configured: ${config.contracts.map((c) => c.name).join(', ') || 'none'})`,
            });
          }
          return contract;
        });
  const keyring = Keyring.fromEnv(env);
  if (config.processor.keyringFile !== undefined) {
    const fromFile = Keyring.fromFile(resolve(options.cwd ?? '.', config.processor.keyringFile));
    keyring.merge(fromFile);
  }
  if (config.processor.createTopics && selected.length > 0) {
    const admin = new TopicAdmin(connection);
    try {
      await admin.ensureTopics(
        [...new Set(selected.flatMap((c) => [c.source, c.target, c.dlq]))].map((name) => ({
          name,
        })),
      );
    } finally {
      await admin.close();
    }
  }
  // A model that does not load stops the start here, not the first record.
  const guard = await GuardEngine.start(config.guard, builtInDetectors(), options.bindings);
  const instanceId = config.processor.instanceId ?? hostname().replace(/[^A-Za-z0-9._-]/g, '_');
  const processors = selected.map(
    (contract) =>
      new ContractProcessor(connection, contract, {
        guard,
        keyring,
        instanceId,
        evaluationThreads: config.processor.evaluationThreads ?? defaultEvaluationThreads(),
        hashSalt: env.GUARDSTREAM_HASH_SALT ?? '',
        ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
        onError: (error) => options.onError?.(contract.name, error),
      }),
  );
  const runs = processors.map((processor) => processor.run());
  return {
    processors,
    applyPolicy(engine) {
      return processors.flatMap((processor) => processor.usePolicy(engine) ?? []);
    },
    stop: async () => {
      await Promise.all(processors.map((processor) => processor.stop()));
      await Promise.allSettled(runs);
    },
  };
}
