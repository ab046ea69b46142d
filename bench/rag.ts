/**
 * `npm run bench -- rag`: freshness of a live knowledge topic (produce → searchable) at a steady
 * rate, indexing rate, and hybrid query latency over a store filled to 100,000 chunks. Starts
 * its own broker on loopback; uses the real pinned embedding model.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { builtInDetectors } from '../src/detectors/index.ts';
import { EMBEDDING_MODEL, Embedder } from '../src/embedder/index.ts';
import { GuardEngine, guardPolicySchema } from '../src/guard/index.ts';
import {
  JsonProducer,
  LocalBroker,
  TopicAdmin,
  compactedTopicConfigs,
  freePort,
} from '../src/kafka/index.ts';
import { fetchModels } from '../src/models/index.ts';
import { Indexer, KnowledgeStore } from '../src/rag/index.ts';
import { summarize } from './stats.ts';

const RATE = Number(process.env.GUARDSTREAM_BENCH_RAG_RATE ?? 25);
const SECONDS = Number(process.env.GUARDSTREAM_BENCH_RAG_SECONDS ?? 60);
const CHUNKS = Number(process.env.GUARDSTREAM_BENCH_RAG_CHUNKS ?? 100_000);
const QUERIES = 200;
const RECALL_QUERIES = 1000;

function progress(message: string): void {
  process.stderr.write(`[bench rag] ${message}\n`);
}

const sentences = [
  'Refunds are paid within fourteen days of receiving the returned item.',
  'Employees may carry over five days of holiday into the next year.',
  'The on-call engineer acknowledges a page within fifteen minutes.',
  'Invoices above ten thousand euros need a second approval.',
  'Customer data is stored in the Frankfurt region only.',
  'Laptops are replaced every three years or after a hardware failure.',
];

/** A ~1 KB document: seven sentences in a seeded order plus its number. */
function documentText(id: number): string {
  const parts: string[] = [];
  for (let index = 0; parts.join(' ').length < 1000; index += 1) {
    parts.push(sentences[(id * 7 + index * 3) % sentences.length] ?? '');
  }
  return `Policy note ${String(id)}. ${parts.join(' ')}`.slice(0, 1024);
}

/** Deterministic pseudo-random unit vectors (mulberry32), for filling the store. */
function randomVectors(count: number, dims: number, seed: number): Float32Array[] {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => {
    const vector = Float32Array.from({ length: dims }, next);
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  });
}

export async function runRagBench(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-rag-'));
  await fetchModels([EMBEDDING_MODEL], { onProgress: progress });
  const embedder = await Embedder.load();
  const broker = new LocalBroker({
    port: await freePort(),
    controllerPort: await freePort(),
    dataDir: join(dir, 'kafka'),
    attached: true,
  });
  progress(`starting a broker on ${broker.bootstrapServers}`);
  await broker.start();
  const connection = { bootstrapServers: [broker.bootstrapServers], clientId: 'bench-rag' };
  try {
    const admin = new TopicAdmin(connection);
    await admin.ensureTopics([{ name: 'bench.knowledge', configs: compactedTopicConfigs }]);
    await admin.close();

    // Freshness at a steady rate: one document every 1000/RATE ms, for SECONDS.
    const store = await KnowledgeStore.open(join(dir, 'live'));
    const indexer = new Indexer(connection, {
      topics: ['bench.knowledge'],
      store,
      embedder,
      guard: new GuardEngine(guardPolicySchema.parse({}), builtInDetectors()),
      groupId: 'bench-indexer',
    });
    const running = indexer.run();
    const producer = new JsonProducer(connection);
    const total = RATE * SECONDS;
    progress(`producing ${String(total)} documents of ~1 KB at ${String(RATE)}/s`);
    const started = performance.now();
    for (let id = 0; id < total; id += 1) {
      const due = started + (id * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await producer.send([
        {
          topic: 'bench.knowledge',
          key: `doc-${String(id)}`,
          value: {
            text: documentText(id),
            title: `Policy ${String(id)}`,
            acl: { tenants: [id % 2 === 0 ? 'acme' : 'globex'] },
          },
        },
      ]);
      if (id % (RATE * 10) === 0)
        progress(`${String(id)} produced, ${String(indexer.counters.indexed)} indexed`);
    }
    while (indexer.counters.indexed + indexer.counters.quarantined < total) {
      if (performance.now() - started > (SECONDS + 120) * 1000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const elapsed = (performance.now() - started) / 1000;
    const freshness = summarize([...indexer.freshnessMs]);
    progress(`freshness p50 ${String(freshness.p50Ms)} ms, p99 ${String(freshness.p99Ms)} ms`);
    const indexed = indexer.counters.indexed;
    await indexer.stop();
    await running;
    await producer.close();
    store.close();

    // Query latency at CHUNKS chunks: random unit vectors (no embedding needed to fill), real
    // query embedding excluded from the timing; hybrid search with an entitlement filter.
    progress(`filling a store with ${String(CHUNKS)} chunks`);
    const big = await KnowledgeStore.open(join(dir, 'big'));
    const vectors = randomVectors(CHUNKS, big.dimensions, 20261125);
    const perDocument = 4;
    const batch: Parameters<KnowledgeStore['appendDocuments']>[0][number][] = [];
    for (let first = 0; first < CHUNKS; first += perDocument) {
      const documentId = `d${String(first / perDocument)}`;
      batch.push({
        documentId,
        chunks: vectors.slice(first, first + perDocument).map((vector, offset) => ({
          id: `${documentId}#${String(offset)}`,
          text: `${sentences[(first + offset) % sentences.length] ?? ''} ${documentId}`,
          vector,
        })),
        acl: { tenants: [first % 8 === 0 ? 'globex' : 'acme'], groups: [], users: [] },
        meta: { title: documentId, source: 'bench', producedAt: Date.now() },
      });
      if (batch.length * perDocument >= 10_000 || first + perDocument >= CHUNKS) {
        await big.appendDocuments(batch.splice(0));
        progress(`${String(first + perDocument)} chunks stored`);
      }
    }
    progress('optimizing the store (compaction + full-text index update)');
    await big.optimize();
    const queryVectors = randomVectors(QUERIES, big.dimensions, 7);
    const samples: number[] = [];
    for (const [index, vector] of queryVectors.entries()) {
      const text = sentences[index % sentences.length] ?? '';
      const t0 = performance.now();
      await big.search({ vector, text }, { tenant: 'acme', groups: [] }, 10);
      samples.push(performance.now() - t0);
    }
    const exactQuery = summarize(samples);
    progress(
      `exact-scan hybrid query p50 ${String(exactQuery.p50Ms)} ms; building the vector index`,
    );
    await big.buildVectorIndex();
    const indexedSamples: number[] = [];
    for (const [index, vector] of queryVectors.entries()) {
      const text = sentences[index % sentences.length] ?? '';
      const t0 = performance.now();
      await big.search({ vector, text }, { tenant: 'acme', groups: [] }, 10);
      indexedSamples.push(performance.now() - t0);
    }
    const query = summarize(indexedSamples);
    progress(
      `indexed hybrid query p50 ${String(query.p50Ms)} ms; recall@10 over ${String(RECALL_QUERIES)} queries`,
    );
    let found = 0;
    for (const vector of randomVectors(RECALL_QUERIES, big.dimensions, 11)) {
      const principal = { tenant: 'acme', groups: [] };
      const approximate = new Set(await big.nearest(vector, principal, 10));
      for (const id of await big.nearest(vector, principal, 10, true)) {
        if (approximate.has(id)) found += 1;
      }
    }
    const recallAt10 = Math.round((found / (RECALL_QUERIES * 10)) * 10_000) / 10_000;
    const chunks = await big.countChunks();
    big.close();

    const result = {
      machine: { cpus: cpus().length, node: process.version },
      freshness: { p50Ms: freshness.p50Ms, p99Ms: freshness.p99Ms, documents: freshness.n },
      steadyRatePerSec: RATE,
      seconds: SECONDS,
      query: { p50Ms: query.p50Ms, p99Ms: query.p99Ms, chunks },
      queryExactScan: { p50Ms: exactQuery.p50Ms, p99Ms: exactQuery.p99Ms },
      recallAt10,
      indexDocsPerSec: Math.round((indexed / elapsed) * 10) / 10,
      note: 'Freshness = indexer store commit time minus the Kafka record timestamp, per document, at a steady produce rate (1 KB documents, 3 chunks each, one embedding run per chunk on the CPU). indexDocsPerSec is limited by the produce rate here, not a maximum. Query = hybrid search (vector + BM25 + RRF) with the entitlement filter inside the query, over a store filled with seeded random unit vectors (4 chunks per document, 7 of 8 documents in the queried tenant), with an HNSW-SQ vector index; queryExactScan is the same before the index was built. recallAt10 = overlap of the indexed and the exact (index bypassed) vector top 10 under the same entitlement filter, 1000 seeded random queries.',
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/rag.json', `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await embedder.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
