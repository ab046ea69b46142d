import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../kafka/paths.ts';

/**
 * Hashed n-gram features of normalised text: word unigrams and bigrams, and character 4-grams.
 * Shared by the training script and the detector so both see exactly the same features.
 */
export const FEATURE_BITS = 16;
const MASK = (1 << FEATURE_BITS) - 1;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over `text[from, to)`, continuing from `hash`: pieces hash as their concatenation. */
function fnv1aRange(hash: number, text: string, from: number, to: number): number {
  let h = hash;
  for (let index = from; index < to; index += 1) {
    h ^= text.charCodeAt(index);
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

/** A text's features: distinct hashed indices and their L2-normalised log counts. */
export interface SparseFeatures {
  readonly indices: Uint32Array;
  readonly values: Float64Array;
}

const WORD = /[\p{L}\p{N}']+/gu;

// Scratch counters reused across calls (JavaScript runs one call at a time per thread): counting
// into a typed array instead of a Map keeps feature extraction free of per-feature garbage,
// which the gateway paid for in collection pauses.
const counts = new Float64Array(1 << FEATURE_BITS);
const touched = new Uint32Array(1 << FEATURE_BITS);

/**
 * Hashed word unigrams and bigrams and character 4-grams, log-scaled and L2-normalised, capped
 * per text so one long document is not all features. The same function feeds training
 * (eval/train-linear.ts) and detection, so both see exactly the same features.
 */
export function featurize(normalized: string, maxChars = 4000): SparseFeatures {
  // The input policy's three linear models score the same text one after another: the last
  // result is reused (the returned arrays are shared, so callers must not write to them).
  if (normalized === memo.text && maxChars === memo.maxChars && memo.features !== undefined) {
    return memo.features;
  }
  const features = computeFeatures(normalized, maxChars);
  memo.text = normalized;
  memo.maxChars = maxChars;
  memo.features = features;
  return features;
}

const memo: { text: string | undefined; maxChars: number; features: SparseFeatures | undefined } = {
  text: undefined,
  maxChars: 0,
  features: undefined,
};

function computeFeatures(normalized: string, maxChars: number): SparseFeatures {
  const text = normalized.length > maxChars ? normalized.slice(0, maxChars) : normalized;
  let distinct = 0;
  const add = (hash: number): void => {
    const index = (hash >>> 0) & MASK;
    if (counts[index] === 0) {
      touched[distinct] = index;
      distinct += 1;
    }
    counts[index] = (counts[index] ?? 0) + 1;
  };
  // Word unigrams (seed 1) and bigrams "word next" (seed 2), hashed from the text in place, in
  // the order word, then its bigram with the next word (the order the weights were trained in).
  WORD.lastIndex = 0;
  let current = WORD.exec(text);
  while (current !== null) {
    const start = current.index;
    const end = start + current[0].length;
    const next = WORD.exec(text);
    add(fnv1aRange(FNV_OFFSET ^ 1, text, start, end));
    if (next !== null) {
      const bigram = Math.imul(fnv1aRange(FNV_OFFSET ^ 2, text, start, end) ^ 32, FNV_PRIME);
      add(fnv1aRange(bigram, text, next.index, next.index + next[0].length));
    }
    current = next;
  }
  // Character 4-grams (seed 3) of " text ".
  const padded = ` ${text} `;
  for (let index = 0; index + 4 <= padded.length; index += 1) {
    add(fnv1aRange(FNV_OFFSET ^ 3, padded, index, index + 4));
  }
  const indices = new Uint32Array(distinct);
  const values = new Float64Array(distinct);
  let norm = 0;
  for (let slot = 0; slot < distinct; slot += 1) {
    const index = touched[slot] ?? 0;
    const value = 1 + Math.log(counts[index] ?? 1);
    counts[index] = 0;
    indices[slot] = index;
    values[slot] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm) || 1;
  for (let slot = 0; slot < distinct; slot += 1) values[slot] = (values[slot] ?? 0) / norm;
  return { indices, values };
}

export interface LinearModel {
  bias: number;
  /** Dense weights, one per hashed feature (a typed array: no per-weight heap objects). */
  weights: Float64Array;
}

export function score(model: LinearModel, features: SparseFeatures): number {
  let z = model.bias;
  const { indices, values } = features;
  for (let slot = 0; slot < indices.length; slot += 1) {
    z += (model.weights[indices[slot] ?? 0] ?? 0) * (values[slot] ?? 0);
  }
  return 1 / (1 + Math.exp(-z));
}

interface ModelFile {
  name: string;
  featureBits: number;
  bias: number;
  weightScale: number;
  weightsInt16Base64: string;
}

export type NamedLinearModel = LinearModel & { name: string };

/** Reads a weights file written by eval/train-linear.ts (int16-quantised, base64). */
export function loadLinearModel(path: string): NamedLinearModel {
  const file = JSON.parse(readFileSync(path, 'utf8')) as ModelFile;
  if (file.featureBits !== FEATURE_BITS) {
    throw new Error(
      `${path}: model has ${file.featureBits} feature bits, the code expects ${FEATURE_BITS}`,
    );
  }
  const raw = Buffer.from(file.weightsInt16Base64, 'base64');
  const quantized = new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2);
  const weights = new Float64Array(1 << FEATURE_BITS);
  for (let index = 0; index < quantized.length; index += 1) {
    weights[index] = (quantized[index] ?? 0) * file.weightScale;
  }
  return { name: file.name, bias: file.bias, weights };
}

/** Committed model files live beside the detectors: src/detectors/models/<name>.json. */
export function bundledModelPath(name: string): string {
  return join(packageRoot(), 'src', 'detectors', 'models', `${name}.json`);
}
