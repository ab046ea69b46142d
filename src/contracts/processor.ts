import { setTimeout as sleep } from 'node:timers/promises';
import { GuardstreamError, isGuardstreamError } from '../errors/index.ts';
import type { GuardEngine } from '../guard/index.ts';
import { JsonConsumer, JsonProducer, TransactionalProducer } from '../kafka/index.ts';
import type {
  IncomingRecord,
  KafkaConnection,
  OutgoingRecord,
  RecordHeaders,
} from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { Keyring } from './crypto.ts';
import { compileContract } from './evaluate.ts';
import type { ContractOutcome } from './evaluate.ts';
import { EvaluationPool } from './pool.ts';
import type { PoolOutcome } from './pool.ts';
import type { Contract } from './schema.ts';

/**
 * Batches being evaluated or delivered at once when evaluation runs on threads: one being
 * delivered and two being evaluated keep the threads busy across Kafka round trips (inline
 * evaluation keeps two: one delivered while the next is evaluated).
 */
const BATCHES_IN_FLIGHT = 3;

/** DLQ headers, after Kafka Connect's `__connect.errors.*` convention. */
export const DLQ_HEADER_PREFIX = '__guardstream.error.';
/** Lineage headers on target records: where each one came from. */
export const SOURCE_HEADER_PREFIX = '__guardstream.source.';

export interface ContractCounters {
  in: number;
  out: number;
  dlq: number;
  /** Reconnections after a Kafka error; each replays from the last committed offsets. */
  restarts: number;
}

export interface ProcessorOptions {
  guard?: GuardEngine;
  hashSalt?: string;
  keyring?: Keyring;
  groupId?: string;
  metrics?: Metrics;
  /**
   * Distinguishes replicas of one contract: exactly-once mode derives the transactional id from
   * it, and a restarted replica must reuse its id to fence its own predecessor.
   */
  instanceId?: string;
  /** Records evaluated, produced and committed together. */
  maxBatchRecords?: number;
  /** How often lag is measured against the source's log-end offsets. */
  lagIntervalMs?: number;
  /**
   * Worker threads that evaluate records (0: on the Kafka thread). Threads use the built-in
   * detectors with the guard engine's policy; a custom detector registry needs 0.
   */
  evaluationThreads?: number;
  /** Told about each Kafka error the processor recovers from. */
  onError?: (error: GuardstreamError) => void;
}

function dlqHeaders(
  contract: Contract,
  record: IncomingRecord<unknown>,
  outcome: Exclude<ContractOutcome, { ok: true }>,
): RecordHeaders {
  const headers: RecordHeaders = {
    ...record.headers,
    [`${DLQ_HEADER_PREFIX}contract`]: contract.name,
    [`${DLQ_HEADER_PREFIX}reason`]: `${outcome.kind}: ${outcome.reason}`,
    [`${DLQ_HEADER_PREFIX}topic`]: record.topic,
    [`${DLQ_HEADER_PREFIX}partition`]: String(record.partition),
    [`${DLQ_HEADER_PREFIX}offset`]: record.offset.toString(),
    [`${DLQ_HEADER_PREFIX}timestamp`]: record.timestamp.toString(),
  };
  if (outcome.rule !== undefined) headers[`${DLQ_HEADER_PREFIX}rule`] = outcome.rule;
  if (outcome.detector !== undefined) headers[`${DLQ_HEADER_PREFIX}detector`] = outcome.detector;
  return headers;
}

interface Session {
  consumer: JsonConsumer;
  deliver: (
    outgoing: readonly OutgoingRecord<unknown>[],
    consumed: readonly IncomingRecord<unknown>[],
  ) => Promise<void>;
  close: () => Promise<void>;
}

/** Resolves `promise`, or gives up waiting after `ms` (closing against a dead broker can hang). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * One contract's consumer-group member. Every record of the source topic ends in the target or
 * the DLQ; a bad record is routed, never retried. Records are handled in fetched batches: the
 * batch's output is produced, then its offsets are committed — after the produce is acknowledged
 * (at-least-once: a crash replays, never skips), or inside the same Kafka transaction
 * (`delivery: exactly-once`). A Kafka error closes the session and resumes from the committed
 * offsets, so an unacknowledged batch is never skipped by a later commit.
 */
/** A clean value's bytes, in the Confluent wire format when its source record was. */
function framed(json: string, schemaId: number | undefined): Buffer {
  const body = Buffer.from(json);
  if (schemaId === undefined) return body;
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

export class ContractProcessor {
  readonly counters: ContractCounters = { in: 0, out: 0, dlq: 0, restarts: 0 };
  private evaluate: ReturnType<typeof compileContract>;
  private guard: GuardEngine | undefined;
  private readonly groupId: string;
  private readonly positions = new Map<number, bigint>();
  private session: Session | undefined;
  private stopped = false;
  private readonly stopSignal = new AbortController();
  private pool: EvaluationPool | undefined;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly contract: Contract,
    private readonly options: ProcessorOptions = {},
  ) {
    this.guard = options.guard;
    this.evaluate = this.compile();
    this.groupId = options.groupId ?? `guardstream-contract-${contract.name}`;
  }

  private compile(): ReturnType<typeof compileContract> {
    return compileContract(this.contract, {
      ...(this.guard === undefined ? {} : { guard: this.guard }),
      ...(this.options.hashSalt === undefined ? {} : { hashSalt: this.options.hashSalt }),
      ...(this.options.keyring === undefined ? {} : { keyring: this.options.keyring }),
    });
  }

  get name(): string {
    return this.contract.name;
  }

  /**
   * Judges the batches evaluated from now on with another guard policy (the policy topic's
   * follower calls it); batches already being evaluated finish under the old one. A processor
   * started without a guard engine keeps none.
   */
  /** Returns the engine it replaced (if any), for the caller to close. */
  usePolicy(guard: GuardEngine): GuardEngine | undefined {
    const replaced = this.guard;
    if (replaced === undefined) return undefined;
    this.guard = guard;
    this.evaluate = this.compile();
    this.pool?.updatePolicy(guard.policy);
    return replaced;
  }

  /** Processes until `stop()`, reconnecting after Kafka errors; resolves when stopped. */
  async run(): Promise<void> {
    const lagTimer = setInterval(() => {
      void this.measureLag();
    }, this.options.lagIntervalMs ?? 5_000);
    lagTimer.unref();
    const threads = this.options.evaluationThreads ?? 0;
    if (threads > 0) {
      this.pool = new EvaluationPool(
        {
          contract: this.contract,
          guardPolicy: this.guard?.policy,
          hashSalt: this.options.hashSalt ?? '',
          keys: this.options.keyring?.entriesForThreads() ?? [],
        },
        threads,
      );
    }
    let backoffMs = 250;
    try {
      while (!this.stopped) {
        try {
          await this.runSession(() => {
            backoffMs = 250;
          });
        } catch (error) {
          if (this.isStopped()) break;
          const mapped = isGuardstreamError(error)
            ? error
            : new GuardstreamError('GS_ERR_INTERNAL', {
                message: `Contract ${this.contract.name} failed: ${String(error)}`,
                cause: error,
              });
          this.counters.restarts += 1;
          this.options.metrics?.contracts.restarts.inc({ contract: this.contract.name });
          this.options.onError?.(mapped);
          await this.closeSession();
          await sleep(backoffMs, undefined, { signal: this.stopSignal.signal }).catch(
            () => undefined,
          );
          backoffMs = Math.min(backoffMs * 2, 5_000);
        }
      }
    } finally {
      clearInterval(lagTimer);
      await this.closeSession();
      await this.pool?.close();
      this.pool = undefined;
    }
  }

  /** A method, not the field, so a check after an await is not narrowed away. */
  private isStopped(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    await this.closeSession();
  }

  private openSession(): Session {
    const consumer = new JsonConsumer(this.connection, {
      groupId: this.groupId,
      startFrom: 'earliest',
      bufferedRecords: Math.max(
        1024,
        (this.options.maxBatchRecords ?? this.contract.batchRecords) * 2,
      ),
    });
    if (this.contract.delivery === 'exactly-once') {
      const producer = new TransactionalProducer(
        this.connection,
        `${this.groupId}-${this.options.instanceId ?? 'default'}`,
      );
      return {
        consumer,
        deliver: (outgoing, consumed) => producer.sendWithOffsets(outgoing, consumer, consumed),
        close: async () => {
          await within(consumer.close(), 5_000);
          await within(producer.close(), 5_000);
        },
      };
    }
    const producer = new JsonProducer(this.connection);
    return {
      consumer,
      deliver: async (outgoing, consumed) => {
        if (outgoing.length > 0) await producer.send(outgoing);
        await consumer.commit(consumed);
      },
      close: async () => {
        await within(consumer.close(), 5_000);
        await within(producer.close(), 5_000);
      },
    };
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) await session.close();
  }

  private async runSession(onProgress: () => void): Promise<void> {
    const session = this.openSession();
    this.session = session;
    // Batches move through a short pipeline: while one is delivered (produce, commit), the next
    // ones are already being evaluated, so the evaluation threads never wait for Kafka round
    // trips. Each batch's delivery waits for the previous one, so deliveries (and commits) stay
    // strictly in order, and a failed delivery fails every later one before its commit could
    // cover the lost batch.
    const depth = this.pool === undefined ? 2 : BATCHES_IN_FLIGHT;
    const inFlight: Promise<void>[] = [];
    let delivering: Promise<void> = Promise.resolve();
    for await (const batch of session.consumer.batches(
      [this.contract.source],
      this.options.maxBatchRecords ?? this.contract.batchRecords,
    )) {
      if (this.isStopped()) break;
      const startedAt = performance.now();
      const judged = this.judge(batch);
      const previous = delivering;
      delivering = (async () => {
        const outcomes = await judged;
        const { outgoing, out, rejected } = this.route(batch, outcomes);
        await previous;
        await session.deliver(outgoing, batch);
        onProgress();
        this.account(batch, out, rejected, startedAt);
      })();
      // Keeps a rejection from being reported as unhandled before an await observes it.
      delivering.catch(() => undefined);
      inFlight.push(delivering);
      if (inFlight.length >= depth) await inFlight.shift();
    }
    await delivering;
  }

  /** The records a judged batch sends to the target and to the DLQ, in record order. */
  private route(
    batch: readonly IncomingRecord<unknown>[],
    outcomes: readonly PoolOutcome[],
  ): { outgoing: OutgoingRecord<unknown>[]; out: number; rejected: Map<string, number> } {
    const outgoing: OutgoingRecord<unknown>[] = [];
    let out = 0;
    const rejected = new Map<string, number>();
    batch.forEach((record, index) => {
      const outcome = outcomes[index];
      if (outcome === undefined) {
        throw new GuardstreamError('GS_ERR_INTERNAL', { message: 'missing contract outcome' });
      }
      if (outcome.ok) {
        out += 1;
        outgoing.push({
          topic: this.contract.target,
          key: record.key,
          value: null,
          ...(outcome.json === null ? {} : { rawValue: framed(outcome.json, outcome.schemaId) }),
          headers: {
            ...record.headers,
            '__guardstream.contract': this.contract.name,
            [`${SOURCE_HEADER_PREFIX}topic`]: record.topic,
            [`${SOURCE_HEADER_PREFIX}partition`]: String(record.partition),
            [`${SOURCE_HEADER_PREFIX}offset`]: record.offset.toString(),
          },
        });
      } else {
        rejected.set(outcome.kind, (rejected.get(outcome.kind) ?? 0) + 1);
        outgoing.push({
          topic: this.contract.dlq,
          key: record.key,
          value: null,
          ...(record.rawValue === null ? {} : { rawValue: record.rawValue }),
          headers: dlqHeaders(this.contract, record, outcome),
        });
      }
    });
    return { outgoing, out, rejected };
  }

  /** Outcomes in record order, from the evaluation threads or inline. */
  private async judge(batch: readonly IncomingRecord<unknown>[]): Promise<PoolOutcome[]> {
    const raw = batch.map((record) => ({
      key: record.key,
      value: record.rawValue,
      headers: record.headers,
    }));
    if (this.pool !== undefined) return this.pool.evaluate(raw);
    return raw.map((record): PoolOutcome => {
      const outcome = this.evaluate(record);
      if (!outcome.ok) return outcome;
      return {
        ok: true,
        json: outcome.value === null ? null : JSON.stringify(outcome.value),
        ...(outcome.schemaId === undefined ? {} : { schemaId: outcome.schemaId }),
      };
    });
  }

  private account(
    batch: readonly IncomingRecord<unknown>[],
    out: number,
    rejected: ReadonlyMap<string, number>,
    startedAt: number,
  ): void {
    const labels = { contract: this.contract.name };
    const metrics = this.options.metrics?.contracts;
    const dlq = batch.length - out;
    this.counters.in += batch.length;
    this.counters.out += out;
    this.counters.dlq += dlq;
    for (const record of batch) this.positions.set(record.partition, record.offset + 1n);
    if (metrics !== undefined) {
      metrics.recordsIn.inc(labels, batch.length);
      if (out > 0) metrics.recordsOut.inc(labels, out);
      for (const [kind, count] of rejected) metrics.recordsDlq.inc({ ...labels, kind }, count);
      metrics.batchSeconds.observe(labels, (performance.now() - startedAt) / 1000);
      const last = batch[batch.length - 1];
      if (last !== undefined) {
        metrics.recordAgeSeconds.observe(
          labels,
          Math.max(0, Date.now() - Number(last.timestamp)) / 1000,
        );
      }
    }
  }

  private async measureLag(): Promise<void> {
    const session = this.session;
    const metrics = this.options.metrics?.contracts;
    if (session === undefined || metrics === undefined || this.positions.size === 0) return;
    try {
      const ends = await session.consumer.endOffsets(this.contract.source);
      let lag = 0n;
      for (const [partition, position] of this.positions) {
        const end = ends[partition];
        if (end !== undefined && end > position) lag += end - position;
      }
      metrics.lag.set({ contract: this.contract.name }, Number(lag));
    } catch {
      // Lag is best effort; the processing loop reports the Kafka error that matters.
    }
  }
}
