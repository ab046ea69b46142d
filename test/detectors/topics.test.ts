import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { bannedTopicsDetector, builtInDetectors } from '../../src/detectors/index.ts';
import { GuardEngine, guardPolicySchema } from '../../src/guard/index.ts';

const topics = [
  {
    name: 'competitor pricing',
    examples: [
      'How much does Acme charge for its enterprise plan?',
      'Compare our prices with Acme',
    ],
  },
  {
    name: 'medical advice',
    examples: ['What dose of ibuprofen should I take for back pain?', 'Can you diagnose my rash?'],
  },
];

describe('banned_topics detector (sentence embeddings)', () => {
  const config = bannedTopicsDetector.configSchema.parse({ topics });
  const nearest = (text: string): { score: number; evidence: string } => {
    const [finding] = bannedTopicsDetector.detect(text, config, { stage: 'input' });
    return { score: finding?.score ?? 0, evidence: finding?.evidence ?? '' };
  };

  it('scores a paraphrase of a banned topic high and names the topic', () => {
    const pricing = nearest('What does Acme charge per seat these days?');
    assert.ok(pricing.score >= 0.5, `${pricing.score}`);
    assert.match(pricing.evidence, /competitor pricing/);
    const medical = nearest('How many milligrams of paracetamol can I take in a day?');
    assert.match(medical.evidence, /medical advice/);
    assert.ok(nearest('Summarise the Q3 sales report for the board').score < 0.3);
    assert.deepEqual(bannedTopicsDetector.detect('  ', config, { stage: 'input' }), []);
  });

  it('finds a topic raised at the end of a long text, past the first window', () => {
    const filler =
      'The committee reviewed the quarterly figures, the hiring plan and the office move. '.repeat(
        30,
      );
    const text = `${filler}One last thing: what does Acme charge per seat these days?`;
    // The question shares its window with ~100 word pieces of filler, which dilutes it (0.62
    // alone, ~0.49 here): still within the 0.4–0.55 thresholds the docs measure.
    const windowed = nearest(text);
    assert.ok(windowed.score >= 0.4, `${windowed.score}`);
    assert.match(windowed.evidence, /competitor pricing/);
    // The filler alone is far from every topic: the finding is the question's.
    assert.ok(nearest(filler).score < 0.3, `${nearest(filler).score}`);
  });

  it('blocks through a policy, and refuses a configuration it cannot serve', () => {
    const engine = new GuardEngine(
      guardPolicySchema.parse({
        stages: {
          input: {
            detectors: [
              {
                detector: 'banned_topics',
                action: 'block',
                threshold: 0.5,
                timeoutMs: 1000,
                config: { topics },
              },
            ],
          },
        },
      }),
      builtInDetectors(),
    );
    assert.equal(
      engine.check('Is Acme cheaper than you for enterprise?', { stage: 'input' }).decision,
      'block',
    );
    assert.equal(
      engine.check('What is the capital of France?', { stage: 'input' }).decision,
      'allow',
    );
    assert.throws(() => bannedTopicsDetector.configSchema.parse({ topics: [] }));
    // No embedder where it is told to look: an error at start-up that says how to fix it.
    const empty = mkdtempSync(join(tmpdir(), 'gs-topics-'));
    assert.throws(
      () => bannedTopicsDetector.configSchema.parse({ topics, modelsDir: empty }),
      /models fetch/,
    );
  });
});
