/**
 * What the rails cost an agent loop. The gateway is stateless, so every request re-reads the
 * whole conversation: each earlier tool result (at `retrieval`) and each earlier call's
 * arguments (the argument rails). Requests carry 0 to 50 earlier tool turns of ~4 KB each and
 * go in-process (`inject`) to a gateway whose upstream answers at once; the baseline, in the same
 * run, is the same gateway with every guard stage empty (parsing, routing, the upstream round
 * trip). The difference is the rails' cost for that much history, paid again on every turn.
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
    messages.push({ role: 'tool', tool_call_id: id, content: paragraph.repeat(24) });
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
      gateway: gatewayConfig,
    }),
    defaultPolicy: configSchema.parse({
      gateway: { ...gatewayConfig, tools: {} },
    }),
  };
  const results: Record<string, Record<string, LatencySummary & { requestKb: number }>> = {};
  try {
    for (const [variant, config] of Object.entries(variants)) {
      const runtime = await startGatewayServices(config);
      const app = buildGateway({ bootstrapServers: ['127.0.0.1:1'], api: runtime.api });
      const byTurns: Record<string, LatencySummary & { requestKb: number }> = {};
      try {
        for (const turns of TURNS) {
          const payload = agentRequest(turns);
          const samples: number[] = [];
          for (let index = 0; index < WARMUP + REQUESTS; index += 1) {
            const started = performance.now();
            const response = await app.inject({
              method: 'POST',
              url: '/v1/chat/completions',
              headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
              payload,
            });
            if (response.statusCode !== 200) {
              throw new Error(
                `${variant} ${String(turns)} turns: HTTP ${String(response.statusCode)}`,
              );
            }
            if (index >= WARMUP) samples.push(performance.now() - started);
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
  const railsMs = Object.fromEntries(
    TURNS.map((turns) => {
      const key = `turns${String(turns)}`;
      const rails =
        (results.defaultPolicy?.[key]?.p50Ms ?? 0) - (results.emptyPolicy?.[key]?.p50Ms ?? 0);
      return [key, Math.round(rails * 100) / 100];
    }),
  );
  const report = {
    machine: { node: process.version },
    requestsPerPoint: REQUESTS,
    toolResultChars: paragraph.length * 24,
    ...results,
    railsP50Ms: railsMs,
    note: 'railsP50Ms: default-policy p50 minus empty-policy p50 at the same history; the gateway re-reads the whole history on every request.',
  };
  writeFileSync(
    join(packageRoot(), 'bench', 'results', 'tools.json'),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  return report;
}
