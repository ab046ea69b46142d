import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EMBEDDING_MODEL, Embedder, cosine } from '../../src/embedder/index.ts';
import { packageRoot } from '../../src/kafka/index.ts';
import { fetchModels } from '../../src/models/index.ts';

interface Reference {
  sentences: { text: string; ids: number[]; vector: number[] }[];
}

// Computed by scripts/reference-embedding.py with Hugging Face's Rust tokenizers and Python
// onnxruntime on the same pinned files: an implementation independent of this one.
const reference = JSON.parse(
  readFileSync(join(packageRoot(), 'test/fixtures/minilm-reference.json'), 'utf8'),
) as Reference;

describe('embedder (all-MiniLM-L6-v2, int8 ONNX)', () => {
  let embedder: Embedder;
  before(async () => {
    // The real pinned weights, into the git-ignored cache (a no-op once they are there).
    await fetchModels([EMBEDDING_MODEL]);
    embedder = await Embedder.load();
  });
  after(async () => {
    await embedder.close();
  });

  it('matches the reference vectors within 1e-3', async () => {
    for (const sentence of reference.sentences) {
      assert.deepEqual(embedder.tokenize(sentence.text), sentence.ids, 'same WordPiece ids');
      const [vector] = await embedder.embed([sentence.text]);
      assert.ok(vector);
      const worst = Math.max(
        ...sentence.vector.map((value, d) => Math.abs(value - (vector[d] ?? 0))),
      );
      assert.ok(worst < 1e-3, `largest difference ${String(worst)}`);
    }
  });

  it('scores paraphrases above unrelated pairs', async () => {
    const pairs: [string, string, string][] = [
      [
        'How do I reset my password?',
        'What are the steps to change a forgotten password?',
        'The invoice is due at the end of the month.',
      ],
      [
        'The shipment was delayed by the storm.',
        'Bad weather held up the delivery.',
        'Our quarterly revenue grew by ten percent.',
      ],
      [
        'Kafka keeps the newest value per key on compacted topics.',
        'Log compaction retains the latest record for each key.',
        'She planted tomatoes in the garden.',
      ],
    ];
    for (const [text, paraphrase, unrelated] of pairs) {
      const [a, b, c] = await embedder.embed([text, paraphrase, unrelated]);
      assert.ok(a && b && c);
      assert.ok(
        cosine(a, b) > cosine(a, c) + 0.2,
        `${text}: paraphrase ${cosine(a, b).toFixed(3)} vs unrelated ${cosine(a, c).toFixed(3)}`,
      );
    }
  });

  it('gives a text the same vector whatever it is embedded with', async () => {
    const texts = ['short', 'a much longer sentence that would need padding in a shared run'];
    const [together] = await embedder.embed(texts);
    const [alone] = await embedder.embed([texts[0] ?? '']);
    assert.ok(together && alone);
    assert.deepEqual(together, alone);
  });

  it('embeds a long text window by window, the first as embed does and the last at its end', async () => {
    const short = 'How much does Acme charge for its enterprise plan?';
    assert.deepEqual(await embedder.embedWindows(short, 8), await embedder.embed([short]));
    const long = `${'The committee reviewed the budget and the hiring plan. '.repeat(40)}${short}`;
    const windows = await embedder.embedWindows(long, 8);
    const pieces = embedder.tokenize(long).length;
    assert.equal(pieces, embedder.maxTokens, 'embed sees only the first window');
    assert.ok(windows.length > 1 && windows.length <= 8, `${String(windows.length)} windows`);
    const [first] = await embedder.embed([long]);
    assert.ok(first);
    assert.deepEqual(windows[0], first);
    const [question] = await embedder.embed([short]);
    const last = windows.at(-1);
    assert.ok(question && last);
    // The last window holds the question; the first never saw it.
    assert.ok(cosine(last, question) > cosine(first, question) + 0.2);
    assert.equal((await embedder.embedWindows(long, 2)).length, 2);
  });
});
