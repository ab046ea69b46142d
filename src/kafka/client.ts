import { Admin, ConfigResourceTypes, Consumer, ProduceAcks, Producer } from '@platformatic/kafka';
import type { Message, MessagesStream } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { GuardstreamError } from '../errors/index.ts';
import { toKafkaError } from './errors.ts';

export interface KafkaConnection {
  bootstrapServers: readonly string[];
  clientId: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** How often the client retries a retryable failure before surfacing it. */
  retries?: number;
  retryDelayMs?: number;
}

export type RecordHeaders = Record<string, string>;

export interface OutgoingRecord<Value> {
  topic: string;
  key?: string | null;
  /** `null` produces a tombstone (deletes the key on a compacted topic). */
  value: Value | null;
  /** Bytes sent exactly as given instead of `value` (a DLQ keeps the original record). */
  rawValue?: Buffer;
  headers?: RecordHeaders;
  partition?: number;
}

export interface IncomingRecord<Value> {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  key: string | null;
  /** `null` for a tombstone, or when the bytes were not valid JSON (then `decodeError` says why). */
  value: Value | null;
  rawValue: Buffer | null;
  headers: RecordHeaders;
  decodeError?: GuardstreamError;
  /** Commits this record's offset (+1) for the consumer group. */
  commit(): Promise<void>;
}

export interface ProduceReceipt {
  offsets: { topic: string; partition: number; offset: bigint }[];
}

function baseOptions(connection: KafkaConnection): {
  clientId: string;
  bootstrapBrokers: string[];
  timeout: number;
  retries: number;
  retryDelay: number;
} {
  return {
    clientId: connection.clientId,
    bootstrapBrokers: [...connection.bootstrapServers],
    timeout: connection.timeoutMs ?? 10_000,
    retries: connection.retries ?? 3,
    retryDelay: connection.retryDelayMs ?? 250,
  };
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes strict UTF-8 JSON; a typed error instead of a throw from deep inside a stream. */
export function decodeJson(
  bytes: Buffer,
): { ok: true; value: unknown } | { ok: false; error: GuardstreamError } {
  try {
    return { ok: true, value: JSON.parse(utf8.decode(bytes)) as unknown };
  } catch (cause) {
    const reason = cause instanceof TypeError ? 'invalid UTF-8' : 'invalid JSON';
    return {
      ok: false,
      error: new GuardstreamError('GS_ERR_KAFKA_SERDE', {
        message: `Record value is ${reason}`,
        cause,
        details: { reason },
      }),
    };
  }
}

/**
 * Produces JSON values with string keys and headers. Idempotent with acks=all by default: a
 * retried send never duplicates a record, which the no-loss guarantees downstream rely on.
 */
export interface ProducerOptions {
  idempotent?: boolean;
  /**
   * Upper bound on one `send`, like Kafka's `delivery.timeout.ms`. While the cluster is down the
   * idempotent client keeps retrying on its own; past this bound the caller gets a retryable
   * GS_ERR_KAFKA_TIMEOUT. The outcome is then unknown (the batch may still land), which is
   * at-least-once: consumers must tolerate a duplicate, never a loss.
   */
  deliveryTimeoutMs?: number;
}

export class JsonProducer<Value = unknown> {
  private readonly producer: Producer;
  private readonly deliveryTimeoutMs: number;
  /**
   * The tail of the in-flight chain. @platformatic/kafka 1.x assigns idempotent sequence
   * numbers when a send completes, so two concurrent sends to one partition share a sequence
   * and the broker drops the second as a duplicate (measured: 20 concurrent sends, 1 record
   * written). One send in flight at a time keeps every record; callers batch for throughput.
   */
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(connection: KafkaConnection, options: ProducerOptions = {}) {
    this.producer = new Producer({
      ...baseOptions(connection),
      idempotent: options.idempotent ?? true,
      acks: ProduceAcks.ALL,
    });
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 30_000;
  }

  async send(records: readonly OutgoingRecord<Value>[]): Promise<ProduceReceipt> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(
          new GuardstreamError('GS_ERR_KAFKA_TIMEOUT', {
            message: `Kafka produce was not acknowledged within ${this.deliveryTimeoutMs} ms; the cluster may be unavailable`,
            details: { operation: 'produce', deliveryTimeoutMs: this.deliveryTimeoutMs },
          }),
        );
      }, this.deliveryTimeoutMs);
    });
    // Chain on the real send, not on the caller's deadline: a send that timed out for its
    // caller may still be in flight and must finish before the next one starts.
    const attempt = this.inFlight.then(() => this.sendNow(records));
    this.inFlight = attempt.catch(() => undefined);
    try {
      return await Promise.race([attempt, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async sendNow(records: readonly OutgoingRecord<Value>[]): Promise<ProduceReceipt> {
    try {
      const result = await this.producer.send({
        messages: records.map((record) => {
          const headers = record.headers
            ? new Map(
                Object.entries(record.headers).map(([name, value]) => [
                  Buffer.from(name),
                  Buffer.from(value),
                ]),
              )
            : undefined;
          return {
            topic: record.topic,
            ...(record.key === undefined || record.key === null
              ? {}
              : { key: Buffer.from(record.key) }),
            ...(record.rawValue !== undefined
              ? { value: record.rawValue }
              : record.value === null
                ? {}
                : { value: encodeJson(record.value) }),
            ...(headers === undefined ? {} : { headers }),
            ...(record.partition === undefined ? {} : { partition: record.partition }),
          };
        }),
      });
      return { offsets: result.offsets ?? [] };
    } catch (error) {
      throw toKafkaError(error, 'produce');
    }
  }

  async close(): Promise<void> {
    await this.producer.close().catch(() => undefined);
  }
}

export interface ConsumerOptions {
  groupId: string;
  /** Where a group without committed offsets starts. */
  startFrom?: 'earliest' | 'latest';
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxWaitTimeMs?: number;
  /** How long joining the group may keep failing with retryable errors before giving up. */
  subscribeTimeoutMs?: number;
}

/**
 * A consumer-group member that yields decoded JSON records and commits only when told to, so a
 * record is never marked done before its processing has finished.
 */
export class JsonConsumer<Value = unknown> {
  private readonly consumer: Consumer;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private readonly options: ConsumerOptions;

  constructor(connection: KafkaConnection, options: ConsumerOptions) {
    this.options = options;
    this.consumer = new Consumer({
      ...baseOptions(connection),
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
      maxWaitTime: options.maxWaitTimeMs ?? 200,
      autocommit: false,
    });
  }

  async *consume(topics: readonly string[]): AsyncGenerator<IncomingRecord<Value>> {
    // Right after a broker (re)start the group coordinator may still be loading; joining is
    // retried while the error is retryable, up to subscribeTimeoutMs.
    const deadline = Date.now() + (this.options.subscribeTimeoutMs ?? 30_000);
    for (;;) {
      try {
        this.stream = await this.consumer.consume({
          topics: [...topics],
          mode: 'committed',
          fallbackMode: this.options.startFrom ?? 'earliest',
          autocommit: false,
        });
        break;
      } catch (error) {
        const mapped = toKafkaError(error, 'subscribe');
        if (!mapped.retryable || Date.now() >= deadline) throw mapped;
        await sleep(500);
      }
    }
    try {
      for await (const message of this.stream) {
        yield toIncoming<Value>(message);
      }
    } catch (error) {
      throw toKafkaError(error, 'consume');
    }
  }

  async close(): Promise<void> {
    if (this.stream !== undefined) {
      const stream = this.stream;
      await new Promise<void>((resolve) => {
        stream.close(() => {
          resolve();
        });
      });
    }
    await new Promise<void>((resolve) => {
      this.consumer.close(true, () => {
        resolve();
      });
    });
  }
}

function toIncoming<Value>(message: Message): IncomingRecord<Value> {
  const headers: RecordHeaders = {};
  for (const [name, value] of message.headers)
    headers[name.toString('utf8')] = value.toString('utf8');
  const rawValue = message.value.length === 0 && isTombstone(message) ? null : message.value;
  const key = message.key.length === 0 ? null : message.key.toString('utf8');
  const base = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key,
    rawValue,
    headers,
    commit: async (): Promise<void> => {
      try {
        await message.commit();
      } catch (error) {
        throw toKafkaError(error, 'commit');
      }
    },
  };
  if (rawValue === null) return { ...base, value: null };
  const decoded = decodeJson(rawValue);
  return decoded.ok
    ? { ...base, value: decoded.value as Value }
    : { ...base, value: null, decodeError: decoded.error };
}

function isTombstone(message: Message): boolean {
  // The client surfaces a null value as an empty buffer; an empty JSON document is not valid
  // JSON anyway, so treating both as "no value" loses nothing.
  return message.value.length === 0;
}

export interface TopicSpec {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  /** Topic-level configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Readonly<Record<string, string>>;
}

export interface TopicDescription {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

/** Topic configs that make a topic a key → latest-value table. */
export const compactedTopicConfigs: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
};

export class TopicAdmin {
  private readonly admin: Admin;

  constructor(connection: KafkaConnection) {
    this.admin = new Admin(baseOptions(connection));
  }

  /** Creates missing topics; existing ones are left as they are. Returns the names created. */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<string[]> {
    const existing = new Set(await this.listTopics());
    const created: string[] = [];
    for (const spec of specs) {
      if (existing.has(spec.name)) continue;
      try {
        await this.admin.createTopics({
          topics: [spec.name],
          partitions: spec.partitions ?? 1,
          replicas: spec.replicationFactor ?? 1,
          configs: Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value })),
        });
        created.push(spec.name);
      } catch (error) {
        if (!hasTopicExists(error)) {
          throw toKafkaError(error, `create topic ${spec.name}`);
        }
      }
    }
    return created;
  }

  async listTopics(): Promise<string[]> {
    try {
      return await this.admin.listTopics();
    } catch (error) {
      throw toKafkaError(error, 'list topics');
    }
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    try {
      await this.admin.deleteTopics({ topics: [...names] });
    } catch (error) {
      throw toKafkaError(error, 'delete topics');
    }
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    // Asking metadata for a missing topic would auto-create it on brokers that allow that.
    if (!(await this.listTopics()).includes(name)) {
      throw new GuardstreamError('GS_ERR_NOT_FOUND', { message: `Topic ${name} does not exist` });
    }
    try {
      const metadata = await this.admin.metadata({
        topics: [name],
        forceUpdate: true,
        autocreateTopics: false,
      });
      const topic = metadata.topics.get(name);
      if (topic === undefined) {
        throw new GuardstreamError('GS_ERR_NOT_FOUND', { message: `Topic ${name} does not exist` });
      }
      const [description] = await this.admin.describeConfigs({
        resources: [
          { resourceType: ConfigResourceTypes.TOPIC, resourceName: name, configurationKeys: [] },
        ],
      });
      const configs: Record<string, string> = {};
      for (const entry of description?.configs ?? []) {
        if (typeof entry.value === 'string') configs[entry.name] = entry.value;
      }
      return { name, partitions: topic.partitionsCount, configs };
    } catch (error) {
      if (error instanceof GuardstreamError) throw error;
      throw toKafkaError(error, `describe topic ${name}`);
    }
  }

  async close(): Promise<void> {
    await this.admin.close().catch(() => undefined);
  }
}

function hasTopicExists(error: unknown): boolean {
  const seen = JSON.stringify(error, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  ) as string | undefined;
  return seen?.includes('TOPIC_ALREADY_EXISTS') ?? false;
}
