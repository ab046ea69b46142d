/**
 * What the rails cost an agent loop. The gateway keeps no state between requests, so every
 * request carries the whole conversation: each earlier tool result (read at `retrieval`) and each
 * earlier call's arguments (the argument rails). Two scenarios, in process (`inject`), upstream
 * answering at once, 4 KB tool results:
 * - fixed history: one request with 0 to 50 earlier tool turns, sent 30 times;
 * - a loop: 50 requests, the k-th carrying k earlier turns, each turn's result new (how an
 *   agent runs), timed in all.
 * Three gateways in the same run: every guard stage empty (the baseline: parsing, routing, the
 * upstream round trip), the default policy without the check cache (`checkCacheEntries: 0`),
 * and the default policy with it (the default).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { configSchema } from '../src/config/index.ts';
import { buildGateway, sha256Hex, startGatewayServices } from '../src/gateway/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { summarize } from './stats.ts';
import type { LatencySummary } from './stats.ts';

const KEY = 'gs-bench-tools';
const TURNS = [0, 5, 20, 50] as const;
const REQUESTS = 30;
const WARMUP = 5;

const paragraph =
  'The quarterly figures show revenue of 4.2 million, up 8 percent on the year, with churn flat at 2.1 percent and support tickets down by a fifth after the March release. ';
const LOOP_TURNS = 50;

function agentRequest(turns: number): string {
  const messages: unknown[] = [{ role: 'user', content: 'Summarise the quarterly reports.' }];
  for (let turn = 0; turn < turns; turn += 1) {
    const id = `call_${String(turn)}`;
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id,
          type: 'function',
          function: {
            name: 'read_file',
            arguments: JSON.stringify({ path: `q${String(turn)}.md` }),
          },
        },
      ],
    });
    // Each turn's result is its own text, as each file an agent reads is.
    messages.push({
      role: 'tool',
      tool_call_id: id,
      content: `File q${String(turn)}.md. ${paragraph.repeat(24)}`,
    });
  }
  return JSON.stringify({
    model: 'agent',
    messages,
    tools: [
      {
        type: 'function',
        function: {
          name: 'read_file',
          description: 'Reads a file of the project.',
          parameters: { type: 'object', properties: { path: { type: 'string' } } },
        },
      },
    ],
  });
}

export async function runToolsBench(): Promise<Record<string, unknown>> {
  const upstream = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          choices: [
            { index: 0, message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${String((upstream.address() as AddressInfo).port)}/v1`;
  const gatewayConfig = {
    providers: [{ name: 'up', type: 'openai', baseUrl: url, jurisdiction: 'EU' }],
    models: [{ name: 'agent', providers: [{ provider: 'up' }] }],
    apiKeys: [{ id: 'bench', sha256: sha256Hex(KEY), tenant: 'acme' }],
    tools: { argumentRails: [] as unknown[] },
  };
  const empty = { detectors: [] };
  const variants = {
    emptyPolicy: configSchema.parse({
      guard: { stages: { ingest: empty, input: empty, retrieval: empty, output: empty } },
      gateway: { ...gatewayConfig, checkCacheEntries: 0 },
    }),
    defaultPolicyNoCache: configSchema.parse({
      gateway: { ...gatewayConfig, tools: {}, checkCacheEntries: 0 },
    }),
    defaultPolicy: configSchema.parse({ gateway: { ...gatewayConfig, tools: {} } }),
  };
  type Point = LatencySummary & { requestKb: number };
  const results: Record<string, Record<string, Point>> = {};
  const loops: Record<string, { requests: number; totalMs: number; lastRequestMs: number }> = {};
  try {
    for (const [variant, config] of Object.entries(variants)) {
      const runtime = await startGatewayServices(config);
      const app = buildGateway({ bootstrapServers: ['127.0.0.1:1'], api: runtime.api });
      const send = async (payload: string): Promise<number> => {
        const started = performance.now();
        const response = await app.inject({
          method: 'POST',
          url: '/v1/chat/completions',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          payload,
        });
        if (response.statusCode !== 200) {
          throw new Error(`${variant}: HTTP ${String(response.statusCode)} ${response.body}`);
        }
        return performance.now() - started;
      };
      const byTurns: Record<string, Point> = {};
      try {
        // The loop first, on a fresh cache: the k-th request brings one new result.
        let totalMs = 0;
        let lastRequestMs = 0;
        for (let turns = 0; turns <= LOOP_TURNS; turns += 1) {
          lastRequestMs = await send(agentRequest(turns));
          totalMs += lastRequestMs;
        }
        loops[variant] = {
          requests: LOOP_TURNS + 1,
          totalMs: Math.round(totalMs * 10) / 10,
          lastRequestMs: Math.round(lastRequestMs * 100) / 100,
        };
        for (const turns of TURNS) {
          const payload = agentRequest(turns);
          const samples: number[] = [];
          for (let index = 0; index < WARMUP + REQUESTS; index += 1) {
            const ms = await send(payload);
            if (index >= WARMUP) samples.push(ms);
          }
          byTurns[`turns${String(turns)}`] = {
            ...summarize(samples),
            requestKb: Math.round(payload.length / 102.4) / 10,
          };
        }
      } finally {
        await app.close();
        await runtime.close();
      }
      results[variant] = byTurns;
    }
  } finally {
    await new Promise<void>((resolve) =>
      upstream.close(() => {
        resolve();
      }),
    );
  }
  const railsMs = (variant: string): Record<string, number> =>
    Object.fromEntries(
      TURNS.map((turns) => {
        const key = `turns${String(turns)}`;
        const rails =
          (results[variant]?.[key]?.p50Ms ?? 0) - (results.emptyPolicy?.[key]?.p50Ms ?? 0);
        return [key, Math.round(rails * 100) / 100];
      }),
    );
  const report = {
    machine: { node: process.version },
    requestsPerPoint: REQUESTS,
    toolResultChars: paragraph.length * 24,
    fixedHistory: results,
    railsP50Ms: {
      withoutCache: railsMs('defaultPolicyNoCache'),
      withCache: railsMs('defaultPolicy'),
    },
    loop: loops,
    note: 'railsP50Ms: p50 minus the empty-policy p50 at the same history (fixed history repeats one request, so with the cache every check after the first is remembered). loop: 51 requests of 0..50 earlier turns, each turn a new tool result, total time.',
  };
  writeFileSync(
    join(packageRoot(), 'bench', 'results', 'tools.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  return report;
}
