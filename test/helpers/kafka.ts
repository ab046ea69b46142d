import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBroker, TopicAdmin, freePort } from '../../src/kafka/index.ts';
import type { KafkaConnection } from '../../src/kafka/index.ts';

let ownBroker: Promise<string> | undefined;

/**
 * The shared broker that scripts/run-tests.ts starts. A test file run on its own (without the
 * runner) gets a broker of its own, killed when the process exits.
 */
export async function testBootstrapServers(): Promise<string> {
  const fromRunner = process.env.KAFKA_BOOTSTRAP_SERVERS;
  if (fromRunner !== undefined && fromRunner !== '') return fromRunner;
  ownBroker ??= (async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'guardstream-test-kafka-'));
    const broker = new LocalBroker({
      port: await freePort(),
      controllerPort: await freePort(),
      dataDir,
      attached: true,
    });
    process.once('exit', () => {
      broker.killNow();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await broker.start();
    // Without this the broker child would keep a lone test file's process alive forever.
    broker.unref();
    return broker.bootstrapServers;
  })();
  return ownBroker;
}

export async function testConnection(
  overrides: Partial<KafkaConnection> = {},
): Promise<KafkaConnection> {
  return {
    bootstrapServers: [await testBootstrapServers()],
    clientId: 'guardstream-test',
    ...overrides,
  };
}

/**
 * A broker of the calling test file's own, for tests that stop or restart it: doing that to the
 * shared one would disturb other test files. `dir` is a scratch folder removed with it.
 */
export async function startOwnBroker(name: string): Promise<{
  broker: LocalBroker;
  connection: KafkaConnection;
  dir: string;
  stop: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), `gs-${name}-`));
  const broker = new LocalBroker({
    port: await freePort(),
    controllerPort: await freePort(),
    dataDir: join(dir, 'kafka'),
    attached: true,
  });
  await broker.start();
  return {
    broker,
    connection: { bootstrapServers: [broker.bootstrapServers], clientId: `${name}-test` },
    dir,
    stop: async () => {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Topic and group names no other test (or earlier run) can collide with. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

/**
 * Reads records until `count` have arrived (or `timeoutMs` passes) and returns them. Commits
 * each record when `commit` is set, the way a processor acknowledges finished work.
 */
export async function take<T>(
  records: AsyncGenerator<T>,
  count: number,
  timeoutMs: number,
  onRecord?: (record: T) => Promise<void>,
): Promise<T[]> {
  const taken: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    while (taken.length < count) {
      const next = await Promise.race([records.next(), timeout]);
      if (next === 'timeout' || next.done === true) break;
      if (onRecord) await onRecord(next.value);
      taken.push(next.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return taken;
}

/** Creates a contract's source, target and dead-letter topics. */
export async function createContractTopics(
  connection: KafkaConnection,
  contract: { source: string; target: string; dlq: string },
): Promise<void> {
  const admin = new TopicAdmin(connection);
  try {
    await admin.ensureTopics(
      [contract.source, contract.target, contract.dlq].map((name) => ({ name })),
    );
  } finally {
    await admin.close();
  }
}
