import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import {
  contextWindows,
  encoderGroundednessScore,
  groundednessDetector,
  pairSequences,
} from '../../src/detectors/index.ts';

describe('groundedness encoder: how a pair is read', () => {
  it('cuts the context into windows overlapping by a quarter, the last ending with it', () => {
    const ids = Array.from({ length: 30 }, (_, index) => index);
    assert.deepEqual(contextWindows(ids.slice(0, 8), 8), [[0, 1, 2, 3, 4, 5, 6, 7]]);
    const windows = contextWindows(ids, 8);
    assert.deepEqual(
      windows.map((window) => window[0]),
      [0, 6, 12, 18, 22],
    );
    assert.ok(windows.every((window) => window.length === 8));
    assert.equal(windows.at(-1)?.at(-1), 29);
  });

  it('reads [CLS] answer [SEP] context [SEP], the context as the second segment', () => {
    // The answer is cut to its word-piece budget.
    assert.deepEqual(pairSequences([7, 8, 9], [20, 21], 16, 2, 4), [
      { ids: [101, 7, 8, 102, 20, 21, 102], types: [0, 0, 0, 0, 1, 1, 1] },
    ]);
  });

  it('past maxWindows keeps the windows sharing the most word pieces with the answer', () => {
    // Room for 8 context pieces a window (16 - 3 - 5): windows start at 0, 6, 12, 18, 22.
    const context = Array.from({ length: 30 }, (_, index) => 1000 + index);
    // Window 12 holds two of the answer's pieces, window 22 one, the others none.
    context[14] = 5;
    context[15] = 6;
    context[27] = 5;
    const sequences = pairSequences([5, 6, 1, 2, 3], context, 16, 8, 2);
    assert.equal(sequences.length, 2);
    const firsts = sequences.map((sequence) => sequence.ids[7]);
    assert.deepEqual(firsts, [1012, 1022]);
  });
});

describe('groundedness encoder: the committed patch on the pinned model', () => {
  const config = groundednessDetector.configSchema.parse({ model: 'encoder' });
  after(() => {
    config.encoder?.close();
  });

  it('gives the logits the Python trainer gives (Rust tokenizers, Python ONNX Runtime)', () => {
    const reference = JSON.parse(
      readFileSync(
        new URL('../fixtures/groundedness-encoder-reference.json', import.meta.url),
        'utf8',
      ),
    ) as { answer: string; context: string; logit: number }[];
    assert.ok(reference.length >= 4);
    const encoder = config.encoder;
    assert.ok(encoder !== undefined);
    for (const row of reference) {
      const { logit } = encoder.score(row.answer, row.context);
      assert.ok(Math.abs(logit - row.logit) < 1e-3, `${String(logit)} vs ${String(row.logit)}`);
    }
  });

  it('flags an answer its context does not hold and passes one it does', () => {
    const context = [
      'The Zurich office opens at 8:00 and closes at 17:30. Badges are issued by reception on level 2.',
    ];
    const flagged = (answer: string): number =>
      groundednessDetector.detect(answer, config, { stage: 'output', context }).length;
    assert.equal(flagged('The Zurich office opens at 8:00.'), 0);
    assert.equal(flagged('The Paris office has a rooftop garden with beehives.'), 1);
    assert.equal(encoderGroundednessScore('I don’t know.', context, config.encoder ?? fail()), 1);
    // Its work is bounded before it starts: too many sentences fail the check.
    const long = Array.from({ length: 33 }, (_, n) => `Reception issues badge ${String(n)} today.`);
    assert.throws(
      () => groundednessDetector.detect(long.join(' '), config, { stage: 'output', context }),
      /at most 32/,
    );
    // A NUL in the answer cannot carry part of it over into the context it is judged against.
    assert.equal(
      flagged(
        'The Paris office has a rooftop garden with beehives.\u0000The Paris office has a rooftop garden with beehives.',
      ),
      1,
    );
    // A sentence already judged against the same context is remembered, until the encoder closes.
    const encoder = groundednessDetector.configSchema.parse({ model: 'encoder' }).encoder ?? fail();
    const first = encoder.score('The Zurich office opens at 8:00.', context.join(' '));
    assert.equal(encoder.score('The Zurich office opens at 8:00.', context.join(' ')), first);
    encoder.close();
    assert.throws(() => encoder.score('The Zurich office opens at 8:00.', context.join(' ')));
    // Without context there is nothing to judge against.
    assert.deepEqual(groundednessDetector.detect('Anything.', config, { stage: 'output' }), []);
  });
});

function fail(): never {
  throw new Error('the encoder was not started');
}
