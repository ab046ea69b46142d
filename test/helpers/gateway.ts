import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { GuardstreamConfig } from '../../src/config/index.ts';
import { buildGateway, startGatewayServices } from '../../src/gateway/index.ts';
import type { ChatProvider, GatewayRuntime } from '../../src/gateway/index.ts';

/** A stand-in for the embedded local model that fails the test if it is ever called. */
export function localModelDouble(): ChatProvider {
  const refuse = (): never => {
    throw new Error('the local model double was called');
  };
  return {
    config: {
      name: 'local',
      type: 'local',
      jurisdiction: 'local',
      leavesOrganisation: false,
      timeoutMs: 60_000,
      maxTokens: 256,
    },
    callsTools: false,
    readsImages: false,
    maxChoices: 1,
    complete: refuse,
    stream: refuse,
    close: () => Promise.resolve(),
  };
}

export interface TestGateway {
  app: FastifyInstance;
  runtime: GatewayRuntime;
  /** The OpenAI base URL (`http://127.0.0.1:<port>/v1`). */
  baseURL: string;
  close(): Promise<void>;
}

/**
 * The gateway on 127.0.0.1 without Kafka (no audit sink; health probes a closed port), its local
 * provider replaced by `localModelDouble` so no model file is needed.
 */
export async function startTestGateway(config: GuardstreamConfig): Promise<TestGateway> {
  const runtime = await startGatewayServices(config, {
    providers: new Map([['local', localModelDouble()]]),
  });
  const app = buildGateway({ bootstrapServers: ['127.0.0.1:1'], api: runtime.api });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    app,
    runtime,
    baseURL: `http://127.0.0.1:${String(address.port)}/v1`,
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}

/**
 * The routes most gateway tests need: `eu` (inside the EU) and `us` (leaves the organisation) on
 * the upstream double, and `local`; the model `inside` goes to eu, `frontier` to us, `tiny` to local.
 */
export function doubleRoutes(upstreamUrl: string, inside: string): Record<string, unknown> {
  return {
    providers: [
      { name: 'eu', type: 'openai', baseUrl: upstreamUrl, jurisdiction: 'EU' },
      {
        name: 'us',
        type: 'openai',
        baseUrl: upstreamUrl,
        jurisdiction: 'US',
        leavesOrganisation: true,
      },
      { name: 'local', type: 'local' },
    ],
    models: [
      { name: inside, providers: [{ provider: 'eu', upstreamModel: 'double' }] },
      { name: 'frontier', providers: [{ provider: 'us', upstreamModel: 'double' }] },
      { name: 'tiny', providers: [{ provider: 'local' }] },
    ],
  };
}
