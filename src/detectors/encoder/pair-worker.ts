/**
 * The model thread behind `groundedness` with `model: encoder`: applies the cross-encoder patch
 * to the pinned sentence-embedder file once, then scores one (sentence, context) pair at a time
 * through the shared slot (src/threads/slot.ts). The slot's text is the sentence, a NUL, then the
 * context. result[0] is the lowest logit over the context's windows (the window that supports
 * the sentence best; > 0: none does), result[1] the number of windows scored.
 */
import { readFileSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { Tensor } from 'onnxruntime-node';
import { serveSlot } from '../../threads/slot.ts';
import type { SlotBuffers } from '../../threads/slot.ts';
import { applyEncoderPatch, decodeFloats, headLogit, readPairPatch } from './model.ts';
import { pairSequences } from './pair-windows.ts';
import { loadPatchedSession } from './session.ts';

export interface PairWorkerData {
  buffers: SlotBuffers;
  patchPath: string;
  modelPath: string;
  tokenizerPath: string;
  maxWindows: number;
}

const DIMENSIONS = 384;
const data = workerData as PairWorkerData;

await serveSlot(
  data.buffers,
  'groundedness',
  async () => {
    const patch = readPairPatch(data.patchPath);
    const model = applyEncoderPatch(readFileSync(data.modelPath), patch);
    const { tokenizer, session } = await loadPatchedSession(model, data.tokenizerPath);
    return { patch, tokenizer, session, weights: decodeFloats(patch.heads.ungrounded.weights) };
  },
  async (model, text, result) => {
    const cut = text.indexOf('\u0000');
    const answer = cut < 0 ? text : text.slice(0, cut);
    const context = cut < 0 ? '' : text.slice(cut + 1);
    const encode = (value: string): number[] =>
      model.tokenizer.encode(value, { add_special_tokens: false }).ids;
    const sequences = pairSequences(
      encode(answer),
      encode(context),
      model.patch.sequence,
      model.patch.answer,
      data.maxWindows,
    );
    let lowest = Infinity;
    for (const { ids, types } of sequences) {
      const shape = [1, ids.length];
      const outputs = await model.session.run({
        input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), shape),
        attention_mask: new Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
        token_type_ids: new Tensor('int64', BigInt64Array.from(types, BigInt), shape),
      });
      const hidden = outputs[model.session.outputNames[0] ?? 'last_hidden_state'];
      if (hidden === undefined) throw new Error('the encoder gave no output');
      const logit = headLogit(
        hidden.data as Float32Array,
        ids.length,
        DIMENSIONS,
        model.weights,
        model.patch.heads.ungrounded.bias,
      );
      lowest = Math.min(lowest, logit);
    }
    result[0] = lowest;
    result[1] = sequences.length;
  },
);
