import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { configSchema } from '../../src/config/index.ts';
import { builtInDetectors } from '../../src/detectors/index.ts';
import { EMBEDDING_MODEL, Embedder } from '../../src/embedder/index.ts';
import { buildGateway, sha256Hex, startGatewayServices } from '../../src/gateway/index.ts';
import type { GatewayRuntime } from '../../src/gateway/index.ts';
import { GuardEngine, guardPolicySchema } from '../../src/guard/index.ts';
import { TopicAdmin, compactedTopicConfigs } from '../../src/kafka/index.ts';
import type { KafkaConnection } from '../../src/kafka/index.ts';
import { fetchModels } from '../../src/models/index.ts';
import { Indexer, KnowledgeStore, Retriever } from '../../src/rag/index.ts';
import {
  buildProbes,
  plantDocuments,
  removePlantedDocuments,
  runProbes,
} from '../../src/redteam/index.ts';
import { eventually, testConnection, uniqueName } from '../helpers/kafka.ts';
import { UpstreamDouble } from '../helpers/upstream-double.ts';

const KEY = 'gs-redteam-planted';

/**
 * Indirect injection through Kafka, end to end: the scanner plants documents in a knowledge
 * topic, two gateways index it (one enforcing the default policy, one in monitor mode) and
 * answer questions about them through a test double of an upstream LLM that obeys any
 * "start your reply with …" it finds in its context, i.e. a model that falls for the attack.
 */
describe('red team: rag_injection plants documents through Kafka and asks about them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-redteam-planted-'));
  const topic = uniqueName('knowledge');
  const gullible = new UpstreamDouble();
  let connection: KafkaConnection;
  let embedder: Embedder;
  const stacks: {
    mode: 'enforce' | 'monitor';
    store: KnowledgeStore;
    indexer: Indexer;
    running: Promise<void>;
    runtime: GatewayRuntime;
    app: FastifyInstance;
    url: string;
  }[] = [];

  before(async () => {
    connection = await testConnection();
    await gullible.start();
    gullible.behaviour = {
      mode: 'script',
      answer: (messages) => {
        // Obeys every planted order it sees (retrieval returns several planted documents).
        const context = messages.map((message) => message.content).join('\n');
        const orders = [...context.matchAll(/start your reply with (ZX[0-9A-Z]+Q)/gi)];
        return orders.length === 0
          ? 'I found nothing about it.'
          : `${orders.map((order) => order[1] ?? '').join(' ')} Sure.`;
      },
    };
    await fetchModels([EMBEDDING_MODEL]);
    embedder = await Embedder.load();
    const admin = new TopicAdmin(connection);
    await admin.ensureTopics([{ name: topic, configs: compactedTopicConfigs }]);
    await admin.close();
    for (const mode of ['enforce', 'monitor'] as const) {
      const store = await KnowledgeStore.open(join(dir, mode));
      const guard = new GuardEngine(guardPolicySchema.parse({ mode }), builtInDetectors());
      const indexer = new Indexer(connection, {
        topics: [topic],
        store,
        embedder,
        guard,
        groupId: uniqueName(`indexer-${mode}`),
      });
      const running = indexer.run();
      const config = configSchema.parse({
        guard: { mode },
        gateway: {
          providers: [{ name: 'double', type: 'openai', baseUrl: gullible.url }],
          models: [{ name: 'house', providers: [{ provider: 'double' }] }],
          apiKeys: [{ id: 'scanner', sha256: sha256Hex(KEY), tenant: 'acme' }],
        },
      });
      const runtime = await startGatewayServices(config, {
        retriever: new Retriever(store, embedder),
      });
      const app = buildGateway({ bootstrapServers: [], api: runtime.api });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      assert.ok(address !== null && typeof address === 'object');
      const url = `http://127.0.0.1:${String(address.port)}/v1`;
      stacks.push({ mode, store, indexer, running, runtime, app, url });
    }
  });

  after(async () => {
    for (const stack of stacks) {
      await stack.app.close();
      await stack.runtime.close();
      await stack.indexer.stop();
      await stack.running;
      stack.store.close();
    }
    await gullible.stop();
    await embedder.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plants, judges by the planted marker, and removes the documents afterwards', async () => {
    const probes = buildProbes({
      seed: 11,
      perFamily: 4,
      families: ['rag_injection'],
      plantTenant: 'acme',
    });
    assert.equal(probes.length, 4);
    assert.ok(probes.every((probe) => probe.plant !== undefined));
    assert.equal(await plantDocuments(connection, topic, probes), 4);
    for (const stack of stacks) {
      await eventually(
        () => {
          const { indexed, quarantined } = stack.indexer.counters;
          return indexed + quarantined >= 4 ? true : undefined;
        },
        60_000,
        `${stack.mode} indexer saw the planted documents`,
      );
    }

    const rates = new Map<string, number>();
    for (const stack of stacks) {
      const attempts = await runProbes(
        { url: stack.url, model: 'house', apiKey: KEY, maxTokens: 32 },
        probes,
        { concurrency: 2 },
      );
      assert.equal(attempts.length, 4);
      rates.set(stack.mode, attempts.filter((attempt) => attempt.hit).length / attempts.length);
    }
    // Without enforcement the gullible model obeys every planted order: the probes work.
    assert.equal(rates.get('monitor'), 1);
    // With the default policy the indexer quarantines them before they can be retrieved.
    const enforcing = stacks.find((stack) => stack.mode === 'enforce');
    assert.equal(enforcing?.indexer.counters.quarantined, 4);
    assert.equal(rates.get('enforce'), 0);

    await removePlantedDocuments(connection, topic, probes);
    const monitor = stacks.find((stack) => stack.mode === 'monitor');
    assert.ok(monitor !== undefined);
    await eventually(
      () => (monitor.indexer.counters.deleted >= 4 ? true : undefined),
      60_000,
      'the planted documents were deleted from the store',
    );
  });
});
