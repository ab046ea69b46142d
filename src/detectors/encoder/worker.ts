/**
 * The model thread behind `prompt_injection_encoder`: applies the patch to the pinned
 * sentence-embedder file once, then scores one text at a time through the shared slot
 * (src/threads/slot.ts). result[0] and result[1] are the prompt and document heads' highest
 * logits over the text's windows, result[2] the number of windows scored.
 */
import { readFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Tensor } from 'onnxruntime-node';
import { serveSlot } from '../../threads/slot.ts';
import type { SlotBuffers } from '../../threads/slot.ts';
import { applyEncoderPatch, decodeFloats, headLogit, readEncoderPatch } from './model.ts';
import { piecesText, tokenWindows } from '../../models/index.ts';
import { normalizeForMatching } from '../injection/normalize.ts';
import { bundledModelPath, featurize, loadLinearModel, score } from '../linear-model.ts';
import type { LinearModel } from '../linear-model.ts';
import type { WindowChoice } from './windows.ts';
import { loadPatchedSession } from './session.ts';

export interface EncoderWorkerData {
  buffers: SlotBuffers;
  patchPath: string;
  modelPath: string;
  tokenizerPath: string;
  maxWindows: number;
  /** Past `maxWindows`: which windows are read (see the detector's `windowChoice`). */
  windowChoice: WindowChoice;
}

const CLS = 101;
const SEP = 102;
const DIMENSIONS = 384;
const data = workerData as EncoderWorkerData;

await serveSlot(
  data.buffers,
  'prompt_injection_encoder',
  async () => {
    const patch = readEncoderPatch(data.patchPath);
    const model = applyEncoderPatch(readFileSync(data.modelPath), patch);
    const { tokenizer, session } = await loadPatchedSession(model, data.tokenizerPath);
    return {
      patch,
      tokenizer,
      session,
      prompt: decodeFloats(patch.heads.prompt.weights),
      document: decodeFloats(patch.heads.document.weights),
      rankers: windowRankers(data.windowChoice),
    };
  },
  async (model, text, result) => {
    const { ids, tokens } = model.tokenizer.encode(text, { add_special_tokens: false });
    const windows = tokenWindows(
      ids,
      model.patch.window,
      model.patch.stride,
      data.maxWindows,
      model.rankers.length === 0
        ? undefined
        : (start, end) => highestLinearScore(model.rankers, tokens.slice(start, end)),
    );
    let prompt = -Infinity;
    let document = -Infinity;
    for (const window of windows) {
      const sequence = [CLS, ...window, SEP];
      const shape = [1, sequence.length];
      const outputs = await model.session.run({
        input_ids: new Tensor('int64', BigInt64Array.from(sequence, BigInt), shape),
        attention_mask: new Tensor('int64', new BigInt64Array(sequence.length).fill(1n), shape),
        token_type_ids: new Tensor('int64', new BigInt64Array(sequence.length), shape),
      });
      const hidden = outputs[model.session.outputNames[0] ?? 'last_hidden_state'];
      if (hidden === undefined) throw new Error('the encoder gave no output');
      const states = hidden.data as Float32Array;
      const { bias: promptBias } = model.patch.heads.prompt;
      const { bias: documentBias } = model.patch.heads.document;
      prompt = Math.max(
        prompt,
        headLogit(states, sequence.length, DIMENSIONS, model.prompt, promptBias),
      );
      document = Math.max(
        document,
        headLogit(states, sequence.length, DIMENSIONS, model.document, documentBias),
      );
    }
    result[0] = prompt;
    result[1] = document;
    result[2] = windows.length;
  },
);

/** The window's text as the word pieces spell it (lower case, "##" pieces joined), scored. */
function highestLinearScore(models: readonly LinearModel[], pieces: readonly string[]): number {
  const features = featurize(normalizeForMatching(piecesText(pieces)));
  return Math.max(...models.map((model) => score(model, features)));
}

/** The linear models that rank a long text's windows, by `windowChoice`. */
function windowRankers(choice: WindowChoice): LinearModel[] {
  if (choice === 'first-and-last') return [];
  const injection = [
    loadLinearModel(bundledModelPath('prompt-injection')),
    loadLinearModel(bundledModelPath('prompt-injection-documents')),
  ];
  // An ordinary request planted in a document looks harmless to both, but not like the
  // document around it.
  return choice === 'ranked-prompt-like'
    ? [...injection, loadLinearModel(bundledModelPath('prompt-likeness'))]
    : injection;
}
