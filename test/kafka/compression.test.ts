import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { JsonConsumer, TopicAdmin, ensureKafkaInstalled } from '../../src/kafka/index.ts';
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
      // One batch for many records, so the codec compresses a real batch.
      '--producer-property',
      'linger.ms=50',
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
      JSON.stringify({ n, text: `record ${String(n)} `.repeat(8) }),
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
});
