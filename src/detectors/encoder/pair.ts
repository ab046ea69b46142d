import { GuardstreamError } from '../../errors/index.ts';
import { modelFilePath } from '../../models/index.ts';
import { createSlotBuffers } from '../../threads/slot.ts';
import { bundledModelPath } from '../linear-model.ts';
import { readPairPatch } from './model.ts';
import type { PairWorkerData } from './pair-worker.ts';
import { PatchedModelThread, pinnedBaseModel } from './thread.ts';

/** UTF-8 bytes of a sentence and its context handed to the thread. */
const PAIR_BYTES = 512 * 1024;

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

  /**
   * The lowest logit over the context's windows for `sentence`. Throws when the thread is
   * unavailable, and when the pair does not fit the slot (a context cut short could make a
   * grounded sentence look ungrounded).
   */
  score(sentence: string, context: string): { logit: number; windows: number } {
    const payload = `${sentence}\u0000${context}`;
    if (Buffer.byteLength(payload) > PAIR_BYTES) {
      throw new GuardstreamError('GS_ERR_PAYLOAD_TOO_LARGE', {
        message: `groundedness: a sentence and its context are ${String(Buffer.byteLength(payload))} bytes; the encoder reads at most ${String(PAIR_BYTES)}`,
      });
    }
    const [logit = Infinity, windows = 0] = this.client.request(payload);
    return { logit, windows };
  }
}
