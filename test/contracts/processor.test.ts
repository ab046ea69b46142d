import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Producer } from '@platformatic/kafka';
import { randomBytes } from 'node:crypto';
import {
  ContractProcessor,
  DLQ_HEADER_PREFIX,
  Keyring,
  SOURCE_HEADER_PREFIX,
  contractSchema,
  decryptValue,
} from '../../src/contracts/index.ts';
import { builtInDetectors } from '../../src/detectors/index.ts';
import { GuardEngine, guardPolicySchema } from '../../src/guard/index.ts';
import { JsonConsumer } from '../../src/kafka/index.ts';
import type { IncomingRecord, KafkaConnection } from '../../src/kafka/index.ts';
import { Metrics } from '../../src/metrics/index.ts';
import {
  createContractTopics,
  eventually,
  take,
  testConnection,
  uniqueName,
} from '../helpers/kafka.ts';

describe('contract processor against a real broker', () => {
  let connection: KafkaConnection;
  before(async () => {
    connection = await testConnection();
  });

  /** Raw bytes, as any producer might write them: JsonProducer could not write invalid JSON. */
  async function produceRaw(
    topic: string,
    records: readonly { key: string; value: Buffer }[],
    headers: Readonly<Record<string, string>> = {},
  ): Promise<void> {
    const raw = new Producer({
      clientId: 'raw',
      bootstrapBrokers: [...connection.bootstrapServers],
    });
    try {
      for (const { key, value } of records) {
        await raw.send({
          messages: [
            {
              topic,
              key: Buffer.from(key),
              value,
              headers: new Map(
                Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
              ),
            },
          ],
        });
      }
    } finally {
      await raw.close();
    }
  }

  it('routes valid records to the target and each bad one to the DLQ with reason headers', async () => {
    const base = uniqueName('orders');
    const contract = contractSchema.parse({
      name: 'orders',
      source: `${base}.raw`,
      target: `${base}.clean`,
      dlq: `${base}.dlq`,
      valueSchema: {
        type: 'object',
        required: ['id', 'amount'],
        properties: { amount: { type: 'number' } },
      },
      rules: [{ name: 'positive_amount', expression: 'value.amount > 0' }],
    });
    await createContractTopics(connection, contract);

    const inputs: [string, Buffer][] = [
      ['good', Buffer.from(JSON.stringify({ id: 'good', amount: 3, contact: 'jane@acme.io' }))],
      ['not-json', Buffer.from('hello there')],
      ['bad-utf8', Buffer.from([0x7b, 0xff, 0x7d])],
      ['schema', Buffer.from(JSON.stringify({ id: 'schema', amount: 'three' }))],
      ['rule', Buffer.from(JSON.stringify({ id: 'rule', amount: -1 }))],
      [
        'smuggled',
        Buffer.from(
          JSON.stringify({
            id: 'smuggled',
            amount: 1,
            note: `hi${String.fromCodePoint(0xe0069, 0xe0067)}`,
          }),
        ),
      ],
    ];
    await produceRaw(
      contract.source,
      inputs.map(([key, value]) => ({ key, value })),
      { source: 'test' },
    );

    const processor = new ContractProcessor(connection, contract, {
      guard: new GuardEngine(guardPolicySchema.parse({}), builtInDetectors()),
      groupId: uniqueName('contract'),
    });
    const running = processor.run();
    const targetReader = new JsonConsumer<Record<string, unknown>>(connection, {
      groupId: uniqueName('t'),
    });
    const dlqReader = new JsonConsumer<unknown>(connection, { groupId: uniqueName('d') });
    let clean: IncomingRecord<Record<string, unknown>>[];
    let dead: IncomingRecord<unknown>[];
    try {
      clean = await take(targetReader.consume([contract.target]), 1, 30_000);
      dead = await take(dlqReader.consume([contract.dlq]), 5, 30_000);
    } finally {
      await targetReader.close();
      await dlqReader.close();
      await processor.stop();
      await running.catch(() => undefined);
    }

    assert.equal(clean.length, 1);
    const [first] = clean;
    assert.ok(first);
    assert.equal(first.key, 'good');
    assert.deepEqual(
      first.value,
      { id: 'good', amount: 3, contact: '[EMAIL_1]' },
      'PII is redacted in the target',
    );
    assert.equal(first.headers.source, 'test');

    const byKey = new Map(dead.map((record) => [record.key, record]));
    assert.deepEqual([...byKey.keys()].sort(), [
      'bad-utf8',
      'not-json',
      'rule',
      'schema',
      'smuggled',
    ]);
    const reason = (key: string): string =>
      byKey.get(key)?.headers[`${DLQ_HEADER_PREFIX}reason`] ?? '';
    assert.match(reason('not-json'), /^json: /);
    assert.match(reason('bad-utf8'), /^encoding: /);
    assert.match(reason('schema'), /^schema: \/amount must be number/);
    assert.equal(byKey.get('rule')?.headers[`${DLQ_HEADER_PREFIX}rule`], 'positive_amount');
    assert.equal(byKey.get('smuggled')?.headers[`${DLQ_HEADER_PREFIX}detector`], 'invisible_text');
    const notJson = byKey.get('not-json');
    assert.ok(notJson);
    assert.deepEqual(
      notJson.rawValue,
      Buffer.from('hello there'),
      'the DLQ keeps the original bytes',
    );
    assert.equal(notJson.headers[`${DLQ_HEADER_PREFIX}contract`], 'orders');
    assert.equal(notJson.headers[`${DLQ_HEADER_PREFIX}topic`], contract.source);
    assert.match(notJson.headers[`${DLQ_HEADER_PREFIX}offset`] ?? '', /^\d+$/);
    assert.match(notJson.headers[`${DLQ_HEADER_PREFIX}partition`] ?? '', /^\d+$/);
    assert.match(notJson.headers[`${DLQ_HEADER_PREFIX}timestamp`] ?? '', /^\d+$/);
    assert.equal(notJson.headers.source, 'test', 'original headers are kept');
    assert.deepEqual(processor.counters, { in: 6, out: 1, dlq: 5, restarts: 0 });
  });

  it('exactly-once: output and offsets commit together, and a restart does not repeat records', async () => {
    const base = uniqueName('eos');
    const contract = contractSchema.parse({
      name: 'eos',
      source: `${base}.raw`,
      target: `${base}.clean`,
      dlq: `${base}.dlq`,
      guard: false,
      delivery: 'exactly-once',
      batchRecords: 7,
      valueSchema: { type: 'object', required: ['n'] },
    });
    await createContractTopics(connection, contract);
    const valid = (n: number): { key: string; value: Buffer } => ({
      key: `k${String(n)}`,
      value: Buffer.from(JSON.stringify({ n })),
    });
    await produceRaw(contract.source, [
      ...Array.from({ length: 20 }, (_, n) => valid(n)),
      { key: 'bad', value: Buffer.from('{}') },
    ]);
    const groupId = uniqueName('contract');
    const metrics = new Metrics({ processMetrics: false });
    // Evaluated on a worker thread here; the other tests evaluate inline.
    const first = new ContractProcessor(connection, contract, {
      groupId,
      metrics,
      evaluationThreads: 1,
    });
    const firstRun = first.run();
    const reader = new JsonConsumer<{ n: number }>(connection, { groupId: uniqueName('t') });
    const targetRecords = reader.consume([contract.target]);
    try {
      const firstPass = await take(targetRecords, 20, 30_000);
      assert.deepEqual(
        firstPass.map((record) => record.value?.n),
        Array.from({ length: 20 }, (_, n) => n),
      );
      assert.equal(firstPass[0]?.headers[`${SOURCE_HEADER_PREFIX}offset`], '0');
      await first.stop();
      await firstRun;
      assert.deepEqual(first.counters, { in: 21, out: 20, dlq: 1, restarts: 0 });
      const exposition = await metrics.text();
      assert.match(exposition, /guardstream_contract_records_in_total\{contract="eos"\} 21/);
      assert.match(exposition, /guardstream_contract_records_out_total\{contract="eos"\} 20/);
      assert.match(
        exposition,
        /guardstream_contract_records_dlq_total\{contract="eos",kind="schema"\} 1/,
      );

      // A second instance of the group resumes after the transactionally committed offsets.
      await produceRaw(contract.source, [valid(20)]);
      const second = new ContractProcessor(connection, contract, { groupId });
      const secondRun = second.run();
      try {
        const secondPass = await take(targetRecords, 1, 30_000);
        assert.equal(secondPass[0]?.value?.n, 20);
        await eventually(() => (second.counters.in === 1 ? true : undefined), 10_000, 'commit');
        assert.deepEqual(second.counters, { in: 1, out: 1, dlq: 0, restarts: 0 });
      } finally {
        await second.stop();
        await secondRun;
      }
    } finally {
      await reader.close();
      await first.stop();
      await firstRun.catch(() => undefined);
    }
  });

  it("keeps Confluent's wire format: the clean record carries its source's schema id", async () => {
    const base = uniqueName('framed');
    const contract = contractSchema.parse({
      name: 'framed',
      source: `${base}.raw`,
      target: `${base}.clean`,
      dlq: `${base}.dlq`,
      valueFormat: 'confluent-json',
      transforms: [{ field: 'card', action: 'mask' }],
    });
    await createContractTopics(connection, contract);
    const header = Buffer.from([0, 0, 0, 0, 42]);
    await produceRaw(contract.source, [
      {
        key: 'f1',
        value: Buffer.concat([header, Buffer.from('{"id":"f1","card":"4111 1111 1111 1111"}')]),
      },
      { key: 'f2', value: Buffer.from('{"id":"f2"}') },
    ]);
    const processor = new ContractProcessor(connection, contract, {
      guard: new GuardEngine(guardPolicySchema.parse({}), builtInDetectors()),
      groupId: uniqueName('contract'),
      evaluationThreads: 1,
    });
    const running = processor.run();
    const clean = new JsonConsumer<unknown>(connection, { groupId: uniqueName('t') });
    const dead = new JsonConsumer<unknown>(connection, { groupId: uniqueName('d') });
    try {
      const [passed] = await take(clean.consume([contract.target]), 1, 30_000);
      const raw = passed?.rawValue ?? Buffer.alloc(0);
      assert.deepEqual([...raw.subarray(0, 5)], [0, 0, 0, 0, 42]);
      assert.deepEqual(JSON.parse(raw.subarray(5).toString('utf8')), {
        id: 'f1',
        card: '***************1111',
      });
      const [rejected] = await take(dead.consume([contract.dlq]), 1, 30_000);
      assert.equal(rejected?.key, 'f2');
      assert.match(
        rejected.headers[`${DLQ_HEADER_PREFIX}reason`] ?? '',
        /^encoding: value is not in the Confluent wire format/,
      );
    } finally {
      await clean.close();
      await dead.close();
      await processor.stop();
      await running;
    }
  });

  it('encrypts a field on its way to the target: readable with the key, not without', async () => {
    const base = uniqueName('payments');
    const contract = contractSchema.parse({
      name: 'payments',
      source: `${base}.raw`,
      target: `${base}.clean`,
      dlq: `${base}.dlq`,
      guard: false,
      transforms: [{ field: 'iban', action: 'encrypt', keyId: 'payments' }],
    });
    await createContractTopics(connection, contract);
    await produceRaw(contract.source, [
      { key: 'p1', value: Buffer.from('{"iban":"GB82WEST12345698765432","amount":7}') },
    ]);
    const keyring = new Keyring().add('payments', randomBytes(32).toString('base64'));
    const processor = new ContractProcessor(connection, contract, {
      keyring,
      groupId: uniqueName('contract'),
    });
    const running = processor.run();
    const reader = new JsonConsumer<{ iban: string; amount: number }>(connection, {
      groupId: uniqueName('t'),
    });
    let records: IncomingRecord<{ iban: string; amount: number }>[];
    try {
      records = await take(reader.consume([contract.target]), 1, 30_000);
    } finally {
      await reader.close();
      await processor.stop();
      await running.catch(() => undefined);
    }
    const [record] = records;
    assert.ok(record?.value);
    assert.equal(record.value.amount, 7);
    assert.doesNotMatch(
      record.rawValue?.toString('utf8') ?? '',
      /GB82WEST/,
      'the IBAN never reaches the topic in clear',
    );
    assert.equal(decryptValue(record.value.iban, keyring), 'GB82WEST12345698765432');
    const otherKeyring = new Keyring().add('payments', randomBytes(32).toString('base64'));
    assert.throws(() => decryptValue(record.value?.iban ?? '', otherKeyring), {
      code: 'GS_ERR_CRYPTO',
    });
  });

  it('keeps record order when several small batches are evaluated on threads at once', async () => {
    const base = uniqueName('ordered');
    const contract = contractSchema.parse({
      name: 'ordered',
      source: `${base}.raw`,
      target: `${base}.clean`,
      dlq: `${base}.dlq`,
      guard: false,
      rules: [{ name: 'kept', expression: 'value.keep == true' }],
    });
    await createContractTopics(connection, contract);
    const total = 120;
    await produceRaw(
      contract.source,
      Array.from({ length: total }, (_, n) => ({
        key: `k${String(n)}`,
        value: Buffer.from(JSON.stringify({ n, keep: n % 7 !== 3 })),
      })),
    );
    const rejectedIds = Array.from({ length: total }, (_, n) => n).filter((n) => n % 7 === 3);
    const acceptedIds = Array.from({ length: total }, (_, n) => n).filter((n) => n % 7 !== 3);
    // Batches of 4 on two threads: many batches are in flight at once, so any reordering of
    // their deliveries would show in the target's order.
    const processor = new ContractProcessor(connection, contract, {
      groupId: uniqueName('contract'),
      evaluationThreads: 2,
      maxBatchRecords: 4,
    });
    const running = processor.run();
    const targetReader = new JsonConsumer<{ n: number }>(connection, { groupId: uniqueName('t') });
    const dlqReader = new JsonConsumer(connection, { groupId: uniqueName('d') });
    try {
      const target = await take(
        targetReader.consume([contract.target]),
        acceptedIds.length,
        30_000,
      );
      const dlq = await take(dlqReader.consume([contract.dlq]), rejectedIds.length, 30_000);
      assert.deepEqual(
        target.map((record) => record.value?.n),
        acceptedIds,
      );
      assert.deepEqual(
        dlq.map((record) => record.key),
        rejectedIds.map((n) => `k${String(n)}`),
      );
      await eventually(
        () => (processor.counters.in === total ? true : undefined),
        10_000,
        'every record counted',
      );
    } finally {
      await targetReader.close();
      await dlqReader.close();
      await processor.stop();
      await running.catch(() => undefined);
    }
    assert.deepEqual(processor.counters, {
      in: total,
      out: acceptedIds.length,
      dlq: rejectedIds.length,
      restarts: 0,
    });
  });
});
