import type { GuardEngine } from '../guard/index.ts';
import { JsonConsumer, JsonProducer } from '../kafka/index.ts';
import type { IncomingRecord, KafkaConnection, RecordHeaders } from '../kafka/index.ts';
import type { Keyring } from './crypto.ts';
import { compileContract } from './evaluate.ts';
import type { ContractOutcome } from './evaluate.ts';
import type { Contract } from './schema.ts';

/** DLQ headers, after Kafka Connect's `__connect.errors.*` convention. */
export const DLQ_HEADER_PREFIX = '__guardstream.error.';

export interface ContractCounters {
  in: number;
  out: number;
  dlq: number;
}

export interface ProcessorOptions {
  guard?: GuardEngine;
  hashSalt?: string;
  keyring?: Keyring;
  groupId?: string;
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

/**
 * One contract's consumer-group member: every record of the source topic ends in the target or
 * the DLQ, and its offset is committed only after that produce is acknowledged (at-least-once;
 * a crash replays uncommitted records, never skips them). A bad record is routed, never retried.
 */
export class ContractProcessor {
  readonly counters: ContractCounters = { in: 0, out: 0, dlq: 0 };
  private readonly consumer: JsonConsumer;
  private readonly producer: JsonProducer;
  private readonly evaluate: ReturnType<typeof compileContract>;
  private stopped = false;

  constructor(
    connection: KafkaConnection,
    private readonly contract: Contract,
    options: ProcessorOptions = {},
  ) {
    this.evaluate = compileContract(contract, {
      ...(options.guard === undefined ? {} : { guard: options.guard }),
      ...(options.hashSalt === undefined ? {} : { hashSalt: options.hashSalt }),
      ...(options.keyring === undefined ? {} : { keyring: options.keyring }),
    });
    this.consumer = new JsonConsumer(connection, {
      groupId: options.groupId ?? `guardstream-contract-${contract.name}`,
      startFrom: 'earliest',
    });
    this.producer = new JsonProducer(connection);
  }

  /** Processes until `stop()`; resolves when the loop has ended. */
  async run(): Promise<void> {
    for await (const record of this.consumer.consume([this.contract.source])) {
      if (this.stopped) break;
      this.counters.in += 1;
      const outcome = this.evaluate({
        key: record.key,
        value: record.rawValue,
        headers: record.headers,
      });
      if (outcome.ok) {
        await this.producer.send([
          {
            topic: this.contract.target,
            key: record.key,
            value: outcome.value,
            headers: { ...record.headers, '__guardstream.contract': this.contract.name },
          },
        ]);
        this.counters.out += 1;
      } else {
        await this.producer.send([
          {
            topic: this.contract.dlq,
            key: record.key,
            value: null,
            ...(record.rawValue === null ? {} : { rawValue: record.rawValue }),
            headers: dlqHeaders(this.contract, record, outcome),
          },
        ]);
        this.counters.dlq += 1;
      }
      await record.commit();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.close();
    await this.producer.close();
  }
}
