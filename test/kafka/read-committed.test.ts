import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { JsonConsumer, TopicAdmin } from '../../src/kafka/index.ts';
import { eventually, testConnection, uniqueName } from '../helpers/kafka.ts';

/**
 * A read_committed reader must skip every aborted transaction, also when one fetch response holds
 * several aborted transactions of one producer. @platformatic/kafka 1.35's filter kept one aborted
 * range per producer and per response, so the earlier aborted records came through; the
 * postinstall patch (scripts/patch-platformatic-kafka.mjs) replaces it. This failed before it.
 */
describe('read_committed consumers skip every aborted transaction', () => {
  it('delivers only committed records when one producer aborts, commits, aborts, commits', async () => {
    const connection = await testConnection();
    const topic = uniqueName('read-committed');
    const admin = new TopicAdmin(connection);
    await admin.ensureTopics([{ name: topic }]);
    await admin.close();

    const producer = new Producer({
      clientId: 'read-committed-test',
      bootstrapBrokers: [...connection.bootstrapServers],
      serializers: stringSerializers,
      idempotent: true,
      transactionalId: uniqueName('txn'),
      acks: ProduceAcks.ALL,
      producerId: -1n,
      producerEpoch: -1,
    });
    const steps: { values: string[]; commit: boolean }[] = [
      { values: ['a1', 'a2', 'a3'], commit: false },
      { values: ['b1', 'b2'], commit: true },
      { values: ['c1', 'c2', 'c3'], commit: false },
      { values: ['d1'], commit: true },
      { values: ['e1', 'e2'], commit: false },
      { values: ['f1', 'f2'], commit: true },
    ];
    try {
      for (const step of steps) {
        const transaction = await producer.beginTransaction();
        await transaction.send({
          messages: step.values.map((value) => ({
            topic,
            key: value,
            value: JSON.stringify(value),
          })),
        });
        if (step.commit) await transaction.commit();
        else await transaction.abort();
      }
    } finally {
      await producer.close();
    }

    const reader = new JsonConsumer(connection, { groupId: uniqueName('reader') });
    const seen: string[] = [];
    try {
      const records = reader.consume([topic]);
      await eventually(
        async () => {
          const next = await Promise.race([
            records.next(),
            new Promise<undefined>((resolve) => setTimeout(resolve, 3_000, undefined)),
          ]);
          if (next === undefined || next.done === true) return true;
          seen.push(String(next.value.value));
          return undefined;
        },
        60_000,
        'the topic read to its end',
      );
    } finally {
      await reader.close();
    }
    assert.deepEqual(seen, ['b1', 'b2', 'd1', 'f1', 'f2']);
  });
});
