import { z } from 'zod';
import { defaultModelsDir, maxWindowsSchema, modelFilePath } from '../../models/index.ts';
import { createSlotBuffers } from '../../threads/slot.ts';
import { bundledModelPath } from '../linear-model.ts';
import { defineDetector } from '../types.ts';
import type { Finding } from '../types.ts';
import { decodedStringEscapes } from './escapes.ts';
import { readEncoderPatch } from './model.ts';
import { PatchedModelThread, pinnedBaseModel } from './thread.ts';
import type { EncoderWorkerData } from './worker.ts';
import { WINDOW_CHOICES } from './windows.ts';
import type { WindowChoice } from './windows.ts';

export { applyEncoderPatch, encoderPatchSchema, readEncoderPatch } from './model.ts';
export { decodedStringEscapes } from './escapes.ts';
export { tokenWindows } from '../../models/index.ts';
export type { EncoderPatch } from './model.ts';

/** UTF-8 bytes of text handed to the thread: the input stage's 32,000 characters fit. */
const TEXT_BYTES = 128 * 1024;

/**
 * The prompt and document heads' logits for a text, from the encoder's thread. Synchronous,
 * like every detector: the caller's thread waits (Atomics.wait) while the thread runs the
 * transformer over the text's windows, ~12 ms a window of 126 word pieces on one CPU core.
 */
export class InjectionEncoder extends PatchedModelThread {
  constructor(options: {
    patchPath: string;
    modelsDir: string;
    maxWindows: number;
    windowChoice?: WindowChoice;
    waitMs: number;
    loadWaitMs?: number;
    decodeEscapes?: boolean;
  }) {
    const buffers = createSlotBuffers(TEXT_BYTES, 3);
    // The patch names the pinned model it was trained on; only a pinned model is loaded.
    const baseModel = encoderBaseModel(options.patchPath);
    // Fail at start-up, with the fix, when the weights are not there.
    const workerData: EncoderWorkerData = {
      buffers,
      patchPath: options.patchPath,
      modelPath: modelFilePath(baseModel, 'model.onnx', options.modelsDir),
      tokenizerPath: modelFilePath(baseModel, 'tokenizer.json', options.modelsDir),
      maxWindows: options.maxWindows,
      windowChoice: options.windowChoice ?? 'ranked',
    };
    super({
      entry: 'worker',
      detector: 'prompt_injection_encoder',
      what: 'the injection encoder',
      buffers,
      workerData,
      waitMs: options.waitMs,
      ...(options.loadWaitMs === undefined ? {} : { loadWaitMs: options.loadWaitMs }),
    });
    this.decodeEscapes = options.decodeEscapes ?? false;
  }

  private readonly decodeEscapes: boolean;

  /** Highest logit over the text's windows, per head. Throws when the thread is unavailable. */
  score(text: string): { prompt: number; document: number; windows: number } {
    const [prompt = -Infinity, document = -Infinity, windows = 0] = this.client.request(
      this.decodeEscapes ? decodedStringEscapes(text) : text,
    );
    return { prompt, document, windows };
  }
}

/** The committed patch for `model`. */
export function committedEncoderPatch(model: 'minilm' | 'bge-small'): string {
  return bundledModelPath(
    model === 'bge-small' ? 'prompt-injection-encoder-bge-small' : 'prompt-injection-encoder',
  );
}

/** The id of the pinned model a patch was trained on (the file `models fetch` must provide). */
export function encoderBaseModel(patchPath: string): string {
  return pinnedBaseModel(patchPath, readEncoderPatch(patchPath).base.model);
}

export const injectionEncoderConfigSchema = z
  .strictObject({
    model: z
      .enum(['minilm', 'bge-small'])
      .default('minilm')
      .describe(
        'Which committed patch: minilm (all-MiniLM-L6-v2, 6 layers, the default) or bge-small (bge-small-en-v1.5, 12 layers: about twice the CPU time, fewer false alarms on prompts, more on documents; see the detector page).',
      ),
    patchPath: z
      .string()
      .optional()
      .describe(
        'A fine-tuned patch of your own (it names its pinned base model); replaces `model`.',
      ),
    modelsDir: z
      .string()
      .optional()
      .describe(
        "Where `guardstream models fetch` put the patch's base model; defaults to .guardstream/models.",
      ),
    maxWindows: maxWindowsSchema(
      'Windows of 126 word pieces scored per text (~12 ms each on one core); past it, see `windowChoice`.',
    ),
    windowChoice: z
      .enum(WINDOW_CHOICES)
      .default('ranked')
      .describe(
        "Which windows a text longer than `maxWindows` is scored on: `ranked`, the first, the last and those `prompt_injection`'s linear models score highest (so filler cannot push an attack out of reach); `ranked-prompt-like`, the same with a third linear model that ranks text reading like a prompt (finds ordinary requests planted mid-document, with more false alarms on long documents: see the detector page); `first-and-last`, the first `maxWindows - 1` and the last.",
      ),
    waitMs: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe('How long a check waits for the encoder before it fails (closed, by default).'),
    decodeEscapes: z
      .boolean()
      .default(false)
      .describe(
        'Decode string escapes (\\n, \\t, \\") before scoring a text that holds at least two literal "\\n" and more of them than real line breaks: JSON-escaped tool results and exports. Off by default: on SWE-Lancer\'s escaped issue texts it lowered false alarms 0.657 → 0.305 with bge-small but only 0.564 → 0.503 with MiniLM (see the detector page).',
      ),
  })
  // The thread starts, and patches the model, when a policy binds the detector.
  .transform((config) => ({
    encoder: new InjectionEncoder({
      patchPath: config.patchPath ?? committedEncoderPatch(config.model),
      modelsDir: config.modelsDir ?? defaultModelsDir(),
      maxWindows: config.maxWindows,
      windowChoice: config.windowChoice,
      waitMs: config.waitMs,
      decodeEscapes: config.decodeEscapes,
    }),
  }));

const sigmoid = (logit: number): number => 1 / (1 + Math.exp(-logit));

export const injectionEncoderDetector = defineDetector({
  meta: {
    name: 'prompt_injection_encoder',
    description:
      'Prompt injection and jailbreaks by a transformer (a pinned sentence encoder, named by the patch, fine-tuned: its biases and layer norms, and low-rank updates of its top layers, as many as the patch holds) read in windows; a prompt head at input, a document head at ingest and retrieval. The score is calibrated so 0.5 is the validation point chosen in training.',
    stages: ['ingest', 'input', 'retrieval'],
    cost: 'expensive',
    kinds: ['injection'],
  },
  configSchema: injectionEncoderConfigSchema,
  detect(text, config, context): Finding[] {
    if (text.trim() === '') return [];
    const scores = config.encoder.score(text);
    const logit = context.stage === 'input' ? scores.prompt : scores.document;
    const score = sigmoid(logit);
    return score < 0.05
      ? []
      : [
          {
            detector: 'prompt_injection_encoder',
            kind: 'injection',
            score,
            evidence: `${context.stage === 'input' ? 'prompt' : 'document'} head ${score.toFixed(2)} over ${scores.windows} window${scores.windows === 1 ? '' : 's'}`,
          },
        ];
  },
});
