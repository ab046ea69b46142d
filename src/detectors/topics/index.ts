import { z } from 'zod';
import { GuardstreamError } from '../../errors/index.ts';
import { SENTENCE_EMBEDDER_ID, defaultModelsDir, modelFilePath } from '../../models/index.ts';
import { spawnModuleWorker } from '../../threads/index.ts';
import { defineDetector } from '../types.ts';
import type { Finding } from '../types.ts';
import { Slot, TEXT_BYTES } from './protocol.ts';
import type { TopicWorkerData } from './protocol.ts';

interface Topic {
  name: string;
  examples: readonly string[];
}

/**
 * The text's nearest topic example by sentence-embedding cosine similarity, computed on an
 * embedding thread. Synchronous, like every detector: the caller's thread waits (Atomics.wait)
 * while the thread embeds one text, ~1–10 ms on a CPU.
 */
export class TopicMatcher {
  private readonly control = new Int32Array(new SharedArrayBuffer(3 * 4));
  private readonly text = new Uint8Array(new SharedArrayBuffer(TEXT_BYTES));
  private readonly result = new Float64Array(new SharedArrayBuffer(2 * 8));
  private readonly encoder = new TextEncoder();

  constructor(
    readonly topics: readonly Topic[],
    modelsDir: string,
    private readonly waitMs: number,
    loadWaitMs = 30_000,
  ) {
    // Fail at start-up, with the fix, when the weights are not there.
    modelFilePath(SENTENCE_EMBEDDER_ID, 'model.onnx', modelsDir);
    const data: TopicWorkerData = {
      control: this.control.buffer,
      text: this.text.buffer,
      result: this.result.buffer,
      modelsDir,
      topics: topics.map((topic) => ({ name: topic.name, examples: [...topic.examples] })),
    };
    const worker = spawnModuleWorker(import.meta.url, 'worker', data);
    // The thread never keeps a process alive: it dies with it.
    worker.unref();
    worker.on('error', () => {
      Atomics.store(this.control, 0, Slot.Unavailable);
    });
    // Loading (weights, then the topics' examples) happens once, when a policy binds the
    // detector, so no request pays for it.
    Atomics.wait(this.control, 0, Slot.Loading, loadWaitMs);
    if (Atomics.load(this.control, 0) !== Slot.Idle) {
      throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
        message: `banned_topics: the sentence embedder did not start within ${loadWaitMs} ms`,
      });
    }
  }

  /** Best cosine similarity in [-1, 1] and the topic it belongs to. Throws when unavailable. */
  nearest(text: string): { similarity: number; topic: string } {
    let state = Atomics.load(this.control, 0);
    if (state === Slot.Request) {
      // The previous text timed out and is still being embedded.
      Atomics.wait(this.control, 0, Slot.Request, this.waitMs);
      state = Atomics.load(this.control, 0);
    }
    if (state === Slot.Unavailable) throw new Error('the sentence embedder is not running');
    if (state === Slot.Request) throw new Error('the sentence embedder is busy');
    const { written } = this.encoder.encodeInto(text.slice(0, TEXT_BYTES), this.text);
    Atomics.store(this.control, 1, written);
    Atomics.store(this.control, 0, Slot.Request);
    Atomics.notify(this.control, 0);
    Atomics.wait(this.control, 0, Slot.Request, this.waitMs);
    state = Atomics.load(this.control, 0);
    if (state !== Slot.Done) {
      if (state === Slot.Failed) Atomics.store(this.control, 0, Slot.Idle);
      throw new Error(
        state === Slot.Request
          ? `no embedding within ${this.waitMs} ms`
          : 'the sentence embedder failed on this text',
      );
    }
    const similarity = this.result[0] ?? -1;
    const topic = this.topics[this.result[1] ?? -1]?.name ?? 'unknown';
    Atomics.store(this.control, 0, Slot.Idle);
    Atomics.notify(this.control, 0);
    return { similarity, topic };
  }
}

export const bannedTopicsConfigSchema = z
  .strictObject({
    topics: z
      .array(
        z.strictObject({
          name: z.string().min(1).describe('Reported as the finding kind’s evidence.'),
          examples: z
            .array(z.string().min(1))
            .min(1)
            .describe('A few sentences on the topic, as users would write them.'),
        }),
      )
      .min(1)
      .describe('Topics to keep out, each described by example sentences.'),
    modelsDir: z
      .string()
      .optional()
      .describe(
        'Where `guardstream models fetch` put the embedder; defaults to .guardstream/models.',
      ),
    waitMs: z
      .number()
      .int()
      .min(1)
      .default(1000)
      .describe('How long a check waits for its embedding before it fails (closed, by default).'),
  })
  // The embedding thread starts, and embeds the examples, when a policy binds the detector.
  .transform((config) => ({
    matcher: new TopicMatcher(config.topics, config.modelsDir ?? defaultModelsDir(), config.waitMs),
  }));

export const bannedTopicsDetector = defineDetector({
  meta: {
    name: 'banned_topics',
    description:
      'Topics the operator keeps out, by sentence-embedding similarity (all-MiniLM-L6-v2) to example sentences; the score is the cosine similarity to the nearest example.',
    stages: ['ingest', 'input', 'retrieval', 'output'],
    cost: 'expensive',
    kinds: ['topic'],
  },
  configSchema: bannedTopicsConfigSchema,
  detect(text, config): Finding[] {
    if (text.trim() === '') return [];
    const { similarity, topic } = config.matcher.nearest(text);
    return similarity < 0.05
      ? []
      : [
          {
            detector: 'banned_topics',
            kind: 'topic',
            score: Math.min(1, similarity),
            evidence: `nearest topic "${topic}", similarity ${similarity.toFixed(2)}`,
          },
        ];
  },
});
