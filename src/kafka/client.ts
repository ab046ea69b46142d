import { Admin, ConfigResourceTypes, Consumer, ProduceAcks, Producer } from '@platformatic/kafka';
import type { Message, MessageToProduce, MessagesStream, SASLOptions } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { GuardstreamError } from '../errors/index.ts';
import { readForeignCodecs, writeZstd } from './compression.ts';
import { toKafkaError } from './errors.ts';

/** How a client proves itself to a secured cluster, and checks the cluster in turn. */
export interface KafkaSecurity {
  /** TLS to the brokers (node:tls options, PEM text); certificates are always verified. */
  tls?: { ca?: string; cert?: string; key?: string; servername?: string };
  sasl?:
    | { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; username: string; password: string }
    | {
        mechanism: 'OAUTHBEARER';
        /** A bearer token for each new connection (see `oauthTokenProvider`). */
        token: () => Promise<string>;
        /** SASL extensions sent with the token (Confluent Cloud's logicalCluster…). */
        oauthBearerExtensions?: Record<string, string>;
        /** Who the token speaks for, for messages (the OAuth client id). */
        principal: string;
      };
}

export interface KafkaConnection extends KafkaSecurity {
  bootstrapServers: readonly string[];
  clientId: string;
  /** Codec for the batches this process's producers write (none when absent). */
  compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd';
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
  decodeError?: GuardstreamError | undefined;
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
} & LibrarySecurity {
  return {
    clientId: connection.clientId,
    bootstrapBrokers: [...connection.bootstrapServers],
    timeout: connection.timeoutMs ?? 10_000,
    retries: connection.retries ?? 3,
    retryDelay: connection.retryDelayMs ?? 250,
    ...securityOptions(connection),
  };
}

const compressionOf = (
  connection: KafkaConnection,
): { compression?: 'gzip' | 'snappy' | 'lz4' | 'zstd' } =>
  connection.compression === undefined ? {} : { compression: connection.compression };

/** Resolves once the connection's codec can be written (zstd's encoder loads asynchronously). */
function codecReady(connection: KafkaConnection): Promise<void> {
  if (connection.compression !== 'zstd') return Promise.resolve();
  const ready = writeZstd();
  // Awaited by the first send; a producer that never sends must not leave it unhandled.
  ready.catch(() => undefined);
  return ready;
}

/** The client library's SASL options: ours without what only messages use. */
function librarySasl(sasl: NonNullable<KafkaSecurity['sasl']>): SASLOptions {
  if (sasl.mechanism !== 'OAUTHBEARER') return { ...sasl };
  return {
    mechanism: sasl.mechanism,
    token: sasl.token,
    ...(sasl.oauthBearerExtensions === undefined
      ? {}
      : { oauthBearerExtensions: sasl.oauthBearerExtensions }),
  };
}

/** TLS and SASL as the client library takes them. */
interface LibrarySecurity {
  tls?: NonNullable<KafkaSecurity['tls']>;
  sasl?: SASLOptions;
}

/** The client library's TLS and SASL options for `security` (none for a plaintext cluster). */
export function securityOptions(security: KafkaSecurity): LibrarySecurity {
  return {
    // rejectUnauthorized is node's default, and nothing here turns it off.
    ...(security.tls === undefined ? {} : { tls: { ...security.tls } }),
    ...(security.sasl === undefined ? {} : { sasl: librarySasl(security.sasl) }),
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

function toMessage(record: OutgoingRecord<unknown>): MessageToProduce {
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
    ...(record.key === undefined || record.key === null ? {} : { key: Buffer.from(record.key) }),
    ...(record.rawValue !== undefined
      ? { value: record.rawValue }
      : record.value === null
        ? {}
        : { value: encodeJson(record.value) }),
    ...(headers === undefined ? {} : { headers }),
    ...(record.partition === undefined ? {} : { partition: record.partition }),
  };
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
  private readonly codecReady: Promise<void>;

  constructor(connection: KafkaConnection, options: ProducerOptions = {}) {
    this.producer = new Producer({
      ...baseOptions(connection),
      ...compressionOf(connection),
      idempotent: options.idempotent ?? true,
      acks: ProduceAcks.ALL,
    });
    this.codecReady = codecReady(connection);
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
    await this.codecReady;
    try {
      const result = await this.producer.send({ messages: records.map(toMessage) });
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
  /** Start from `startFrom` even when the group has committed offsets (a rebuild). */
  ignoreCommitted?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxWaitTimeMs?: number;
  /** How long joining the group may keep failing with retryable errors before giving up. */
  subscribeTimeoutMs?: number;
  /** Upper bound of one fetch response. */
  maxBytes?: number;
  /** How many fetched records the client buffers ahead of the caller. */
  bufferedRecords?: number;
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
    readForeignCodecs();
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

  private async subscribe(
    topics: readonly string[],
  ): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> {
    // Right after a broker (re)start the group coordinator may still be loading; joining is
    // retried while the error is retryable, up to subscribeTimeoutMs.
    const deadline = Date.now() + (this.options.subscribeTimeoutMs ?? 30_000);
    for (;;) {
      try {
        this.stream = await this.consumer.consume({
          topics: [...topics],
          mode:
            this.options.ignoreCommitted === true
              ? (this.options.startFrom ?? 'earliest')
              : 'committed',
          fallbackMode: this.options.startFrom ?? 'earliest',
          autocommit: false,
          ...(this.options.maxBytes === undefined ? {} : { maxBytes: this.options.maxBytes }),
          ...(this.options.bufferedRecords === undefined
            ? {}
            : { highWaterMark: this.options.bufferedRecords }),
        });
        return this.stream;
      } catch (error) {
        const mapped = toKafkaError(error, 'subscribe');
        if (!mapped.retryable || Date.now() >= deadline) throw mapped;
        await sleep(500);
      }
    }
  }

  async *consume(topics: readonly string[]): AsyncGenerator<IncomingRecord<Value>> {
    const stream = await this.subscribe(topics);
    try {
      for await (const message of stream) {
        yield toIncoming<Value>(message);
      }
    } catch (error) {
      throw toKafkaError(error, 'consume');
    }
  }

  /**
   * Yields whatever the client has already fetched, up to `maxRecords` at a time, so a caller can
   * produce and commit per batch instead of per record. Waits only when nothing is buffered.
   */
  async *batches(
    topics: readonly string[],
    maxRecords = 500,
  ): AsyncGenerator<IncomingRecord<Value>[]> {
    const stream = await this.subscribe(topics);
    // Written by stream events between reads, hence an object rather than narrowed locals.
    const state: { failure?: unknown; ended: boolean; wake?: (() => void) | undefined } = {
      ended: false,
    };
    const wake = (): void => {
      const waiter = state.wake;
      state.wake = undefined;
      waiter?.();
    };
    const onError = (error: unknown): void => {
      state.failure = error;
      wake();
    };
    const onEnd = (): void => {
      state.ended = true;
      wake();
    };
    // One 'readable' listener for the generator's whole life: with none attached, Node sets the
    // stream's flowing state back to null, and @platformatic/kafka stops fetching for a stream
    // "nobody consumes" (measured: a stall after the first buffer-full of records).
    stream.on('readable', wake);
    stream.on('error', onError);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    try {
      for (;;) {
        const batch: IncomingRecord<Value>[] = [];
        while (batch.length < maxRecords) {
          const message = stream.read() as Message | null;
          if (message === null) break;
          batch.push(toIncoming<Value>(message));
        }
        if (batch.length > 0) {
          yield batch;
          continue;
        }
        if (state.failure !== undefined) throw toKafkaError(state.failure, 'consume');
        if (state.ended || stream.destroyed) return;
        await new Promise<void>((resolve) => {
          state.wake = resolve;
        });
      }
    } finally {
      stream.off('readable', wake);
      stream.off('error', onError);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
    }
  }

  /**
   * Commits the position after the last of `records` in each partition, in one request. Call
   * it only once everything derived from those records is durable.
   */
  async commit(records: readonly IncomingRecord<unknown>[]): Promise<void> {
    const last = lastPerPartition(records);
    if (last.length === 0) return;
    try {
      await this.consumer.commit({
        offsets: last.map((record) => ({
          topic: record.topic,
          partition: record.partition,
          offset: record.offset + 1n,
          leaderEpoch: leaderEpochOf(record),
        })),
      });
    } catch (error) {
      throw toKafkaError(error, 'commit');
    }
  }

  /** The log-end offset of every partition of `topic` (for lag). */
  async endOffsets(topic: string): Promise<bigint[]> {
    try {
      const offsets = await this.consumer.listOffsets({ topics: [topic] });
      return offsets.get(topic) ?? [];
    } catch (error) {
      throw toKafkaError(error, 'list offsets');
    }
  }

  /** The client underneath, for a transaction that must carry this group's offsets. */
  get raw(): Consumer {
    return this.consumer;
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

/** The client's own message behind each record, for commits and transactional offsets. */
const sourceMessages = new WeakMap<IncomingRecord<unknown>, Message>();

function sourceMessage(record: IncomingRecord<unknown>): Message {
  const message = sourceMessages.get(record);
  if (message === undefined) {
    throw new GuardstreamError('GS_ERR_INTERNAL', {
      message: 'Record was not read by a JsonConsumer',
    });
  }
  return message;
}

function leaderEpochOf(record: IncomingRecord<unknown>): number {
  // The stream binds the fetch's leader epoch into commit(); the message itself does not carry
  // it, and -1 tells the broker "unknown", which skips the fencing check and nothing else.
  const metadata = sourceMessage(record).metadata as { leaderEpoch?: unknown };
  return typeof metadata.leaderEpoch === 'number' ? metadata.leaderEpoch : -1;
}

/** The last record of each topic-partition, in first-seen order. */
export function lastPerPartition<Record extends IncomingRecord<unknown>>(
  records: readonly Record[],
): Record[] {
  const last = new Map<string, Record>();
  for (const record of records) {
    const id = `${record.topic}\u0000${String(record.partition)}`;
    const seen = last.get(id);
    if (seen === undefined || seen.offset < record.offset) last.set(id, record);
  }
  return [...last.values()];
}

/**
 * A fetched record whose JSON is decoded on first access: processors that judge the raw bytes
 * themselves (contracts, DLQ forwarding) never pay for a parse they do not use.
 */
class FetchedRecord<Value> implements IncomingRecord<Value> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: string | null;
  readonly rawValue: Buffer | null;
  readonly headers: RecordHeaders;
  private decoded: { value: Value | null; error?: GuardstreamError } | undefined;

  constructor(private readonly message: Message) {
    const headers: RecordHeaders = {};
    for (const [name, value] of message.headers) {
      // A header may carry a null value on the wire.
      headers[name.toString('utf8')] = (value as Buffer | undefined)?.toString('utf8') ?? '';
    }
    this.topic = message.topic;
    this.partition = message.partition;
    this.offset = message.offset;
    this.timestamp = message.timestamp;
    // A record without a key (or value) arrives with `undefined` there, whatever the typings say.
    const key = message.key as Buffer | undefined;
    const value = message.value as Buffer | undefined;
    this.key = key === undefined || key.length === 0 ? null : key.toString('utf8');
    this.rawValue = value === undefined || value.length === 0 ? null : value;
    this.headers = headers;
  }

  private decode(): { value: Value | null; error?: GuardstreamError } {
    if (this.decoded === undefined) {
      if (this.rawValue === null) {
        this.decoded = { value: null };
      } else {
        const result = decodeJson(this.rawValue);
        this.decoded = result.ok
          ? { value: result.value as Value }
          : { value: null, error: result.error };
      }
    }
    return this.decoded;
  }

  get value(): Value | null {
    return this.decode().value;
  }

  get decodeError(): GuardstreamError | undefined {
    return this.decode().error;
  }

  async commit(): Promise<void> {
    try {
      await this.message.commit();
    } catch (error) {
      throw toKafkaError(error, 'commit');
    }
  }
}

function toIncoming<Value>(message: Message): IncomingRecord<Value> {
  const record = new FetchedRecord<Value>(message);
  sourceMessages.set(record, message);
  return record;
}

/**
 * Exactly-once consume–transform–produce: the output records and the consumer group's offsets
 * are written in one Kafka transaction, so after any crash either both are visible to
 * `read_committed` readers or neither is. A restarted instance with the same transactional id
 * fences its predecessor and aborts whatever it left open.
 */
export class TransactionalProducer {
  private readonly producer: Producer;
  private readonly codecReady: Promise<void>;

  constructor(connection: KafkaConnection, transactionalId: string) {
    this.producer = new Producer({
      ...baseOptions(connection),
      ...compressionOf(connection),
      idempotent: true,
      transactionalId,
      acks: ProduceAcks.ALL,
      // @platformatic/kafka 1.35 sends producer id 0 / epoch 0 in InitProducerId unless told
      // otherwise; the broker reads that as "bump epoch 0 of producer 0" and answers
      // PRODUCER_FENCED once the transactional id has history. -1/-1 means "new instance":
      // the broker fences the predecessor and aborts its open transaction, as it should.
      producerId: -1n,
      producerEpoch: -1,
    });
    this.codecReady = codecReady(connection);
  }

  /**
   * One transaction: the records and the consumed offsets commit together or not at all. It must
   * finish within `timeoutMs`: a transaction step that never answers (seen under heavy load: the
   * processor stalled with its transaction open, which held back every read_committed reader of
   * the DLQ) fails the session instead, and the next session's InitProducerId fences this
   * producer and resolves the transaction, after which the input is replayed from the committed
   * offsets.
   */
  async sendWithOffsets(
    records: readonly OutgoingRecord<unknown>[],
    consumer: JsonConsumer,
    consumed: readonly IncomingRecord<unknown>[],
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = new AbortController();
    const timer = sleep(timeoutMs, undefined, { signal: deadline.signal }).then(() => {
      throw new GuardstreamError('GS_ERR_KAFKA_TIMEOUT', {
        message: `A transaction did not complete within ${String(timeoutMs)} ms`,
      });
    });
    try {
      await Promise.race([this.transact(records, consumer, consumed), timer]);
    } finally {
      deadline.abort();
      await timer.catch(() => undefined);
    }
  }

  private async transact(
    records: readonly OutgoingRecord<unknown>[],
    consumer: JsonConsumer,
    consumed: readonly IncomingRecord<unknown>[],
  ): Promise<void> {
    let transaction: Awaited<ReturnType<Producer['beginTransaction']>> | undefined;
    await this.codecReady;
    try {
      transaction = await this.producer.beginTransaction();
      await transaction.addConsumer(consumer.raw);
      if (records.length > 0) await transaction.send({ messages: records.map(toMessage) });
      for (const record of lastPerPartition(consumed)) {
        await transaction.addOffset(sourceMessage(record));
      }
      await transaction.commit();
    } catch (error) {
      if (transaction !== undefined && !transaction.completed) {
        await transaction.abort().catch(() => transaction?.cancel().catch(() => undefined));
      }
      throw toKafkaError(error, 'transaction');
    }
  }

  async close(): Promise<void> {
    await this.producer.close().catch(() => undefined);
  }
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
    // The controller answers before every broker's metadata has the new topic; callers expect to
    // use (or describe) a topic as soon as this returns.
    const deadline = Date.now() + 10_000;
    const wanted = specs.map((spec) => spec.name);
    while (Date.now() < deadline) {
      const known = new Set(await this.listTopics());
      if (wanted.every((name) => known.has(name))) break;
      await sleep(100);
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
