import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GuardstreamError } from '../../errors/index.ts';

/**
 * A fine-tuned classifier on top of the sentence embedder's transformer, shipped as a small
 * patch rather than a second model: the encoder's biases and layer-norm parameters (BitFit, Ben
 * Zaken et al. 2022; ~31k numbers, written over the originals at their byte offsets in the
 * pinned int8 ONNX file) and rank-r updates of the top layers' int8 matrices (LoRA, Hu et al.
 * 2021; merged on each matrix's own grid at load), and two linear heads on the mean of the
 * token states. The base file is the one `guardstream models fetch` pins by sha256; a patch for
 * any other file is refused.
 */
const base64Floats = z.string().min(1);

export const encoderPatchSchema = z.strictObject({
  name: z.string(),
  base: z.strictObject({
    model: z.string(),
    file: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  window: z.number().int().min(8).max(510),
  stride: z.number().int().min(1),
  tensors: z.array(
    z.strictObject({ name: z.string(), offset: z.number().int().min(0), values: base64Floats }),
  ),
  lowRank: z
    .array(
      z.strictObject({
        name: z.string(),
        offset: z.number().int().min(0),
        rows: z.number().int().min(1),
        columns: z.number().int().min(1),
        rank: z.number().int().min(1),
        scales: base64Floats,
        a: base64Floats,
        b: base64Floats,
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    )
    .default([]),
  heads: z.strictObject({
    prompt: z.strictObject({ weights: base64Floats, bias: z.number() }),
    document: z.strictObject({ weights: base64Floats, bias: z.number() }),
  }),
  provenance: z.record(z.string(), z.unknown()),
});
export type EncoderPatch = z.infer<typeof encoderPatchSchema>;

/** What any patch of a pinned model holds: the tensors written over it and the merged updates. */
export type ModelPatch = Pick<EncoderPatch, 'name' | 'base' | 'tensors' | 'lowRank'>;

/**
 * A cross-encoder patch: the same model read as a pair ([CLS] answer [SEP] context [SEP], the
 * context with token type 1) in windows of `sequence` word pieces, the answer cut to `answer` of
 * them, and one head whose logit > 0 says the context does not support the answer.
 */
export const pairPatchSchema = encoderPatchSchema
  .omit({ window: true, stride: true, heads: true })
  .extend({
    sequence: z.number().int().min(16).max(512),
    answer: z.number().int().min(4),
    heads: z.strictObject({
      ungrounded: z.strictObject({ weights: base64Floats, bias: z.number() }),
    }),
  });
export type PairPatch = z.infer<typeof pairPatchSchema>;

export function decodeFloats(encoded: string): Float32Array {
  const bytes = Buffer.from(encoded, 'base64');
  const floats = new Float32Array(bytes.length / 4);
  for (let index = 0; index < floats.length; index += 1)
    floats[index] = bytes.readFloatLE(index * 4);
  return floats;
}

export function readEncoderPatch(path: string): EncoderPatch {
  return readPatch(path, encoderPatchSchema);
}

export function readPairPatch(path: string): PairPatch {
  return readPatch(path, pairPatchSchema);
}

function readPatch<Schema extends z.ZodType>(path: string, schema: Schema): z.infer<Schema> {
  try {
    return schema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (cause) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `${path} is not an encoder patch`,
      cause,
    });
  }
}

/** Round half to even, as NumPy's `rint` does, so the merge matches the trainer's bit for bit. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * An int8 weight matrix with a trained low-rank update merged in on its own quantisation grid:
 * q' = clamp(rint(q + (A·B) / scale_column), -128, 127), in double precision. The trainer
 * computed the same bytes and committed their sha256, which is checked here.
 */
function mergeLowRank(
  patched: Buffer,
  update: ModelPatch['lowRank'][number],
  patchName: string,
): void {
  const { rows, columns, rank, offset } = update;
  const scales = decodeFloats(update.scales);
  const a = decodeFloats(update.a);
  const b = decodeFloats(update.b);
  if (
    offset + rows * columns > patched.length ||
    scales.length !== columns ||
    a.length !== rows * rank ||
    b.length !== rank * columns
  ) {
    throw new GuardstreamError('GS_ERR_MODEL_INTEGRITY', {
      message: `${patchName}: low-rank update ${update.name} does not fit the model file`,
    });
  }
  const merged = Buffer.alloc(rows * columns);
  for (let row = 0; row < rows; row += 1) {
    for (let column = 0; column < columns; column += 1) {
      let delta = 0;
      for (let k = 0; k < rank; k += 1)
        delta += (a[row * rank + k] ?? 0) * (b[k * columns + column] ?? 0);
      const index = row * columns + column;
      const value = patched.readInt8(offset + index) + delta / (scales[column] ?? 1);
      merged.writeInt8(Math.min(127, Math.max(-128, roundHalfEven(value))), index);
    }
  }
  const digest = createHash('sha256').update(merged).digest('hex');
  if (digest !== update.sha256) {
    throw new GuardstreamError('GS_ERR_MODEL_INTEGRITY', {
      message: `${patchName}: merging ${update.name} gave sha256 ${digest}, the trainer's was ${update.sha256}`,
    });
  }
  merged.copy(patched, offset);
}

/**
 * The base model's bytes with the patch's float tensors written over their originals and its
 * low-rank updates merged into their int8 matrices.
 */
export function applyEncoderPatch(model: Uint8Array, patch: ModelPatch): Uint8Array {
  const digest = createHash('sha256').update(model).digest('hex');
  if (digest !== patch.base.sha256) {
    throw new GuardstreamError('GS_ERR_MODEL_INTEGRITY', {
      message: `${patch.name} patches ${patch.base.model}/${patch.base.file} with sha256 ${patch.base.sha256}; this file's is ${digest}`,
    });
  }
  const patched = Buffer.from(model);
  for (const tensor of patch.tensors) {
    const values = decodeFloats(tensor.values);
    if (tensor.offset + values.length * 4 > patched.length) {
      throw new GuardstreamError('GS_ERR_MODEL_INTEGRITY', {
        message: `${patch.name}: tensor ${tensor.name} lies outside the model file`,
      });
    }
    values.forEach((value, index) => patched.writeFloatLE(value, tensor.offset + index * 4));
  }
  for (const update of patch.lowRank) mergeLowRank(patched, update, patch.name);
  return patched;
}

/** A head's logit for one window: weights · mean of the token states + bias. */
export function headLogit(
  states: Float32Array,
  tokens: number,
  dimensions: number,
  weights: Float32Array,
  bias: number,
): number {
  let dot = 0;
  for (let d = 0; d < dimensions; d += 1) {
    let sum = 0;
    for (let t = 0; t < tokens; t += 1) sum += states[t * dimensions + d] ?? 0;
    dot += (sum / tokens) * (weights[d] ?? 0);
  }
  return dot + bias;
}
