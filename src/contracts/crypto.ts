import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GuardstreamError } from '../errors/index.ts';

const PREFIX = 'gs:enc:v1';
const KEY_ENV_PREFIX = 'GUARDSTREAM_KEY_';

/**
 * AES-256 keys by id. Keys come from a JSON file (`{"keys": {"<id>": "<base64 32 bytes>"}}`) or
 * from environment variables `GUARDSTREAM_KEY_<ID>`; they are never logged or echoed.
 */
export class Keyring {
  private readonly keys = new Map<string, Buffer>();

  static fromEnv(env: Readonly<Record<string, string | undefined>>): Keyring {
    const ring = new Keyring();
    for (const [name, value] of Object.entries(env)) {
      if (name.startsWith(KEY_ENV_PREFIX) && value !== undefined) {
        ring.add(name.slice(KEY_ENV_PREFIX.length).toLowerCase(), value);
      }
    }
    return ring;
  }

  static fromFile(path: string): Keyring {
    const ring = new Keyring();
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { keys?: Record<string, string> };
    for (const [id, value] of Object.entries(parsed.keys ?? {})) ring.add(id, value);
    return ring;
  }

  add(id: string, base64Key: string): this {
    const key = Buffer.from(base64Key, 'base64');
    if (key.length !== 32) {
      throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
        message: `Key ${id} must be 32 bytes (base64); it has ${key.length}`,
      });
    }
    this.keys.set(id, key);
    return this;
  }

  /** Key id → base64 key pairs, to build the same keyring inside an evaluation thread. */
  entriesForThreads(): [string, string][] {
    return [...this.keys].map(([id, key]) => [id, key.toString('base64')]);
  }

  /** Adds every key of `other`; on the same id, `other` wins. */
  merge(other: Keyring): this {
    for (const [id, key] of other.keys) this.keys.set(id, key);
    return this;
  }

  get(id: string): Buffer {
    const key = this.keys.get(id);
    if (key === undefined) {
      throw new GuardstreamError('GS_ERR_CRYPTO', {
        message: `No key with id ${id} in the keyring`,
      });
    }
    return key;
  }
}

/** Encrypts any JSON value to `gs:enc:v1:<keyId>:<iv>:<ciphertext+tag>` (AES-256-GCM). */
export function encryptValue(value: unknown, keyId: string, keyring: Keyring): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyring.get(keyId), iv);
  // The key id is authenticated too, so a value cannot be relabelled to another key.
  cipher.setAAD(Buffer.from(keyId));
  const body = Buffer.concat([
    cipher.update(JSON.stringify(value), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `${PREFIX}:${keyId}:${iv.toString('base64')}:${body.toString('base64')}`;
}

export function isEncrypted(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(`${PREFIX}:`);
}

/** Decrypts a value written by `encryptValue`; a wrong key or a tampered value fails. */
export function decryptValue(encrypted: string, keyring: Keyring): unknown {
  const parts = encrypted.split(':');
  if (parts.length !== 6 || `${parts[0] ?? ''}:${parts[1] ?? ''}:${parts[2] ?? ''}` !== PREFIX) {
    throw new GuardstreamError('GS_ERR_CRYPTO', { message: 'Not a Guardstream-encrypted value' });
  }
  const [, , , keyId = '', ivText = '', bodyText = ''] = parts;
  const body = Buffer.from(bodyText, 'base64');
  if (body.length < 16)
    throw new GuardstreamError('GS_ERR_CRYPTO', { message: 'Encrypted value is truncated' });
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      keyring.get(keyId),
      Buffer.from(ivText, 'base64'),
    );
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(body.subarray(body.length - 16));
    const plain = Buffer.concat([
      decipher.update(body.subarray(0, body.length - 16)),
      decipher.final(),
    ]);
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch (error) {
    if (error instanceof GuardstreamError) throw error;
    throw new GuardstreamError('GS_ERR_CRYPTO', {
      message: 'Decryption failed: wrong key or tampered value',
      cause: error,
    });
  }
}
