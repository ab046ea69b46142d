import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../kafka/paths.ts';
import { FEATURE_BITS } from './features.ts';
import type { LinearModel } from './features.ts';

interface ModelFile {
  name: string;
  featureBits: number;
  bias: number;
  weightScale: number;
  weightsInt16Base64: string;
}

export const defaultModelPath = (): string =>
  join(packageRoot(), 'src/detectors/injection/model.json');

/** Reads the committed weights file (trained by eval/train-injection.ts). */
export function loadInjectionModel(path: string): LinearModel & { name: string } {
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
