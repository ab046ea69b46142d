import { setTimeout as sleep } from 'node:timers/promises';
import type { GuardEngine } from '../guard/index.ts';
import { JsonConsumer } from '../kafka/index.ts';
import type { IncomingRecord, KafkaConnection } from '../kafka/index.ts';
import { chunkDocument } from './chunker.ts';
import { knowledgeDocumentSchema } from './documents.ts';
import type { KnowledgeStore } from './store.ts';

/** What the indexer needs from an embedder (the real one is `Embedder`). */
export interface TextEmbedder {
  readonly maxTokens: number;
  tokenize(text: string): number[];
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export interface IndexerOptions {
  topics: readonly string[];
  store: KnowledgeStore;
  embedder: TextEmbedder;
  guard: GuardEngine;
  groupId?: string;
  /** Detectors whose finding at `ingest` quarantines a document (besides a block). */
  quarantineOn?: readonly string[];
  overlapTokens?: number;
  onQuarantine?: (event: QuarantineEvent) => void;
}

export interface QuarantineEvent {
  documentId: string;
  topic: string;
  offset: bigint;
  reason: string;
  detectors: string[];
}

export interface IndexerCounters {
  indexed: number;
  deleted: number;
  quarantined: number;
  invalid: number;
  chunks: number;
}

/**
 * A consumer group that keeps the store in step with knowledge topics: a document passes the
 * guard's `ingest` policy, is chunked, embedded and replaces its previous chunks; a tombstone
 * deletes it; a poisoned document is quarantined (its previous version removed, nothing
 * indexed, reported). Offsets are committed after the store commit, and every step is
 * idempotent, so a replay converges to the same index.
 */
export class Indexer {
  readonly counters: IndexerCounters = {
    indexed: 0,
    deleted: 0,
    quarantined: 0,
    invalid: 0,
    chunks: 0,
  };
  /** Produce → searchable, in ms, for the most recent documents. */
  readonly freshnessMs: number[] = [];
  readonly quarantine: QuarantineEvent[] = [];
  private consumer: JsonConsumer | undefined;
  private stopped = false;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly options: IndexerOptions,
  ) {}

  async run(): Promise<void> {
    while (!this.isStopped()) {
      const consumer = new JsonConsumer(this.connection, {
        groupId: this.options.groupId ?? 'guardstream-indexer',
        startFrom: 'earliest',
        maxWaitTimeMs: 50,
      });
      this.consumer = consumer;
      try {
        for await (const batch of consumer.batches(this.options.topics, 64)) {
          for (const record of batch) await this.apply(record);
          await consumer.commit(batch);
          await this.optimizeWhenDue(batch.length);
          if (this.isStopped()) break;
        }
      } catch {
        if (this.isStopped()) break;
        await sleep(500);
      } finally {
        await consumer.close().catch(() => undefined);
      }
    }
  }

  private writesSinceOptimize = 0;
  private lastOptimize = Date.now();

  /** Per-document commits leave small fragments; compacting now and then keeps queries fast. */
  private async optimizeWhenDue(writes: number): Promise<void> {
    this.writesSinceOptimize += writes;
    if (this.writesSinceOptimize < 500 && Date.now() - this.lastOptimize < 30_000) return;
    this.writesSinceOptimize = 0;
    this.lastOptimize = Date.now();
    await this.options.store.optimize();
  }

  private isStopped(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.close().catch(() => undefined);
  }

  private async apply(record: IncomingRecord<unknown>): Promise<void> {
    const documentId = record.key;
    if (documentId === null) {
      this.counters.invalid += 1;
      return;
    }
    if (record.rawValue === null) {
      await this.options.store.deleteDocument(documentId);
      this.counters.deleted += 1;
      return;
    }
    const parsed = knowledgeDocumentSchema.safeParse(record.value);
    if (!parsed.success) {
      this.counters.invalid += 1;
      this.report(
        record,
        documentId,
        `invalid document: ${parsed.error.issues[0]?.message ?? ''}`,
        [],
      );
      return;
    }
    const document = parsed.data;
    const verdict = this.options.guard.check(`${document.title}\n${document.text}`, {
      stage: 'ingest',
    });
    const quarantineOn = this.options.quarantineOn ?? ['prompt_injection'];
    const culprits = [
      ...new Set(
        verdict.findings
          .filter(
            (finding) => finding.action === 'block' || quarantineOn.includes(finding.detector),
          )
          .map((finding) => finding.detector),
      ),
    ];
    if (verdict.effective === 'block' || culprits.length > 0) {
      // The new version is the truth: an older, clean version must not keep answering for it.
      await this.options.store.deleteDocument(documentId);
      this.counters.quarantined += 1;
      this.report(record, documentId, verdict.reasons.join('; ') || 'guard', culprits);
      return;
    }
    const embedder = this.options.embedder;
    const chunks = chunkDocument(documentId, document.title, document.text, {
      maxTokens: embedder.maxTokens - 2,
      overlapTokens: this.options.overlapTokens ?? 16,
      countTokens: (text) => Math.max(0, embedder.tokenize(text).length - 2),
    });
    const vectors = await embedder.embed(chunks.map((chunk) => chunk.text));
    await this.options.store.replaceDocument(
      documentId,
      chunks.map((chunk, index) => ({
        id: chunk.id,
        text: chunk.text,
        vector: vectors[index] ?? new Float32Array(this.options.store.dimensions),
      })),
      document.acl,
      { title: document.title, source: document.source, producedAt: Number(record.timestamp) },
    );
    this.counters.indexed += 1;
    this.counters.chunks += chunks.length;
    this.freshnessMs.push(Date.now() - Number(record.timestamp));
    if (this.freshnessMs.length > 10_000) this.freshnessMs.shift();
  }

  private report(
    record: IncomingRecord<unknown>,
    documentId: string,
    reason: string,
    detectors: string[],
  ): void {
    const event = { documentId, topic: record.topic, offset: record.offset, reason, detectors };
    this.quarantine.push(event);
    if (this.quarantine.length > 1_000) this.quarantine.shift();
    this.options.onQuarantine?.(event);
  }
}
