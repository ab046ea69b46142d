import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validateConfig } from '../config/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import { connectionFromConfig } from '../kafka/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import {
  buildProbes,
  html,
  plantDocuments,
  probeFamilies,
  removePlantedDocuments,
  runProbes,
  summarise,
  table,
} from '../redteam/index.ts';
import type { ProbeFamily, RedteamReport, Target } from '../redteam/index.ts';

export interface RedteamFlags {
  target?: string | undefined;
  'api-key'?: string | undefined;
  model?: string | undefined;
  probes?: string | undefined;
  out?: string | undefined;
  compare?: string | undefined;
  'compare-api-key'?: string | undefined;
  'fail-above'?: string | undefined;
  concurrency?: string | undefined;
  seed?: string | undefined;
  'per-family'?: string | undefined;
  'max-tokens'?: string | undefined;
  'plant-kafka'?: string | undefined;
  'plant-topic'?: string | undefined;
  'plant-tenant'?: string | undefined;
  'plant-wait'?: string | undefined;
  attempts?: string | undefined;
  datasets?: string | undefined;
}

function positiveInt(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `--${flag} must be a positive integer, not ${value}`,
    });
  }
  return parsed;
}

/**
 * `guardstream redteam --target URL [--api-key K] [--model M] [--probes LIST] [--out FILE]
 * [--compare URL2] [--fail-above RATE]`: attacks an OpenAI-compatible endpoint and reports what
 * got through. Exit 1 when an attack family's success rate is above --fail-above.
 */
export async function redteamCommand(
  flags: RedteamFlags,
  io: {
    out: (text: string) => void;
    err: (text: string) => void;
    cwd: string;
    env?: Readonly<Record<string, string | undefined>>;
  },
): Promise<number> {
  if (flags.target === undefined) {
    io.err(
      'Usage: guardstream redteam --target URL [--api-key K] [--model M] [--probes LIST] [--out report.html|report.json] [--compare URL2] [--fail-above RATE]\n',
    );
    return 2;
  }
  const families = (flags.probes?.split(',').map((name) => name.trim()) ?? [
    ...probeFamilies,
  ]) as ProbeFamily[];
  const unknown = families.filter((family) => !probeFamilies.includes(family));
  if (unknown.length > 0) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `unknown probe families: ${unknown.join(', ')} (known: ${probeFamilies.join(', ')})`,
    });
  }
  const seed = positiveInt(flags.seed, 20261125, 'seed');
  const defaultDatasets = resolve(io.cwd, '../shared/datasets');
  const datasetsDir = flags.datasets ?? (existsSync(defaultDatasets) ? defaultDatasets : undefined);
  const plantKafka = flags['plant-kafka'];
  if (plantKafka !== undefined && flags['plant-tenant'] === undefined) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: '--plant-kafka needs --plant-tenant (the tenant of the API key the scan uses)',
    });
  }
  if (plantKafka === undefined && families.includes('rag_injection')) {
    io.err(
      'rag_injection left out: it plants documents through Kafka (--plant-kafka BOOTSTRAP --plant-tenant TENANT [--plant-topic knowledge])\n',
    );
  }
  const probes = buildProbes({
    seed,
    perFamily: positiveInt(flags['per-family'], 20, 'per-family'),
    families,
    ...(datasetsDir === undefined ? {} : { datasetsDir }),
    ...(plantKafka === undefined || flags['plant-tenant'] === undefined
      ? {}
      : { plantTenant: flags['plant-tenant'] }),
  });
  const plantTopic = flags['plant-topic'] ?? 'knowledge';
  const plantConnection =
    plantKafka === undefined ? undefined : plantConnectionFor(plantKafka, io.env ?? {}, io.cwd);
  if (plantConnection !== undefined) {
    const planted = await plantDocuments(plantConnection, plantTopic, probes);
    const waitSeconds = positiveInt(flags['plant-wait'], 20, 'plant-wait');
    io.err(
      `planted ${String(planted)} documents in ${plantTopic}; waiting ${String(waitSeconds)} s for the indexers\n`,
    );
    await new Promise((done) => setTimeout(done, waitSeconds * 1000));
  }
  const model = flags.model ?? 'smollm2-135m';
  const maxTokens = positiveInt(flags['max-tokens'], 160, 'max-tokens');
  const targets: Target[] = [
    {
      url: flags.target,
      model,
      maxTokens,
      ...(flags['api-key'] === undefined ? {} : { apiKey: flags['api-key'] }),
    },
  ];
  if (flags.compare !== undefined) {
    const key = flags['compare-api-key'] ?? flags['api-key'];
    targets.push({
      url: flags.compare,
      model,
      maxTokens,
      ...(key === undefined ? {} : { apiKey: key }),
    });
  }
  const attemptsFile = resolve(io.cwd, flags.attempts ?? 'redteam-attempts.jsonl');
  const reports: RedteamReport[] = [];
  for (const target of targets) {
    io.err(
      `${target.url}: ${String(probes.length)} probes (${families.join(', ')}); attempts in ${attemptsFile}\n`,
    );
    const attempts = await runProbes(target, probes, {
      concurrency: positiveInt(flags.concurrency, 4, 'concurrency'),
      attemptsFile,
      onProgress: (done, total) => {
        const width = 30;
        const filled = Math.round((done / Math.max(1, total)) * width);
        io.err(
          `\r[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${String(done)}/${String(total)}`,
        );
        if (done === total) io.err('\n');
      },
    });
    reports.push(summarise(attempts, { target: target.url, model, seed }));
  }
  if (plantConnection !== undefined) {
    await removePlantedDocuments(plantConnection, plantTopic, probes);
    io.err(`removed the planted documents from ${plantTopic} (tombstones)\n`);
  }
  io.out(`${table(reports)}\n`);
  if (flags.out !== undefined) {
    const out = resolve(io.cwd, flags.out);
    writeFileSync(
      out,
      out.endsWith('.json')
        ? `${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`
        : html(reports),
    );
    io.err(`report written to ${out}\n`);
  }
  if (flags['fail-above'] !== undefined) {
    const limit = Number(flags['fail-above']);
    const [first] = reports;
    const over =
      first?.families.filter((family) => family.family !== 'benign' && family.rate > limit) ?? [];
    if (over.length > 0) {
      io.err(
        `attack success above ${String(limit)}: ${over.map((f) => `${f.family} ${String(f.rate)}`).join(', ')}\n`,
      );
      return 1;
    }
  }
  return 0;
}

/**
 * The connection to the target's cluster for planting documents: `servers`, with the TLS and
 * SASL settings `guardstream up` would take from the same environment variables
 * (GUARDSTREAM_KAFKA_SASL_*, GUARDSTREAM_KAFKA_OAUTH_CLIENT_SECRET, GUARDSTREAM_KAFKA_TLS_CA_FILE).
 */
export function plantConnectionFor(
  servers: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): KafkaConnection {
  const result = validateConfig(
    { kafka: { bootstrapServers: servers.split(','), clientId: 'guardstream-redteam' } },
    // --plant-kafka names the cluster, whatever the environment names.
    { ...env, KAFKA_BOOTSTRAP_SERVERS: undefined },
  );
  if (!result.ok) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `--plant-kafka: ${result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    });
  }
  return connectionFromConfig(result.config.kafka, result.config.kafka.bootstrapServers, cwd);
}
