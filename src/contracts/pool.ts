import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { GuardstreamError } from '../errors/index.ts';
import { spawnModuleWorker } from '../threads/index.ts';
import type { GuardPolicy } from '../guard/index.ts';
import type { ContractOutcome, RawRecord } from './evaluate.ts';
import type { Contract } from './schema.ts';

/** What every evaluation thread is built from: plain data, copied into the thread once. */
export interface PoolSetup {
  contract: Contract;
  guardPolicy: GuardPolicy | undefined;
  hashSalt: string;
  /** Key id → base64 key, for encrypt transforms. */
  keys: [string, string][];
}

export interface PoolRequest {
  id: number;
  records: { key: string | null; value: Uint8Array | null; headers: Record<string, string> }[];
}

/** Replaces the thread's guard policy for the batches sent after it. */
export interface PoolPolicyUpdate {
  guardPolicy: GuardPolicy;
}

/** A passing record comes back already serialised, so the processor forwards bytes. */
export type PoolOutcome =
  Exclude<ContractOutcome, { ok: true }> | { ok: true; json: string | null; schemaId?: number };

export type PoolResponse = { id: number; outcomes: PoolOutcome[] } | { id: number; error: string };

/** Threads that leave a core for the processor's own Kafka I/O (and a local broker). */
export function defaultEvaluationThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

function spawnWorker(setup: PoolSetup): Worker {
  return spawnModuleWorker(import.meta.url, 'worker', setup);
}

/**
 * Contract evaluation on worker threads, so JSON parsing, schema, CEL and the guard scan run
 * beside the thread that does Kafka I/O. A batch is split into one slice per thread and the
 * outcomes come back in record order.
 */
export class EvaluationPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<
    number,
    { resolve: (outcomes: PoolOutcome[]) => void; reject: (error: Error) => void }
  >();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(setup: PoolSetup, threads: number) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      const worker = spawnWorker(setup);
      worker.on('message', (response: PoolResponse) => {
        const waiter = this.pending.get(response.id);
        if (waiter === undefined) return;
        this.pending.delete(response.id);
        if ('error' in response) {
          waiter.reject(
            new GuardstreamError('GS_ERR_INTERNAL', {
              message: `Contract evaluation failed: ${response.error}`,
            }),
          );
        } else {
          waiter.resolve(response.outcomes);
        }
      });
      worker.on('error', (error) => {
        this.fail(error);
      });
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`evaluation thread exited with code ${String(code)}`));
      });
      return worker;
    });
  }

  private fail(cause: Error): void {
    this.failure ??= new GuardstreamError('GS_ERR_INTERNAL', {
      message: `Contract evaluation thread failed: ${cause.message}`,
      cause,
    });
    for (const waiter of this.pending.values()) waiter.reject(this.failure);
    this.pending.clear();
  }

  async evaluate(records: readonly RawRecord[]): Promise<PoolOutcome[]> {
    if (this.failure !== undefined) throw this.failure;
    const slice = Math.ceil(records.length / this.workers.length);
    const parts = this.workers
      .map((worker, index) => ({ worker, part: records.slice(index * slice, (index + 1) * slice) }))
      .filter(({ part }) => part.length > 0)
      .map(
        ({ worker, part }) =>
          new Promise<PoolOutcome[]>((resolve, reject) => {
            const id = this.nextId++;
            this.pending.set(id, { resolve, reject });
            const request: PoolRequest = {
              id,
              records: part.map((record) => ({
                key: record.key,
                value: record.value,
                headers: { ...record.headers },
              })),
            };
            worker.postMessage(request);
          }),
      );
    return (await Promise.all(parts)).flat();
  }

  /** Threads handle messages in order: batches already sent finish under the old policy. */
  updatePolicy(guardPolicy: GuardPolicy): void {
    const update: PoolPolicyUpdate = { guardPolicy };
    for (const worker of this.workers) worker.postMessage(update);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
