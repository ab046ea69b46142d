import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../kafka/paths.ts';

/**
 * Hashed n-gram features of normalised text: word unigrams and bigrams, and character 4-grams.
 * Shared by the training script and the detector so both see exactly the same features.
 */
export const FEATURE_BITS = 16;
const MASK = (1 << FEATURE_BITS) - 1;

function fnv1a(text: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Feature indices with counts, capped per text so one long document is not all features. */
export function featurize(normalized: string, maxChars = 4000): Map<number, number> {
  const text = normalized.length > maxChars ? normalized.slice(0, maxChars) : normalized;
  const features = new Map<number, number>();
  const add = (key: string, seed: number): void => {
    const index = fnv1a(key, seed) & MASK;
    features.set(index, (features.get(index) ?? 0) + 1);
  };
  const words = text.match(/[\p{L}\p{N}']+/gu) ?? [];
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index] ?? '';
    add(word, 1);
    const next = words[index + 1];
    if (next !== undefined) add(`${word} ${next}`, 2);
  }
  const padded = ` ${text} `;
  for (let index = 0; index + 4 <= padded.length; index += 1)
    add(padded.slice(index, index + 4), 3);
  // Log-scaled counts, L2-normalised: long and short texts land on the same scale.
  let norm = 0;
  for (const [index, count] of features) {
    const value = 1 + Math.log(count);
    features.set(index, value);
    norm += value * value;
  }
  norm = Math.sqrt(norm) || 1;
  for (const [index, value] of features) features.set(index, value / norm);
  return features;
}

export interface LinearModel {
  bias: number;
  weights: Map<number, number>;
}

export function score(model: LinearModel, features: Map<number, number>): number {
  let z = model.bias;
  for (const [index, value] of features) z += (model.weights.get(index) ?? 0) * value;
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
  const weights = new Map<number, number>();
  for (let index = 0; index < quantized.length; index += 1) {
    const value = quantized[index] ?? 0;
    if (value !== 0) weights.set(index, value * file.weightScale);
  }
  return { name: file.name, bias: file.bias, weights };
}

/** Committed model files live beside the detectors: src/detectors/models/<name>.json. */
export function bundledModelPath(name: string): string {
  return join(packageRoot(), 'src', 'detectors', 'models', `${name}.json`);
}
