import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileContract, contractSchema } from '../../src/contracts/index.ts';
import type { ContractOutcome, RawRecord } from '../../src/contracts/index.ts';
import { builtInDetectors } from '../../src/detectors/index.ts';
import { GuardEngine, guardPolicySchema } from '../../src/guard/index.ts';

const contract = contractSchema.parse({
  name: 'orders',
  source: 'orders.raw',
  target: 'orders.clean',
  dlq: 'orders.dlq',
  maxRecordBytes: 2048,
  valueSchema: {
    type: 'object',
    required: ['id', 'amount', 'customer'],
    properties: {
      id: { type: 'string' },
      amount: { type: 'number' },
      customer: {
        type: 'object',
        properties: { email: { type: 'string' }, card: { type: 'string' } },
      },
    },
  },
  rules: [
    { name: 'positive_amount', expression: 'value.amount > 0', message: 'amount must be positive' },
    { name: 'key_matches_id', expression: 'key == value.id' },
  ],
  transforms: [{ field: 'customer.card', action: 'mask' }],
});
const guard = new GuardEngine(guardPolicySchema.parse({}), builtInDetectors());
const evaluate = compileContract(contract, { guard, hashSalt: 'test-salt' });

const record = (value: unknown, key = 'o-1'): RawRecord => ({
  key,
  value: Buffer.isBuffer(value)
    ? value
    : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: {},
});
const valid = {
  id: 'o-1',
  amount: 12.5,
  customer: { email: 'jane@acme.io', card: '4111111111111111' },
  note: 'ok',
};
const rejected = (outcome: ContractOutcome): Exclude<ContractOutcome, { ok: true }> => {
  assert.equal(outcome.ok, false, JSON.stringify(outcome));
  return outcome;
};

describe('contract evaluation', () => {
  it('passes a valid record, masking the card and redacting PII found by the ingest policy', () => {
    const outcome = evaluate(record(valid));
    assert.equal(outcome.ok, true);
    const value = outcome.value as { customer: { email: string; card: string } };
    assert.equal(value.customer.email, '[EMAIL_1]');
    assert.equal(value.customer.card, '************1111');
    assert.ok(outcome.redactedFields >= 2);
  });

  it('redacts each field in place, also when a field holds the separator of the joined scan', () => {
    // The fields are scanned as one text joined by a vertical tab between newlines; a field that
    // holds a vertical tab is scanned field by field (placeholders then count per field).
    for (const [note, expected] of [
      ['call bob@acme.io', 'call [EMAIL_2]'],
      ['call bob@acme.io\u000b\nor not', 'call [EMAIL_1]\u000b\nor not'],
    ] as const) {
      const outcome = evaluate(record({ ...valid, note }));
      assert.equal(outcome.ok, true);
      const value = outcome.value as { customer: { email: string }; note: string };
      assert.equal(value.customer.email, '[EMAIL_1]');
      assert.equal(value.note, expected);
    }
  });

  it('rejects each kind of bad record with a precise reason', () => {
    assert.equal(rejected(evaluate(record('x'.repeat(3000)))).kind, 'oversized');
    assert.equal(rejected(evaluate(record(Buffer.from([0x7b, 0xff, 0x7d])))).kind, 'encoding');
    assert.equal(rejected(evaluate(record('{"id": "o-1", "amo'))).kind, 'json');
    const schema = rejected(evaluate(record({ id: 'o-1', amount: 'twelve', customer: {} })));
    assert.equal(schema.kind, 'schema');
    assert.match(schema.reason, /\/amount must be number/);
    const rule = rejected(evaluate(record({ ...valid, amount: -1 })));
    assert.deepEqual(
      [rule.kind, rule.rule, rule.reason],
      ['rule', 'positive_amount', 'amount must be positive'],
    );
    assert.equal(rejected(evaluate(record(valid, 'other-key'))).rule, 'key_matches_id');
  });

  it('rejects a record the ingest policy blocks, naming the detector', () => {
    const smuggled = { ...valid, note: `hello${String.fromCodePoint(0xe0069, 0xe0067, 0xe006e)}` };
    const outcome = rejected(evaluate(record(smuggled)));
    assert.deepEqual([outcome.kind, outcome.detector], ['guard', 'invisible_text']);
  });

  it("reads Confluent's wire format when told to, and keeps its schema id", () => {
    const framedContract = compileContract(
      contractSchema.parse({ ...contract, valueFormat: 'confluent-json', guard: false }),
      { hashSalt: 'test-salt' },
    );
    const header = Buffer.from([0, 0, 0, 0x01, 0x2c]);
    const body = Buffer.from(
      JSON.stringify({ id: 'o-1', amount: 3, customer: { card: '4111 1111 1111 1111' } }),
    );
    const passed = framedContract(record(Buffer.concat([header, body])));
    assert.ok(passed.ok);
    assert.equal(passed.schemaId, 300);
    assert.deepEqual(passed.value, {
      id: 'o-1',
      amount: 3,
      customer: { card: '***************1111' },
    });
    for (const [value, reason] of [
      [body, /not in the Confluent wire format/],
      [Buffer.from([1, 0, 0, 0, 1, 0x7b, 0x7d]), /not in the Confluent wire format/],
      [Buffer.from([0, 0, 0, 0]), /not in the Confluent wire format/],
      [Buffer.concat([header, Buffer.from('not json')]), /value is not JSON/],
    ] as const) {
      const rejected = framedContract(record(value));
      assert.ok(!rejected.ok);
      assert.match(rejected.reason, reason);
    }
    assert.equal(
      evaluate(record(Buffer.concat([header, body]))).ok,
      false,
      'plain json by default',
    );
  });

  it('passes tombstones through so deletes propagate', () => {
    assert.deepEqual(evaluate({ key: 'o-1', value: null, headers: {} }), {
      ok: true,
      value: null,
      redactedFields: 0,
      flagged: [],
    });
  });

  it('hashes with the salt and redacts whole fields', () => {
    const hashing = compileContract(
      contractSchema.parse({
        name: 'h',
        source: 's',
        target: 't',
        dlq: 'd',
        guard: false,
        transforms: [
          { field: 'user', action: 'hash' },
          { field: 'secret', action: 'redact' },
        ],
      }),
      { hashSalt: 'pepper' },
    );
    const outcome = hashing(record({ user: 'alice', secret: 'x' }));
    assert.ok(outcome.ok);
    assert.deepEqual(Object.keys(outcome.value as object), ['user']);
    assert.match((outcome.value as { user: string }).user, /^[0-9a-f]{64}$/);
  });

  it('refuses a contract whose CEL rule does not parse, naming its path', () => {
    assert.throws(
      () =>
        compileContract(
          contractSchema.parse({
            name: 'bad',
            source: 's',
            target: 't',
            dlq: 'd',
            rules: [{ name: 'r', expression: 'value.amount >' }],
          }),
        ),
      /contracts\.bad\.rules\.0\.expression/,
    );
  });
});
