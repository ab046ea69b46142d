import { JsonProducer } from '../kafka/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import type { RailReport } from './rails.ts';

/** One event per gateway request on the audit topic. It never carries raw prompt or answer text. */
export interface AuditEvent {
  id: string;
  time: string;
  route: string;
  principal: {
    id: string;
    tenant: string;
    user?: string;
    groups: readonly string[];
    via: string;
  } | null;
  model: string | null;
  provider: string | null;
  stream: boolean;
  status: number;
  outcome: 'answered' | 'blocked' | 'refused' | 'error';
  errorCode?: string;
  rails: RailReport[];
  detectors: {
    stage: string;
    detector: string;
    status: string;
    ms: number;
    findings: number;
    maxScore: number;
  }[];
  retrieved: {
    documentId: string;
    collection: string;
    chunkId: string;
    score: number;
    dropped: boolean;
  }[];
  /** Function calling, when the request involved it: names and outcomes, never arguments. */
  tools: {
    /** The functions the request declared. */
    declared: string[];
    /** The tool results the client sent, and whether the rails withheld each from the model. */
    results: { toolCallId: string; withheld: boolean }[];
    /** The calls the model made, and whether each reached the client. */
    calls: { id: string; name: string; delivered: boolean }[];
  } | null;
  /** Image parts of the request: how many, how many were read by the rails, how many went unread. */
  images: { parts: number; read: number; unchecked: number } | null;
  pseudonymised: boolean;
  /** The guard policy the request ran under (`guardstream policy publish` prints it). */
  policyVersion: string;
  latencyMs: number;
  usage: { promptTokens: number; completionTokens: number } | null;
}

export interface AuditSink {
  write(event: AuditEvent): void;
  close(): Promise<void>;
}

/**
 * Buffers events and produces them in batches, so a burst of requests costs a few produce
 * calls rather than one round trip each, and a request never waits for Kafka. When Kafka is
 * unreachable the buffer is bounded; what does not fit is counted as dropped.
 */
export class KafkaAuditSink implements AuditSink {
  private readonly producer: JsonProducer;
  private buffer: AuditEvent[] = [];
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  dropped = 0;
  written = 0;

  constructor(
    connection: KafkaConnection,
    private readonly topic: string,
    private readonly maxBuffered = 10_000,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly onDrop: (count: number) => void = () => undefined,
  ) {
    this.producer = new JsonProducer(connection);
    this.timer = setInterval(() => {
      void this.flush();
    }, 50);
    this.timer.unref();
  }

  write(event: AuditEvent): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped += 1;
      this.onDrop(1);
      return;
    }
    this.buffer.push(event);
  }

  /** Sends what is buffered; one flush at a time, in order. */
  async flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, 500);
    this.flushing = this.producer
      .send(
        batch.map((event) => ({
          topic: this.topic,
          key: event.principal?.tenant ?? null,
          value: event,
        })),
      )
      .then(
        () => {
          this.written += batch.length;
        },
        (error: unknown) => {
          // Put them back at the front: audit events are kept until Kafka takes them.
          const room = Math.max(0, this.maxBuffered - this.buffer.length);
          const lost = batch.length - Math.min(room, batch.length);
          this.dropped += lost;
          if (lost > 0) this.onDrop(lost);
          this.buffer.unshift(...batch.slice(0, room));
          this.onError(error);
        },
      )
      .finally(() => {
        this.flushing = undefined;
      });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (let attempt = 0; attempt < 20 && this.buffer.length > 0; attempt += 1) {
      await this.flushing;
      await this.flush();
    }
    await this.flushing;
    await this.producer.close();
  }
}
