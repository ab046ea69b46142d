import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  JsonConsumer,
  JsonProducer,
  TopicAdmin,
  compactedTopicConfigs,
} from '../../src/kafka/index.ts';
import type { IncomingRecord, KafkaConnection } from '../../src/kafka/index.ts';
import { eventually, take, testConnection, uniqueName } from '../helpers/kafka.ts';

interface Doc {
  text: string;
  n?: number;
}

function byKeyOf<T>(
  records: readonly IncomingRecord<T>[],
  key: string | null,
): IncomingRecord<T> | undefined {
  return records.find((record) => record.key === key);
}

describe('Kafka client layer against a real broker', () => {
  let connection: KafkaConnection;
  let admin: TopicAdmin;
  let producer: JsonProducer<Doc>;

  before(async () => {
    connection = await testConnection();
    admin = new TopicAdmin(connection);
    producer = new JsonProducer<Doc>(connection);
  });

  after(async () => {
    await producer.close();
    await admin.close();
  });

  it('round-trips keys, JSON values and headers', async () => {
    const topic = uniqueName('roundtrip');
    await admin.ensureTopics([{ name: topic, partitions: 2 }]);
    const receipt = await producer.send([
      {
        topic,
        key: 'doc-1',
        value: { text: 'héllo wörld', n: 1 },
        headers: { source: 'unit', 'trace-id': 'abc' },
      },
      { topic, key: 'doc-2', value: { text: 'second' } },
      // Keyless records are ordinary on Kafka; one once crashed the consumer's decoding.
      { topic, key: null, value: { text: 'no key' } },
    ]);
    assert.equal(receipt.offsets.length > 0, true);

    const consumer = new JsonConsumer<Doc>(connection, { groupId: uniqueName('g') });
    try {
      const records = await take(consumer.consume([topic]), 3, 20_000);
      assert.deepEqual(byKeyOf(records, null)?.value, { text: 'no key' });
      const byKey = new Map(records.map((record) => [record.key, record]));
      assert.deepEqual(byKey.get('doc-1')?.value, { text: 'héllo wörld', n: 1 });
      assert.deepEqual(byKey.get('doc-1')?.headers, { source: 'unit', 'trace-id': 'abc' });
      assert.deepEqual(byKey.get('doc-2')?.value, { text: 'second' });
      assert.deepEqual(byKey.get('doc-2')?.headers, {});
      // Same key, same partition: the ordering guarantee the indexer relies on.
      assert.equal(typeof byKey.get('doc-1')?.partition, 'number');
    } finally {
      await consumer.close();
    }
  });

  it('keeps every record when many sends to one partition are in flight at once', async () => {
    const topic = uniqueName('concurrent');
    await admin.ensureTopics([{ name: topic }]);
    const receipts = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        producer.send([{ topic, key: `k${index}`, value: { text: 'x', n: index } }]),
      ),
    );
    const offsets = receipts.map((receipt) => receipt.offsets[0]?.offset);
    assert.equal(new Set(offsets).size, 50, 'each send got an offset of its own');
    const consumer = new JsonConsumer<Doc>(connection, { groupId: uniqueName('g') });
    try {
      const records = await take(consumer.consume([topic]), 50, 20_000);
      assert.equal(records.length, 50);
    } finally {
      await consumer.close();
    }
  });

  it('resumes a consumer group from its committed offsets after a restart', async () => {
    const topic = uniqueName('resume');
    const groupId = uniqueName('group');
    await admin.ensureTopics([{ name: topic }]);
    await producer.send(
      Array.from({ length: 10 }, (_, index) => ({
        topic,
        key: `k${index}`,
        value: { text: `v${index}`, n: index },
      })),
    );

    const first = new JsonConsumer<Doc>(connection, { groupId });
    const firstBatch = await take(first.consume([topic]), 4, 20_000, (record) => record.commit());
    await first.close();
    assert.deepEqual(
      firstBatch.map((record) => record.value?.n),
      [0, 1, 2, 3],
    );

    const second = new JsonConsumer<Doc>(connection, { groupId });
    try {
      const rest = await take(second.consume([topic]), 6, 30_000, (record) => record.commit());
      assert.deepEqual(
        rest.map((record) => record.value?.n),
        [4, 5, 6, 7, 8, 9],
      );
    } finally {
      await second.close();
    }
  });

  it('keeps the newest value per key on a compacted topic, and a tombstone removes the key', async () => {
    const topic = uniqueName('compacted');
    await admin.ensureTopics([
      {
        name: topic,
        configs: {
          ...compactedTopicConfigs,
          // Roll and clean within seconds so the test observes real compaction.
          'segment.ms': '100',
          'min.cleanable.dirty.ratio': '0.01',
          'delete.retention.ms': '100',
          'min.compaction.lag.ms': '0',
        },
      },
    ]);
    const described = await admin.describeTopic(topic);
    assert.equal(described.configs['cleanup.policy'], 'compact');

    await producer.send([
      { topic, key: 'a', value: { text: 'a-v1' } },
      { topic, key: 'b', value: { text: 'b-v1' } },
      { topic, key: 'a', value: { text: 'a-v2' } },
      { topic, key: 'b', value: null },
      { topic, key: 'a', value: { text: 'a-v3' } },
    ]);

    // Compaction never touches the active segment: keep appending fillers until the cleaner has
    // run over the records above.
    const compacted = await eventually(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await producer.send([{ topic, key: 'filler', value: { text: 'roll' } }]);
        const consumer = new JsonConsumer<Doc>(connection, { groupId: uniqueName('reader') });
        let records: IncomingRecord<Doc>[];
        try {
          records = await take(consumer.consume([topic]), 1_000, 2_000);
        } finally {
          await consumer.close();
        }
        const forA = records.filter((record) => record.key === 'a');
        const bValues = records.filter((record) => record.key === 'b' && record.value !== null);
        return forA.length === 1 && bValues.length === 0 ? records : undefined;
      },
      60_000,
      'the log cleaner to compact the topic',
    );
    const table = new Map<string, Doc>();
    for (const record of compacted) {
      if (record.key === null) continue;
      if (record.value === null) table.delete(record.key);
      else table.set(record.key, record.value);
    }
    assert.deepEqual(table.get('a'), { text: 'a-v3' });
    assert.equal(table.has('b'), false);
  });

  it('hands over bytes that are not JSON with a typed decode error instead of throwing', async () => {
    const topic = uniqueName('garbage');
    await admin.ensureTopics([{ name: topic }]);
    const raw = new JsonProducer<unknown>(connection);
    try {
      await raw.send([{ topic, key: 'ok', value: { text: 'fine' } }]);
    } finally {
      await raw.close();
    }
    // Produce non-JSON bytes through the library directly: JsonProducer cannot write them.
    const { Producer } = await import('@platformatic/kafka');
    const bytes = new Producer({
      clientId: 'garbage',
      bootstrapBrokers: [...connection.bootstrapServers],
    });
    try {
      await bytes.send({
        messages: [{ topic, key: Buffer.from('bad'), value: Buffer.from([0x7b, 0xff, 0xfe]) }],
      });
    } finally {
      await bytes.close();
    }
    const consumer = new JsonConsumer<Doc>(connection, { groupId: uniqueName('g') });
    try {
      const records = await take(consumer.consume([topic]), 2, 20_000);
      const [good, bad] = records;
      assert.ok(good !== undefined && bad !== undefined, `got ${records.length} records`);
      assert.deepEqual(good.value, { text: 'fine' });
      assert.equal(bad.value, null);
      assert.equal(bad.decodeError?.code, 'GS_ERR_KAFKA_SERDE');
      assert.deepEqual(bad.rawValue, Buffer.from([0x7b, 0xff, 0xfe]));
    } finally {
      await consumer.close();
    }
  });

  it('creates topics idempotently and describes them', async () => {
    const topic = uniqueName('admin');
    assert.deepEqual(await admin.ensureTopics([{ name: topic, partitions: 3 }]), [topic]);
    assert.deepEqual(await admin.ensureTopics([{ name: topic, partitions: 3 }]), []);
    const description = await admin.describeTopic(topic);
    assert.equal(description.partitions, 3);
    await admin.deleteTopics([topic]);
    await eventually(
      async () => ((await admin.listTopics()).includes(topic) ? undefined : true),
      10_000,
      'topic deletion',
    );
    await assert.rejects(admin.describeTopic(uniqueName('missing')), { code: 'GS_ERR_NOT_FOUND' });
  });
});
