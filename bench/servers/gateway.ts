/**
 * The benchmark's gateway process: the real gateway (default guard policy) in front of the
 * upstream double given as argv[2]; with argv[3] = "retrieval" it also retrieves from a store
 * of real embeddings. Prints its URL once listening.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/index.ts';
import { Embedder } from '../../src/embedder/index.ts';
import { buildGateway, sha256Hex, startGatewayServices } from '../../src/gateway/index.ts';
import { KnowledgeStore, Retriever } from '../../src/rag/index.ts';
import { serveHealth } from './health.ts';

export const BENCH_KEY = 'gs-bench-key';
const upstreamUrl = process.argv[2] ?? '';
const withRetrieval = process.argv[3] === 'retrieval';

const config = configSchema.parse({
  gateway: {
    providers: [{ name: 'double', type: 'openai', baseUrl: upstreamUrl }],
    models: [{ name: 'bench', providers: [{ provider: 'double' }] }],
    apiKeys: [
      { id: 'bench', sha256: sha256Hex(BENCH_KEY), tenant: 'bench', requestsPerMinute: 1_000_000 },
    ],
  },
});

const dir = mkdtempSync(join(tmpdir(), 'gs-bench-gateway-'));
let retriever: Retriever | undefined;
let embedder: Embedder | undefined;
let store: KnowledgeStore | undefined;
if (withRetrieval) {
  embedder = await Embedder.load();
  store = await KnowledgeStore.open(join(dir, 'store'));
  const topics = ['refunds', 'holidays', 'on-call pages', 'invoices', 'data residency', 'laptops'];
  const texts = Array.from(
    { length: 300 },
    (_, index) =>
      `Policy ${String(index)} about ${topics[index % topics.length] ?? ''}: the rule applies to team ${String(index % 17)} from week ${String(index % 52)} and is reviewed every ${String(1 + (index % 6))} months.`,
  );
  const vectors = await embedder.embed(texts);
  await store.applyChanges(
    texts.map((text, index) => ({
      documentId: `doc-${String(index)}`,
      chunks: [{ id: `doc-${String(index)}#0`, text, vector: vectors[index] ?? [] }],
      acl: { tenants: ['bench'], groups: [], users: [] },
      meta: {
        title: `Policy ${String(index)}`,
        source: 'bench',
        producedAt: Date.now(),
        collection: 'knowledge',
      },
    })),
    [],
  );
  await store.optimize();
  retriever = new Retriever(store, embedder);
}
const runtime = await startGatewayServices(config, retriever === undefined ? {} : { retriever });
const app = buildGateway({ bootstrapServers: [], api: runtime.api });
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : 0;
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${String(port)}/v1` })}\n`);
const health = serveHealth(process.stdin, process.stdout);
process.on('SIGTERM', () => {
  health.stop();
  process.stdin.destroy();
  void (async () => {
    await app.close();
    await runtime.close();
    await embedder?.close();
    store?.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  })();
});
