import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { builtInDetectors, bundledModelPath, secretsDetector } from '../../src/detectors/index.ts';
import { GuardEngine, guardPolicySchema } from '../../src/guard/index.ts';

const config = secretsDetector.configSchema.parse({ gitleaks: true });
const found = (text: string): [string, string, string][] =>
  secretsDetector
    .detect(text, config, { stage: 'input' })
    .map((finding) => [
      finding.kind,
      finding.evidence.split(' ')[2] ?? '',
      text.slice(finding.span?.start, finding.span?.end),
    ]);

describe("secrets: gitleaks' rules", () => {
  it('finds token formats that only gitleaks knows, with the rule and the token span', () => {
    // Random strings in each provider's published format (not real credentials).
    const tokens: [string, string][] = [
      ['shopify-access-token', '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'],
      ['databricks-api-token', 'dapi36b3216fdaeeb975729fae923d5a4fd1'],
      ['doppler-api-token', 'dp.pt.9QeWJKY40uvSwMFLZDe1f8rESQedUStPKR0CsTy4Qwb'],
      ['linear-api-key', 'lin_api_8DwkNhFdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9o'],
      ['huggingface-access-token', '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'],
      ['postman-api-token', 'PMAK-cccc3fc1626e53a13043b026-c48bbf33feff9243a8f506b40928b5b7a7'],
    ];
    for (const [rule, token] of tokens) {
      assert.deepEqual(found(`Here is the token you asked for: ${token} (keep it safe)`), [
        ['provider_token', rule, token],
      ]);
    }
  });

  it('gives spans in the text, past characters that take more than one byte', () => {
    const shopify = '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';
    const databricks = 'dapi36b3216fdaeeb975729fae923d5a4fd1';
    // The later rule's token comes first, so offsets are found out of order too.
    const text = `Clé 🔑 : ${shopify} — déjà vu — ${databricks} ✓`;
    assert.deepEqual(
      found(text).map(([, rule, span]) => [rule, span]),
      [
        ['shopify-access-token', shopify],
        ['databricks-api-token', databricks],
      ],
    );
  });

  it("leaves a span to the detector's own pattern when both match", () => {
    assert.deepEqual(
      found(`token ghp_${'a1B2'.repeat(9)}`).map(([kind]) => kind),
      ['github_token'],
    );
  });

  it('applies entropy floors, allowlists and keywords', () => {
    // Below databricks' entropy floor of 3 bits per character.
    assert.deepEqual(found(`dapi${'0'.repeat(32)} `), []);
    // gitleaks' global stopword: the alphabet run is a placeholder, not a key.
    assert.deepEqual(found('lin_api_abcdefghijklmnopqrstuvwxyz0123456789ABCD'), []);
    // No keyword of any rule: no rule runs.
    assert.deepEqual(found('The quarterly report is attached; revenue rose 4% on the year.'), []);
  });

  it('is off unless a policy turns it on, as the default policies do except at ingest', () => {
    const token = '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';
    const plain = secretsDetector.configSchema.parse({});
    assert.deepEqual(secretsDetector.detect(token, plain, { stage: 'input' }), []);
    const engine = new GuardEngine(guardPolicySchema.parse({}), builtInDetectors());
    const kindsAt = (stage: 'ingest' | 'input' | 'retrieval' | 'output'): string[] =>
      engine
        .check(`the token is ${token}`, { stage })
        .findings.filter((finding) => finding.detector === 'secrets')
        .map((finding) => finding.kind);
    assert.deepEqual(kindsAt('input'), ['provider_token']);
    assert.deepEqual(kindsAt('retrieval'), ['provider_token']);
    assert.deepEqual(kindsAt('output'), ['provider_token']);
    assert.deepEqual(kindsAt('ingest'), []);
  });

  it('ships the pinned import with its provenance and licence', () => {
    const file = JSON.parse(readFileSync(bundledModelPath('gitleaks-rules'), 'utf8')) as {
      provenance: { source: string; licence: string; sha256: string; rules: number };
      rules: unknown[];
    };
    assert.match(file.provenance.source, /gitleaks\/v8 v8\.30\.1/);
    assert.equal(file.provenance.licence, 'MIT');
    assert.equal(file.provenance.rules, file.rules.length);
    assert.ok(file.rules.length >= 200);
  });
});
