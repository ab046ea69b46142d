import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  JsonConsumer,
  JsonProducer,
  TopicAdmin,
  ensureKafkaInstalled,
} from '../../src/kafka/index.ts';
import type { KafkaConnection } from '../../src/kafka/index.ts';
import { take, testConnection, uniqueName } from '../helpers/kafka.ts';

const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const RECORDS = 200;

/** Writes lines to `topic` with Kafka's own console producer (the Java client), compressed. */
async function produceWithJavaClient(
  bootstrapServers: string,
  topic: string,
  codec: (typeof codecs)[number],
  lines: readonly string[],
): Promise<void> {
  const child = spawn(
    'java',
    [
      '-cp',
      join(ensureKafkaInstalled(), '*'),
      'org.apache.kafka.tools.ConsoleProducer',
      '--bootstrap-server',
      bootstrapServers,
      '--topic',
      topic,
      '--compression-codec',
      codec,
      // One batch of ~200 KB for all the records, so the codec compresses a real batch and
      // snappy-java's stream holds several 32 KB blocks.
      '--producer-property',
      'linger.ms=200',
      '--producer-property',
      'batch.size=1048576',
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin.end(`${lines.join('\n')}\n`);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
}

describe('kafka: batches other producers compressed', () => {
  let connection: KafkaConnection;

  before(async () => {
    connection = await testConnection();
  });

  it('reads every codec the Java client writes, zstd included on Node 20', async () => {
    const topics = Object.fromEntries(codecs.map((codec) => [codec, uniqueName(`codec-${codec}`)]));
    const admin = new TopicAdmin(connection);
    try {
      await admin.ensureTopics(codecs.map((codec) => ({ name: topics[codec] ?? '' })));
    } finally {
      await admin.close();
    }
    const lines = Array.from({ length: RECORDS }, (_, n) =>
      JSON.stringify({ n, text: `record ${String(n)} `.repeat(90) }),
    );
    await Promise.all(
      codecs.map((codec) =>
        produceWithJavaClient(
          connection.bootstrapServers[0] ?? '',
          topics[codec] ?? '',
          codec,
          lines,
        ),
      ),
    );
    for (const codec of codecs) {
      const consumer = new JsonConsumer<{ n: number }>(connection, { groupId: uniqueName('g') });
      try {
        const records = await take(consumer.consume([topics[codec] ?? '']), RECORDS, 30_000);
        assert.deepEqual(
          records.map((record) => record.value?.n),
          lines.map((_, n) => n),
          codec,
        );
        assert.ok(
          records.every((record) => record.decodeError === undefined),
          codec,
        );
      } finally {
        await consumer.close();
      }
    }
  });

  it('writes batches with the codec kafka.compression names, which the Java client reads', async () => {
    const written = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
    const topics = Object.fromEntries(
      [...written, 'none'].map((codec) => [codec, uniqueName(`out-${codec}`)]),
    );
    const admin = new TopicAdmin(connection);
    try {
      await admin.ensureTopics(Object.values(topics).map((name) => ({ name })));
    } finally {
      await admin.close();
    }
    for (const codec of [...written, 'none'] as const) {
      const producer = new JsonProducer<{ n: number; text: string }>(
        codec === 'none' ? connection : { ...connection, compression: codec },
      );
      try {
        await producer.send(
          Array.from({ length: RECORDS }, (_, n) => ({
            topic: topics[codec] ?? '',
            key: 'k',
            value: { n, text: `record ${String(n)} `.repeat(8) },
          })),
        );
      } finally {
        await producer.close();
      }
    }
    // Compressed on the broker's disk, not only readable: each a fraction of the plain topic.
    const sizes = await topicSizesOnDisk(
      connection.bootstrapServers[0] ?? '',
      Object.values(topics),
    );
    const plain = sizes.get(topics.none ?? '') ?? 0;
    assert.ok(plain > 0);
    for (const codec of written) {
      const size = sizes.get(topics[codec] ?? '') ?? Infinity;
      assert.ok(size < plain / 2, `${codec}: ${String(size)} bytes against ${String(plain)} plain`);
    }
    const read = await Promise.all(
      written.map((codec) =>
        consumeWithJavaClient(connection.bootstrapServers[0] ?? '', topics[codec] ?? '', RECORDS),
      ),
    );
    written.forEach((codec, index) => {
      assert.deepEqual(
        read[index]?.map((line) => (JSON.parse(line) as { n: number }).n),
        Array.from({ length: RECORDS }, (_, n) => n),
        codec,
      );
    });
  });
});

/** Reads `count` values from the start of `topic` with Kafka's own console consumer. */
async function consumeWithJavaClient(
  bootstrapServers: string,
  topic: string,
  count: number,
): Promise<string[]> {
  const child = spawn(
    'java',
    [
      '-cp',
      join(ensureKafkaInstalled(), '*'),
      'org.apache.kafka.tools.consumer.ConsoleConsumer',
      '--bootstrap-server',
      bootstrapServers,
      '--topic',
      topic,
      '--from-beginning',
      '--max-messages',
      String(count),
      '--timeout-ms',
      '30000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  return stdout.split('\n').filter((line) => line.startsWith('{'));
}

/** Bytes each topic's partitions hold on the brokers' disks (Kafka's LogDirsCommand). */
async function topicSizesOnDisk(
  bootstrapServers: string,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const child = spawn(
    'java',
    [
      '-cp',
      join(ensureKafkaInstalled(), '*'),
      'org.apache.kafka.tools.LogDirsCommand',
      '--describe',
      '--bootstrap-server',
      bootstrapServers,
      '--topic-list',
      topics.join(','),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  const report = JSON.parse(stdout.split('\n').find((line) => line.startsWith('{')) ?? '{}') as {
    brokers?: { logDirs: { partitions: { partition: string; size: number }[] }[] }[];
  };
  const sizes = new Map<string, number>();
  for (const broker of report.brokers ?? [])
    for (const logDir of broker.logDirs)
      for (const { partition, size } of logDir.partitions) {
        const topic = partition.slice(0, partition.lastIndexOf('-'));
        sizes.set(topic, (sizes.get(topic) ?? 0) + size);
      }
  return sizes;
}
