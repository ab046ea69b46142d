import { z } from 'zod';
import { GuardstreamError } from '../../errors/index.ts';
import {
  SENTENCE_EMBEDDER_ID,
  defaultModelsDir,
  maxWindowsSchema,
  modelFilePath,
} from '../../models/index.ts';
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../../threads/index.ts';
import { defineDetector } from '../types.ts';
import type { Finding } from '../types.ts';
import { SlotClient, createSlotBuffers } from '../../threads/slot.ts';
import { TEXT_BYTES } from './protocol.ts';
import type { TopicWorkerData } from './protocol.ts';

interface Topic {
  name: string;
  examples: readonly string[];
}

/**
 * The text's nearest topic example by sentence-embedding cosine similarity, over every window
 * of the text, computed on an embedding thread. Synchronous, like every detector: the caller's
 * thread waits (Atomics.wait) while the thread embeds one text, ~4–13 ms a window on a CPU.
 */
export class TopicMatcher {
  private readonly client: SlotClient;
  private readonly worker: Worker;
  private readonly loadWaitMs: number;

  constructor(
    readonly topics: readonly Topic[],
    modelsDir: string,
    waitMs: number,
    maxWindows = 8,
    loadWaitMs = 30_000,
  ) {
    // Fail at start-up, with the fix, when the weights are not there.
    modelFilePath(SENTENCE_EMBEDDER_ID, 'model.onnx', modelsDir);
    const buffers = createSlotBuffers(TEXT_BYTES, 2);
    const data: TopicWorkerData = {
      buffers,
      modelsDir,
      topics: topics.map((topic) => ({ name: topic.name, examples: [...topic.examples] })),
      maxWindows,
    };
    this.loadWaitMs = loadWaitMs;
    this.client = new SlotClient(buffers, 'the sentence embedder', waitMs, loadWaitMs);
    const worker = spawnModuleWorker(import.meta.url, 'worker', data);
    this.worker = worker;
    // The thread never keeps a process alive: it dies with it.
    worker.unref();
    worker.on('error', () => {
      this.client.markUnavailable();
    });
  }

  /**
   * Resolves once the thread has loaded the weights and embedded the topics' examples; rejects
   * when it could not. That happens once, when a policy binds the detector, and a policy is put
   * in force only after this resolved, so no request pays for it.
   */
  async ready(): Promise<void> {
    if (await this.client.whenLoaded()) return;
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `banned_topics: the sentence embedder failed to load or did not start within ${String(this.loadWaitMs)} ms (the log says which)`,
    });
  }

  /** Blocks until the model has loaded or failed to (a failure is then each check's error). */
  waitLoaded(): void {
    this.client.waitLoaded();
  }

  /** Ends the thread and frees its model; later checks throw (and their rule fails closed). */
  close(): void {
    this.client.markUnavailable();
    void this.worker.terminate();
  }

  /** Best cosine similarity in [-1, 1] and the topic it belongs to. Throws when unavailable. */
  nearest(text: string): { similarity: number; topic: string } {
    const [similarity = -1, topic = -1] = this.client.request(text);
    return { similarity, topic: this.topics[topic]?.name ?? 'unknown' };
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
    maxWindows: maxWindowsSchema(
      'Windows of 128 tokens embedded per text, 96 word pieces apart (past it, the first ones and the last): each costs one embedding.',
    ),
  })
  // The embedding thread starts, and embeds the examples, when a policy binds the detector.
  .transform((config) => ({
    matcher: new TopicMatcher(
      config.topics,
      config.modelsDir ?? defaultModelsDir(),
      config.waitMs,
      config.maxWindows,
    ),
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
