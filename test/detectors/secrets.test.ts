import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secretsDetector } from '../../src/detectors/index.ts';

const config = secretsDetector.configSchema.parse({});
const kinds = (text: string): string[] =>
  secretsDetector.detect(text, config, { stage: 'ingest' }).map((f) => f.kind);

describe('secrets detector', () => {
  it('finds vendor tokens by their prefixes', () => {
    assert.deepEqual(kinds('key AKIAIOSFODNN7EXAMPLE'), ['aws_access_key_id']);
    assert.deepEqual(kinds(`token ghp_${'a1B2'.repeat(9)}`), ['github_token']);
    assert.deepEqual(kinds(`slack xoxb-123456789012-abcdefABCDEF`), ['slack_token']);
    assert.deepEqual(kinds('stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc'), ['stripe_key']);
    assert.deepEqual(kinds('-----BEGIN RSA PRIVATE KEY-----\nMIIE…'), ['private_key']);
  });

  it('finds JWTs, connection strings with passwords, and credential assignments', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    assert.deepEqual(kinds(`Authorization header ${jwt}`), ['jwt']);
    assert.deepEqual(kinds('DATABASE_URL=postgres://app:s3cr3t-pw@db.internal:5432/prod'), [
      'connection_string_password',
    ]);
    assert.deepEqual(kinds('"password": "hunter22"'), ['credential_assignment']);
    assert.deepEqual(kinds('db_password = swordfish!23'), ['credential_assignment']);
  });

  it("reports the host and user of a password's block, and only there", () => {
    const file =
      '{\n  "host": "db.example.com",\n  "username": "root",\n  "password": "hunter22"\n}';
    const found = secretsDetector.detect(file, config, { stage: 'ingest' });
    assert.deepEqual(
      found.map((finding) => [finding.kind, file.slice(finding.span?.start, finding.span?.end)]),
      [
        ['credential_context', 'db.example.com'],
        ['credential_context', 'root'],
        ['credential_assignment', 'hunter22'],
      ],
    );
    // Without a credential nearby a host is just a host.
    assert.deepEqual(kinds('{\n  "host": "db.example.com",\n  "username": "root"\n}'), []);
    const far = `host = db.example.com\n${'# comment\n'.repeat(10)}password = hunter22`;
    assert.deepEqual(kinds(far), ['credential_assignment']);
    const off = secretsDetector.configSchema.parse({ credentialContext: false });
    assert.deepEqual(
      secretsDetector.detect(file, off, { stage: 'ingest' }).map((finding) => finding.kind),
      ['credential_assignment'],
    );
  });

  it('leaves placeholders and ordinary prose alone', () => {
    assert.deepEqual(kinds('"password": ""'), []);
    assert.deepEqual(kinds('password: ${DB_PASSWORD}'), []);
    assert.deepEqual(kinds('"passwordField": "password"'), []);
    assert.deepEqual(kinds('Reset your password from the account page.'), []);
  });

  it('leaves values that are code alone: environment lookups, calls, configuration fields', () => {
    assert.deepEqual(
      kinds('const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY })'),
      [],
    );
    assert.deepEqual(kinds('  password: faker.internet.password(),'), []);
    assert.deepEqual(kinds('  bos_token: config.bos_token,'), []);
    assert.deepEqual(kinds('DB_PASSWORD = os.getenv("DB_PASSWORD")'), []);
    // A literal in the same place is still a secret.
    assert.deepEqual(kinds("  password: 'secret123',"), ['credential_assignment']);
    assert.deepEqual(kinds('password = Summer(2024)'), ['credential_assignment']);
  });

  it('reports the span of the secret value, not of the whole assignment', () => {
    const text = 'api_key = "Zx81kLmQ"';
    const [finding] = secretsDetector.detect(text, config, { stage: 'ingest' });
    assert.equal(text.slice(finding?.span?.start, finding?.span?.end), 'Zx81kLmQ');
  });

  it('finds a key with invisible characters inside, and spans them too', () => {
    // A soft hyphen and a tag character (two UTF-16 units) inside the key, a zero-width space
    // after it: a reader copies the key; the redaction must take the hidden characters along.
    const text = 'key: AKIA\u00adIOSFODNN7\u{e0041}EXAMPLE \u200bdone';
    const [finding] = secretsDetector.detect(text, config, { stage: 'output' });
    assert.equal(finding?.kind, 'aws_access_key_id');
    const span = finding.span;
    assert.ok(span !== undefined);
    assert.equal(text.slice(span.start, span.end), 'AKIA\u00adIOSFODNN7\u{e0041}EXAMPLE');
  });
});
