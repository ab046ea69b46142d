import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DetectionContext } from '../../src/detectors/index.ts';
import { builtInDetectors } from '../../src/detectors/index.ts';
import { GuardEngine, guardPolicySchema } from '../../src/guard/index.ts';
import type { GuardResult, PlaceholderVault } from '../../src/guard/index.ts';
import { StreamingOutputGuard } from '../../src/gateway/index.ts';
import type { StreamStep } from '../../src/gateway/index.ts';

/** The default output policy, counting how much text its checks read. */
class CountingEngine extends GuardEngine {
  checks = 0;
  charsChecked = 0;

  constructor() {
    super(guardPolicySchema.parse({}), builtInDetectors());
  }

  override check(text: string, context: DetectionContext, vault?: PlaceholderVault): GuardResult {
    this.checks += 1;
    this.charsChecked += text.length;
    return super.check(text, context, vault);
  }
}

const context: DetectionContext = { stage: 'output' };

function emitted(steps: readonly StreamStep[]): string {
  return steps.map((step) => ('emit' in step ? step.emit : '')).join('');
}

describe('streaming output rails', () => {
  it('redacts an e-mail address split across deltas before any of it is sent', () => {
    const guard = new StreamingOutputGuard(new CountingEngine(), context, 128);
    const answer = `${'The order shipped on time. '.repeat(8)}Write to jane.doe@example.com for returns. ${'Thanks for your patience. '.repeat(8)}`;
    const steps: StreamStep[] = [];
    for (let at = 0; at < answer.length; at += 5) steps.push(guard.push(answer.slice(at, at + 5)));
    steps.push(guard.finish());
    const text = emitted(steps);
    assert.ok(steps.every((step) => 'emit' in step));
    assert.doesNotMatch(text, /jane\.doe|example\.com/);
    assert.match(text, /\[EMAIL_1\]/);
    assert.ok(text.startsWith('The order shipped on time.'));
  });

  it('reads a long answer a bounded number of times (linear, not quadratic, in its length)', () => {
    const engine = new CountingEngine();
    const guard = new StreamingOutputGuard(engine, context, 128);
    const sentence = 'Kafka keeps the log; the consumer group tracks its offsets. ';
    // Just under the output stage's default 32,000-character limit.
    const answer = sentence.repeat(Math.floor(30_000 / sentence.length));
    const steps: StreamStep[] = [];
    for (let at = 0; at < answer.length; at += 7) steps.push(guard.push(answer.slice(at, at + 7)));
    steps.push(guard.finish());
    assert.equal(emitted(steps), answer);
    // A check every 32 characters would be ~940 checks reading ~14 million characters.
    assert.ok(engine.checks < 120, `${String(engine.checks)} checks`);
    assert.ok(
      engine.charsChecked < 20 * answer.length,
      `${String(engine.charsChecked)} characters checked for ${String(answer.length)}`,
    );
  });
});
