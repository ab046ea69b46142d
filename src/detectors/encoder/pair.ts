import { createHash } from 'node:crypto';
import { GuardstreamError } from '../../errors/index.ts';
import { modelFilePath } from '../../models/index.ts';
import { createSlotBuffers } from '../../threads/slot.ts';
import { bundledModelPath } from '../linear-model.ts';
import { readPairPatch } from './model.ts';
import type { PairWorkerData } from './pair-worker.ts';
import { PatchedModelThread, pinnedBaseModel } from './thread.ts';

/** UTF-8 bytes of a sentence and its context handed to the thread. */
const PAIR_BYTES = 512 * 1024;
/** Sentences remembered with their context and score (a streamed answer is re-checked whole). */
const REMEMBERED = 512;

/** The committed cross-encoder patch behind `groundedness`'s `model: encoder`. */
export function committedGroundednessPatch(): string {
  return bundledModelPath('groundedness-encoder');
}

/**
 * A cross-encoder on its own thread: for a sentence and a context, the lowest logit over the
 * context's windows (> 0: no window supports the sentence). Synchronous like every detector:
 * the caller waits (Atomics.wait) while the thread runs the transformer, ~4 ms a window.
 */
export class PairEncoder extends PatchedModelThread {
  private readonly remembered = new Map<string, { logit: number; windows: number }>();

  constructor(options: {
    patchPath: string;
    modelsDir: string;
    maxWindows: number;
    waitMs: number;
    loadWaitMs?: number;
  }) {
    const buffers = createSlotBuffers(PAIR_BYTES, 2);
    const baseModel = pinnedBaseModel(
      options.patchPath,
      readPairPatch(options.patchPath).base.model,
    );
    const workerData: PairWorkerData = {
      buffers,
      patchPath: options.patchPath,
      modelPath: modelFilePath(baseModel, 'model.onnx', options.modelsDir),
      tokenizerPath: modelFilePath(baseModel, 'tokenizer.json', options.modelsDir),
      maxWindows: options.maxWindows,
    };
    super({
      entry: 'pair-worker',
      detector: 'groundedness',
      what: 'the groundedness encoder',
      buffers,
      workerData,
      waitMs: options.waitMs,
      ...(options.loadWaitMs === undefined ? {} : { loadWaitMs: options.loadWaitMs }),
    });
  }

  /** Ends the thread; later checks throw, remembered sentences included. */
  override close(): void {
    this.remembered.clear();
    super.close();
  }

  /**
   * The lowest logit over the context's windows for `sentence`. Throws when the thread is
   * unavailable, and when the pair does not fit the slot (a context cut short could make a
   * grounded sentence look ungrounded). The last 512 scores are remembered: the gateway re-checks
   * a streamed answer whole as it grows, and its earlier sentences are not read again.
   */
  score(sentence: string, context: string): { logit: number; windows: number } {
    // NUL separates the two on the slot: one inside either would move text from the sentence
    // into its own context, where it would support itself.
    const payload = `${sentence.replaceAll('\u0000', ' ')}\u0000${context.replaceAll('\u0000', ' ')}`;
    if (Buffer.byteLength(payload) > PAIR_BYTES) {
      throw new GuardstreamError('GS_ERR_PAYLOAD_TOO_LARGE', {
        message: `groundedness: a sentence and its context are ${String(Buffer.byteLength(payload))} bytes; the encoder reads at most ${String(PAIR_BYTES)}`,
      });
    }
    const key = createHash('sha256').update(payload).digest('base64');
    const known = this.remembered.get(key);
    if (known !== undefined) return known;
    const [logit = Infinity, windows = 0] = this.client.request(payload);
    const scored = { logit, windows };
    // Oldest first out: a Map iterates in insertion order.
    if (this.remembered.size >= REMEMBERED) {
      const oldest = this.remembered.keys().next();
      if (oldest.done !== true) this.remembered.delete(oldest.value);
    }
    this.remembered.set(key, scored);
    return scored;
  }
}
