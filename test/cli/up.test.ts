import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { freePort, packageRoot } from '../../src/kafka/index.ts';
import { runCliProcess, spawnCli, waitForOutput } from '../helpers/cli.ts';
import type { CliResult } from '../helpers/cli.ts';
import { eventually, testBootstrapServers, uniqueName } from '../helpers/kafka.ts';
import { processesMentioning } from '../helpers/processes.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gs-up-'));
  dirs.push(dir);
  return dir;
}

async function embeddedEnv(dataDir: string): Promise<Record<string, string>> {
  return {
    // The test runner exports its shared broker; these commands must start their own.
    KAFKA_BOOTSTRAP_SERVERS: '',
    GUARDSTREAM_KAFKA_PORT: String(await freePort()),
    GUARDSTREAM_KAFKA_CONTROLLER_PORT: String(await freePort()),
    GUARDSTREAM_KAFKA_DATA_DIR: dataDir,
    GUARDSTREAM_SERVER_PORT: String(await freePort()),
    GUARDSTREAM_RAG_DATA_DIR: join(dataDir, 'rag'),
  };
}

describe('guardstream up (the README run command)', () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('brings up Kafka and /healthz, and Ctrl-C stops everything with no java left', async () => {
    const dataDir = tempDir();
    const env = await embeddedEnv(dataDir);
    const child = spawnCli(['up'], env);
    try {
      const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 90_000);
      assert.match(
        banner,
        new RegExp(`embedded broker 127\\.0\\.0\\.1:${env.GUARDSTREAM_KAFKA_PORT ?? ''}`),
      );
      const response = await fetch(`http://127.0.0.1:${env.GUARDSTREAM_SERVER_PORT ?? ''}/healthz`);
      assert.equal(response.status, 200);
      const health = (await response.json()) as { status: string; kafka: { reachable: boolean } };
      assert.equal(health.status, 'ok');
      assert.equal(health.kafka.reachable, true);
      assert.notDeepEqual(processesMentioning(dataDir), [], 'the broker runs while up');

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      assert.deepEqual(processesMentioning(dataDir), [], 'no broker process is left');
      assert.equal(existsSync(join(dataDir, 'broker.pid')), false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('starts nothing when a cluster is named', async () => {
    const dataDir = tempDir();
    const env = {
      ...(await embeddedEnv(dataDir)),
      KAFKA_BOOTSTRAP_SERVERS: await testBootstrapServers(),
    };
    const child = spawnCli(['up'], env);
    try {
      const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 30_000);
      assert.match(banner, /external cluster/);
      assert.deepEqual(processesMentioning(dataDir), []);
      assert.equal(existsSync(join(dataDir, 'logs')), false, 'no storage was formatted');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('guardstream up when its cluster goes away', () => {
  it('stops within its shutdown bound instead of waiting out every client retry', async () => {
    const dataDir = tempDir();
    const env = await embeddedEnv(dataDir);
    const cluster = `127.0.0.1:${env.GUARDSTREAM_KAFKA_PORT ?? ''}`;
    const started = await runCliProcess(['kafka', 'start'], env);
    assert.equal(started.code, 0, started.stderr);
    const child = spawnCli(['up', '--config', join(packageRoot(), 'examples/guardstream.yaml')], {
      ...env,
      KAFKA_BOOTSTRAP_SERVERS: cluster,
      GUARDSTREAM_SHUTDOWN_STEP_MS: '3000',
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    try {
      await waitForOutput(child, /Press Ctrl-C to stop/, 90_000);
      const stopped = await runCliProcess(['kafka', 'stop'], env);
      assert.equal(stopped.code, 0, stopped.stderr);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const signalled = Date.now();
      child.kill('SIGTERM');
      // Without the bound: 30–58 s measured (the indexer's and the contract's last Kafka calls
      // each wait out the client's retries); with it, two parts of 3 s here.
      assert.equal(await exited, 0, stderr);
      const seconds = (Date.now() - signalled) / 1000;
      assert.ok(seconds < 15, `took ${seconds.toFixed(1)} s to stop; stderr:\n${stderr}`);
    } finally {
      child.kill('SIGKILL');
      await runCliProcess(['kafka', 'stop'], env);
    }
  });
});

describe('the main job (npm start) with the example configuration and knowledge', () => {
  it('loads the knowledge through Kafka, shows an answer, a block and a tenant boundary, and runs the contract', async () => {
    const dir = tempDir();
    // The README's main-job configuration, with topic names no other test shares.
    const example = parse(
      readFileSync(join(packageRoot(), 'examples/guardstream.yaml'), 'utf8'),
    ) as {
      contracts: Record<string, unknown>[];
      rag: { collections: { topic: string }[]; groupId?: string };
      gateway: { auditTopic?: string };
    };
    const base = uniqueName('customers');
    const [contract] = example.contracts;
    assert.ok(contract);
    Object.assign(contract, {
      source: `${base}.raw`,
      target: `${base}.clean`,
      dlq: `${base}.dlq`,
    });
    example.rag.collections = [{ topic: `${base}.knowledge` }];
    example.rag.groupId = `${base}.indexer`;
    example.gateway.auditTopic = `${base}.audit`;
    const configFile = join(dir, 'guardstream.yaml');
    writeFileSync(configFile, stringify(example));
    const env: Record<string, string> = {
      ...(await embeddedEnv(join(dir, 'kafka'))),
      KAFKA_BOOTSTRAP_SERVERS: await testBootstrapServers(),
    };
    const knowledge = join(packageRoot(), 'examples/knowledge.jsonl');
    const child = spawnCli(
      ['up', '--config', configFile, '--load-knowledge', knowledge, '--demo'],
      env,
    );
    try {
      const banner = await waitForOutput(child, /Press Ctrl-C to stop/, 120_000);
      assert.match(banner, new RegExp(`customers: ${base}\\.raw -> ${base}\\.clean`));
      assert.match(
        banner,
        /5 documents produced to .*; 4 indexed, 1 quarantined \(acme-shipping-faq\)/,
      );
      // The three example requests, in order: an answer, a block, a tenant boundary.
      const outcomes = [
        ...banner.matchAll(/-> (HTTP \d+[^\n]*)\n\s+documents in the prompt: ([^\n]*)/g),
      ];
      assert.equal(outcomes.length, 3, banner);
      const [answer, block, boundary] = outcomes;
      assert.match(answer?.[1] ?? '', /^HTTP 200/);
      assert.match(answer?.[2] ?? '', /acme-returns/);
      assert.match(block?.[1] ?? '', /^HTTP 400 GS_ERR_GUARD_BLOCKED: .*prompt_injection/);
      assert.match(boundary?.[1] ?? '', /^HTTP 200/);
      assert.match(boundary?.[2] ?? '', /globex-returns/);
      assert.doesNotMatch(boundary?.[2] ?? '', /acme/);
      for (const outcome of outcomes) {
        assert.doesNotMatch(
          outcome[2] ?? '',
          /acme-shipping-faq/,
          'the poisoned document is never used',
        );
      }
      const produce = (record: string): Promise<CliResult> =>
        runCliProcess(['kafka', 'produce', `${base}.raw`, '--record', record], env);
      assert.equal((await produce('{"id":"c-1","email":"ana@example.com"}')).code, 0);
      assert.equal((await produce('{"id":"x-2","email":"bo@example.com"}')).code, 0);
      const metricsUrl = `http://127.0.0.1:${env.GUARDSTREAM_SERVER_PORT ?? ''}/metrics`;
      const text = await eventually(
        async () => {
          const body = await (await fetch(metricsUrl)).text();
          return /guardstream_contract_records_dlq_total\{contract="customers",kind="rule"\} 1/.test(
            body,
          ) && /guardstream_contract_records_out_total\{contract="customers"\} 1/.test(body)
            ? body
            : undefined;
        },
        30_000,
        'one record out and one in the DLQ on /metrics',
      ).catch(async (error: unknown) => {
        const body = await (await fetch(metricsUrl)).text();
        throw new Error(
          `${String(error)}\n${body
            .split('\n')
            .filter((line) => line.startsWith('guardstream_contract'))
            .join('\n')}`,
        );
      });
      assert.match(text, /guardstream_contract_records_in_total\{contract="customers"\} 2/);
      // RAG and gateway metrics of the same run.
      assert.match(text, /guardstream_rag_documents_total\{outcome="indexed"\} 4/);
      assert.match(text, /guardstream_rag_documents_total\{outcome="quarantined"\} 1/);
      assert.match(text, /guardstream_rag_freshness_seconds_count [1-9]/);
      assert.match(text, /guardstream_rag_index_chunks [1-9]/);
      assert.match(text, /guardstream_rag_query_duration_seconds_count [1-9]/);
      assert.match(
        text,
        /guardstream_gateway_rail_actions_total\{stage="input",action="block"\} 1/,
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('guardstream kafka start|status|stop', () => {
  it('runs a detached broker that outlives the command and stops on request', async () => {
    const dataDir = tempDir();
    const env = await embeddedEnv(dataDir);
    try {
      const started = await runCliProcess(['kafka', 'start'], env);
      assert.equal(started.code, 0, started.stderr);
      assert.match(started.stdout, /Kafka running on 127\.0\.0\.1:\d+ \(pid \d+\)/);

      const status = await runCliProcess(['kafka', 'status', '--json'], env);
      assert.equal(status.code, 0, status.stderr);
      const report = JSON.parse(status.stdout) as {
        running: boolean;
        reachable: boolean;
        brokers: number;
      };
      assert.deepEqual([report.running, report.reachable, report.brokers], [true, true, 1]);

      const again = await runCliProcess(['kafka', 'start'], env);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /already running/);

      const stopped = await runCliProcess(['kafka', 'stop'], env);
      assert.equal(stopped.code, 0);
      assert.match(stopped.stdout, /Kafka stopped/);
      assert.deepEqual(processesMentioning(dataDir), []);

      const after = await runCliProcess(['kafka', 'status'], env);
      assert.equal(after.code, 1);
      assert.match(after.stdout, /not running/);
    } finally {
      await runCliProcess(['kafka', 'stop'], env);
    }
  });
});
