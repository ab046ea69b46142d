import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../../src/kafka/index.ts';
import { runCliProcess, spawnCli, waitForOutput } from '../helpers/cli.ts';
import { testBootstrapServers } from '../helpers/kafka.ts';
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
