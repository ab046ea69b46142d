import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { builtInDetectors, defineDetector } from '../../src/detectors/index.ts';
import {
  GuardEngine,
  PlaceholderVault,
  anonymize,
  guardPolicySchema,
} from '../../src/guard/index.ts';

const defaultEngine = (): GuardEngine =>
  new GuardEngine(guardPolicySchema.parse({}), builtInDetectors());

const failing = defineDetector({
  meta: {
    name: 'always_throws',
    description: 'test double',
    stages: ['input'],
    cost: 'cheap',
    kinds: [],
  },
  configSchema: z.strictObject({}),
  detect: () => {
    throw new Error('model file missing');
  },
});

const slow = defineDetector({
  meta: {
    name: 'slow',
    description: 'test double: busy for 30 ms',
    stages: ['input'],
    cost: 'expensive',
    kinds: [],
  },
  configSchema: z.strictObject({}),
  detect: () => {
    const until = Date.now() + 30;
    while (Date.now() < until) {
      // Busy on purpose: a synchronous detector that overruns its budget.
    }
    return [];
  },
});

function engineWith(rules: object[], mode: 'enforce' | 'monitor' = 'enforce'): GuardEngine {
  const registry = builtInDetectors().register(failing).register(slow);
  return new GuardEngine(
    guardPolicySchema.parse({ mode, stages: { input: { detectors: rules } } }),
    registry,
  );
}

describe('guard engine', () => {
  it('redacts PII and secrets at ingest with stable placeholders that a vault restores', () => {
    const vault = new PlaceholderVault();
    const text = 'Ask jane@acme.io or jane@acme.io; card 4111 1111 1111 1111; password=hunter22';
    const result = defaultEngine().check(text, { stage: 'ingest' }, vault);
    assert.equal(result.decision, 'redact');
    assert.equal(
      result.text,
      'Ask [EMAIL_1] or [EMAIL_1]; card [CREDIT_CARD_1]; password=[CREDENTIAL_ASSIGNMENT_1]',
    );
    assert.equal(vault.restore(result.text), text);
    assert.ok(result.outcomes.every((outcome) => outcome.status === 'ok'));
  });

  it('blocks a secret in a model answer at the output stage', () => {
    const result = defaultEngine().check('Sure, the key is AKIAIOSFODNN7EXAMPLE', {
      stage: 'output',
    });
    assert.equal(result.decision, 'block');
    assert.match(result.reasons.join(), /aws_access_key_id/);
  });

  it('allows clean text and reports a timing per detector', () => {
    const result = defaultEngine().check('How do I kill a Python process?', { stage: 'input' });
    assert.equal(result.decision, 'allow');
    assert.deepEqual(
      result.outcomes.map((outcome) => outcome.detector),
      ['invisible_text', 'prompt_injection', 'harmful_request', 'toxicity', 'secrets', 'pii'],
    );
  });

  it('fails closed when a detector throws, unless the policy says otherwise', () => {
    const closed = engineWith([{ detector: 'always_throws' }]).check('hello', { stage: 'input' });
    assert.equal(closed.decision, 'block');
    assert.equal(closed.outcomes[0]?.status, 'error');
    const open = engineWith([{ detector: 'always_throws', onError: 'allow' }]).check('hello', {
      stage: 'input',
    });
    assert.equal(open.decision, 'allow');
  });

  it('fails closed when a detector overruns its budget', () => {
    const result = engineWith([{ detector: 'slow', timeoutMs: 5 }]).check('hello', {
      stage: 'input',
    });
    assert.equal(result.outcomes[0]?.status, 'timeout');
    assert.equal(result.decision, 'block');
  });

  it('in monitor mode decides and reports but lets everything through', () => {
    const result = engineWith([{ detector: 'always_throws' }], 'monitor').check('hello', {
      stage: 'input',
    });
    assert.equal(result.decision, 'block');
    assert.equal(result.effective, 'allow');
  });

  it('in monitor mode rewrites nothing: a redaction is reported, not applied', () => {
    const text = 'Write to jane.doe@example.com';
    const result = engineWith([{ detector: 'pii', action: 'redact' }], 'monitor').check(text, {
      stage: 'input',
    });
    assert.equal(result.decision, 'redact');
    assert.equal(result.effective, 'allow');
    assert.equal(result.text, text);
    assert.deepEqual(
      result.findings.map((finding) => [finding.kind, finding.span]),
      [['email', { start: 9, end: 29 }]],
    );
    const enforced = engineWith([{ detector: 'pii', action: 'redact' }]).check(text, {
      stage: 'input',
    });
    assert.equal(enforced.text, 'Write to [EMAIL_1]');
  });

  it('gives a finding kind its own action where the rule says so, the rest the rule action', () => {
    const engine = engineWith([
      { detector: 'pii', action: 'redact', kindActions: { us_ssn: 'block', email: 'allow' } },
    ]);
    const redacted = engine.check('Call +1 415 555 0100 or write to jane@acme.io', {
      stage: 'input',
    });
    assert.equal(redacted.decision, 'redact');
    assert.match(redacted.text, /\[PHONE_1\]/);
    assert.match(redacted.text, /jane@acme\.io/);
    assert.deepEqual(
      redacted.findings.map((finding) => [finding.kind, finding.action]),
      [
        ['phone', 'redact'],
        ['email', 'allow'],
      ],
    );
    assert.deepEqual(redacted.reasons, ['pii: phone']);
    const blocked = engine.check('My SSN is 123-45-6789, email jane@acme.io', { stage: 'input' });
    assert.equal(blocked.decision, 'block');
    assert.deepEqual(blocked.reasons, ['pii: us_ssn']);
  });

  it('lets logs keep their colours as plain text: control characters redacted, the rest blocked', () => {
    const engine = new GuardEngine(
      guardPolicySchema.parse({
        stages: {
          ingest: {
            detectors: [
              {
                detector: 'invisible_text',
                action: 'block',
                kindActions: { control_character: 'redact' },
                redaction: 'mask',
              },
            ],
          },
        },
      }),
      builtInDetectors(),
    );
    const log = engine.check('level=\u001b[31mERROR\u001b[0m disk full', { stage: 'ingest' });
    assert.equal(log.decision, 'redact');
    assert.equal(log.text, 'level=*[31mERROR*[0m disk full');
    const smuggled = engine.check('hi\u200bthere \u001b[31mred', { stage: 'ingest' });
    assert.equal(smuggled.decision, 'block');
  });

  it('rejects a kind the detector does not report, with the path', () => {
    assert.throws(
      () => engineWith([{ detector: 'pii', kindActions: { ssn: 'block' } }]),
      (error: Error & { code?: string }) =>
        error.code === 'GS_ERR_CONFIG_INVALID' &&
        /stages\.input\.detectors\.0\.kindActions: "pii" has no finding kind "ssn"/.test(
          error.message,
        ),
    );
  });

  it('rejects an unknown detector or a bad detector config when built, with the path', () => {
    assert.throws(
      () => engineWith([{ detector: 'nope' }]),
      /guard\.stages\.input\.detectors\.0\.detector: unknown detector "nope"/,
    );
    assert.throws(
      () => engineWith([{ detector: 'pii', config: { kinds: ['shoe_size'] } }]),
      /guard\.stages\.input\.detectors\.0\.config/,
    );
  });

  it('survives bad input: empty, lone surrogates, over-long and pathological repetition', () => {
    const engine = defaultEngine();
    for (const short of ['', 'hi', 'ok', 'thanks!', 'yes please']) {
      assert.equal(engine.check(short, { stage: 'input' }).decision, 'allow', short);
    }
    assert.equal(engine.check('abc\ud800def', { stage: 'input' }).decision, 'allow');
    const huge = engine.check('a'.repeat(1024 * 1024), { stage: 'input' });
    assert.equal(huge.decision, 'block');
    assert.match(huge.reasons.join(), /exceeds/);
    for (const attack of [
      '1 '.repeat(50_000),
      `${'a'.repeat(60_000)}@`,
      `${'-'.repeat(30_000)}password=`,
      '+1'.repeat(40_000),
      // Thousands of credentials, each with a host nearby: one pass, not one per credential.
      'password=abcd host=x '.repeat(5_000),
      'password=abcd\n'.repeat(7_000),
      // Tens of thousands of overlapping PII candidates: resolved in one pass.
      'a@b.co '.repeat(15_000),
      '10.0.0.1 '.repeat(12_000),
    ]) {
      const result = engine.check(attack, { stage: 'ingest' });
      assert.ok(['allow', 'flag', 'redact', 'block'].includes(result.decision));
      assert.ok(result.outcomes.every((outcome) => outcome.status !== 'error'));
      assert.deepEqual(
        result.outcomes.filter((outcome) => outcome.status === 'timeout'),
        [],
        attack.slice(0, 20),
      );
    }
  });

  it('anonymize replaces any findings with placeholders the vault can undo', () => {
    const vault = new PlaceholderVault();
    const text = 'mail bob@corp.example about it';
    const engine = defaultEngine();
    const findings = engine.check(text, { stage: 'input' }).findings;
    const masked = anonymize(text, findings, vault);
    assert.equal(masked, 'mail [EMAIL_1] about it');
    assert.equal(vault.restore('I wrote to [EMAIL_1].'), 'I wrote to bob@corp.example.');
  });
});
