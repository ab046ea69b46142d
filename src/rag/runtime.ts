import { resolve } from 'node:path';
import type { GuardEngine } from '../guard/index.ts';
import { TopicAdmin, compactedTopicConfigs } from '../kafka/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { RagConfig } from './config.ts';
import type { Principal } from './documents.ts';
import { Indexer } from './indexer.ts';
import type { QuarantineEvent, TextEmbedder } from './indexer.ts';
import type { KnowledgeStore, SearchHit } from './store.ts';
import { KnowledgeStore as Store } from './store.ts';

/** What the gateway and the CLI need to search as a caller. */
export interface QueryEmbedder extends TextEmbedder {
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export class Retriever {
  constructor(
    private readonly store: KnowledgeStore,
    private readonly embedder: QueryEmbedder,
    private readonly metrics?: Metrics,
  ) {}

  async search(text: string, principal: Principal, k: number): Promise<SearchHit[]> {
    const started = performance.now();
    const [vector] = await this.embedder.embed([text]);
    const hits = await this.store.search(
      { vector: vector ?? new Float32Array(this.store.dimensions), text },
      principal,
      k,
    );
    this.metrics?.rag.querySeconds.observe((performance.now() - started) / 1000);
    return hits;
  }
}

export interface RunningRag {
  store: KnowledgeStore;
  indexer: Indexer;
  retriever: Retriever;
  stop(): Promise<void>;
}

/** Opens the store (rebuilding from the topics when it is missing) and starts the indexer. */
export async function startRag(
  config: RagConfig,
  connection: KafkaConnection,
  dependencies: {
    embedder: QueryEmbedder;
    guard: GuardEngine;
    metrics?: Metrics;
    cwd?: string;
    createTopics?: boolean;
    onQuarantine?: (event: QuarantineEvent) => void;
  },
): Promise<RunningRag> {
  const topics = config.collections.map((collection) => collection.topic);
  if (dependencies.createTopics ?? true) {
    const admin = new TopicAdmin(connection);
    try {
      await admin.ensureTopics(topics.map((name) => ({ name, configs: compactedTopicConfigs })));
    } finally {
      await admin.close();
    }
  }
  const store = await Store.open(resolve(dependencies.cwd ?? process.cwd(), config.dataDir));
  const indexer = new Indexer(connection, {
    topics,
    store,
    embedder: dependencies.embedder,
    guard: dependencies.guard,
    groupId: config.groupId,
    quarantineOn: config.quarantineOn,
    ...(dependencies.metrics === undefined ? {} : { metrics: dependencies.metrics.rag }),
    ...(dependencies.onQuarantine === undefined ? {} : { onQuarantine: dependencies.onQuarantine }),
  });
  const running = indexer.run();
  return {
    store,
    indexer,
    retriever: new Retriever(store, dependencies.embedder, dependencies.metrics),
    async stop() {
      await indexer.stop();
      await running;
      store.close();
    },
  };
}
