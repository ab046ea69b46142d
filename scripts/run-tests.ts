/**
 * The test command's runner: one real Kafka broker for the whole run, every test file against
 * it, and the broker stopped afterwards whatever happens (pass, fail, Ctrl-C, SIGTERM). If this
 * process is killed outright, the broker's parent-death signal stops it too.
 *
 * Usage: node --import tsx scripts/run-tests.ts [path-or-folder ...]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LocalBroker, ensureKafkaInstalled, freePort, packageRoot } from '../src/kafka/index.ts';
import { fetchModels } from '../src/models/index.ts';

const root = packageRoot();

function collectTests(target: string): string[] {
  const stats = statSync(target);
  if (stats.isFile()) return [target];
  return readdirSync(target)
    .sort()
    .flatMap((entry) => {
      const path = join(target, entry);
      return statSync(path).isDirectory() || entry.endsWith('.test.ts') ? collectTests(path) : [];
    });
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets : [join(root, 'test')]).flatMap((target) =>
  collectTests(target),
);
if (files.length === 0) {
  console.error('No test files found.');
  process.exit(1);
}

const log = (message: string): void => {
  process.stderr.write(`[test-runner] ${message}\n`);
};

ensureKafkaInstalled({ onProgress: log });
// Every pinned model once, before any test needs one, so parallel test files never race to download.
await fetchModels(undefined, { onProgress: log });
const dataDir = mkdtempSync(join(tmpdir(), 'guardstream-test-kafka-'));
const broker = new LocalBroker({
  port: await freePort(),
  controllerPort: await freePort(),
  dataDir,
  heapMb: 768,
  attached: true,
  onProgress: log,
});

let stopping: Promise<void> | undefined;
function stopBroker(): Promise<void> {
  stopping ??= (async () => {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
    log('broker stopped');
  })();
  return stopping;
}

let child: ReturnType<typeof spawn> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping tests and broker`);
    child?.kill('SIGTERM');
    void stopBroker().finally(() => process.exit(130));
  });
}
process.once('exit', () => {
  broker.killNow();
});

let passed = 0;
let failed = 0;
let exitCode = 1;
try {
  const started = Date.now();
  await broker.start();
  log(`broker ready on ${broker.bootstrapServers} in ${Date.now() - started} ms`);

  exitCode = await new Promise<number>((resolve) => {
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=spec',
        '--test-concurrency=2',
        ...files.map((file) => relative(root, file)),
      ],
      {
        cwd: root,
        env: { ...process.env, KAFKA_BOOTSTRAP_SERVERS: broker.bootstrapServers },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      process.stdout.write(text);
      // Cancelled tests (a hook that threw, a timeout) count as failures in the summary.
      for (const match of text.matchAll(/^ℹ (pass|fail|cancelled) (\d+)$/gm)) {
        if (match[1] === 'pass') passed = Number(match[2]);
        else failed += Number(match[2]);
      }
    });
    child.on('exit', (code, signal) => {
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await stopBroker();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode === 0 && failed === 0 && passed > 0 ? 0 : 1);
