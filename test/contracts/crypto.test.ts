import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  Keyring,
  compileContract,
  contractSchema,
  decryptValue,
  encryptValue,
  isEncrypted,
} from '../../src/contracts/index.ts';

const key = (): string => randomBytes(32).toString('base64');

describe('field encryption (AES-256-GCM)', () => {
  const ring = new Keyring().add('k1', key());

  it('round-trips any JSON value with the right key', () => {
    for (const value of ['4111 1111 1111 1111', 42, { nested: [1, 'two'] }, null]) {
      const encrypted = encryptValue(value, 'k1', ring);
      assert.ok(isEncrypted(encrypted));
      assert.doesNotMatch(encrypted, /4111/);
      assert.deepEqual(decryptValue(encrypted, ring), value);
    }
  });

  it('is unreadable with another key, a relabelled key id or a tampered body', () => {
    const encrypted = encryptValue('secret', 'k1', ring);
    const otherKeyring = new Keyring().add('k1', key());
    assert.throws(() => decryptValue(encrypted, otherKeyring), { code: 'GS_ERR_CRYPTO' });
    const relabelled = encrypted.replace(':k1:', ':k2:');
    assert.throws(() => decryptValue(relabelled, new Keyring().add('k2', key())), {
      code: 'GS_ERR_CRYPTO',
    });
    const body = encrypted.split(':').at(-1) ?? '';
    const tampered = encrypted.replace(
      body,
      Buffer.from(
        Buffer.from(body, 'base64').map((byte, index) => (index === 0 ? byte ^ 1 : byte)),
      ).toString('base64'),
    );
    assert.throws(() => decryptValue(tampered, ring), { code: 'GS_ERR_CRYPTO' });
    assert.throws(() => decryptValue('plain text', ring), { code: 'GS_ERR_CRYPTO' });
  });

  it('reads keys from GUARDSTREAM_KEY_<ID> and rejects keys that are not 32 bytes', () => {
    const material = key();
    const fromEnv = Keyring.fromEnv({ GUARDSTREAM_KEY_PAYMENTS: material, OTHER: 'x' });
    assert.deepEqual(decryptValue(encryptValue('v', 'payments', fromEnv), fromEnv), 'v');
    assert.throws(() => new Keyring().add('short', Buffer.alloc(16).toString('base64')), {
      code: 'GS_ERR_CONFIG_INVALID',
    });
  });

  it('encrypts a contract field, and refuses a contract whose key is missing', () => {
    const contract = contractSchema.parse({
      name: 'payments',
      source: 's',
      target: 't',
      dlq: 'd',
      guard: false,
      transforms: [{ field: 'card', action: 'encrypt', keyId: 'k1' }],
    });
    const outcome = compileContract(contract, { keyring: ring })({
      key: 'p1',
      value: Buffer.from('{"card":"4111111111111111","amount":5}'),
      headers: {},
    });
    assert.ok(outcome.ok);
    const value = outcome.value as { card: string; amount: number };
    assert.equal(value.amount, 5);
    assert.equal(decryptValue(value.card, ring), '4111111111111111');
    assert.throws(() => compileContract(contract, {}), /contracts\.payments\.transforms\.0\.keyId/);
    assert.throws(
      () =>
        contractSchema.parse({ ...contract, transforms: [{ field: 'card', action: 'encrypt' }] }),
      /encrypt needs a keyId/,
    );
  });
});
