/**
 * Shared trainer for the linear text classifiers: logistic regression on the hashed features
 * of src/detectors/linear-model.ts, Adagrad, class-balanced, fixed seed. The threshold is
 * picked on a validation split (never on reported data) as the highest TPR with FPR ≤
 * `maxValidationFpr`, then folded into the bias so a policy threshold of 0.5 is that point.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_BITS, featurize } from '../src/detectors/linear-model.ts';
import type { SparseFeatures } from '../src/detectors/linear-model.ts';
import { normalizeForMatching } from '../src/detectors/injection/normalize.ts';
import { datasetsDir } from './datasets.ts';
import type { Example } from './injection-data.ts';
import { seededRandom } from './injection-data.ts';

export interface TrainOptions {
  name: string;
  out: string;
  seed: number;
  sources: string;
  epochs?: number;
  learningRate?: number;
  l2?: number;
  maxValidationFpr?: number;
}

export interface TrainReport {
  validation: { tpr: number; fpr: number };
  out: string;
}

export function trainLinear(
  train: readonly Example[],
  validation: readonly Example[],
  options: TrainOptions,
): TrainReport {
  const epochs = options.epochs ?? 12;
  const learningRate = options.learningRate ?? 0.5;
  const l2 = options.l2 ?? 1e-5;
  const vectorize = (text: string): SparseFeatures => featurize(normalizeForMatching(text));
  const rows = train.map((example) => ({ x: vectorize(example.text), y: example.label }));
  const size = 1 << FEATURE_BITS;
  const weights = new Float64Array(size);
  const gradSquares = new Float64Array(size).fill(1e-8);
  let bias = 0;
  let biasGrad = 1e-8;
  const positives = rows.filter((row) => row.y === 1).length;
  const positiveWeight = (rows.length - positives) / Math.max(1, positives);
  const random = seededRandom(options.seed);
  for (let epoch = 0; epoch < epochs; epoch += 1) {
    const order = rows.map((_, index) => index);
    for (let index = order.length - 1; index > 0; index -= 1) {
      const other = Math.floor(random() * (index + 1));
      [order[index], order[other]] = [order[other] ?? 0, order[index] ?? 0];
    }
    let loss = 0;
    for (const index of order) {
      const row = rows[index];
      if (row === undefined) continue;
      let z = bias;
      for (let slot = 0; slot < row.x.indices.length; slot += 1)
        z += (weights[row.x.indices[slot] ?? 0] ?? 0) * (row.x.values[slot] ?? 0);
      const p = 1 / (1 + Math.exp(-z));
      const classWeight = row.y === 1 ? positiveWeight : 1;
      loss -= classWeight * (row.y === 1 ? Math.log(p + 1e-12) : Math.log(1 - p + 1e-12));
      const gradient = classWeight * (p - row.y);
      for (let slot = 0; slot < row.x.indices.length; slot += 1) {
        const feature = row.x.indices[slot] ?? 0;
        const value = row.x.values[slot] ?? 0;
        const g = gradient * value + l2 * (weights[feature] ?? 0);
        gradSquares[feature] = (gradSquares[feature] ?? 0) + g * g;
        weights[feature] =
          (weights[feature] ?? 0) - (learningRate * g) / Math.sqrt(gradSquares[feature] ?? 1);
      }
      biasGrad += gradient * gradient;
      bias -= (learningRate * gradient) / Math.sqrt(biasGrad);
    }
    process.stderr.write(
      `[${options.name}] epoch ${epoch + 1}/${epochs} loss ${(loss / rows.length).toFixed(4)}\n`,
    );
  }

  const logit = (x: SparseFeatures): number => {
    let z = bias;
    for (let slot = 0; slot < x.indices.length; slot += 1)
      z += (weights[x.indices[slot] ?? 0] ?? 0) * (x.values[slot] ?? 0);
    return z;
  };
  const scored = validation.map((example) => ({
    z: logit(vectorize(example.text)),
    y: example.label,
  }));
  const benign = scored
    .filter((row) => row.y === 0)
    .map((row) => row.z)
    .sort((a, b) => b - a);
  const attacks = scored.filter((row) => row.y === 1);
  const allowed = Math.floor(benign.length * (options.maxValidationFpr ?? 0.01));
  const threshold = (benign[allowed] ?? 0) + 1e-6;
  const tpr = attacks.filter((row) => row.z > threshold).length / Math.max(1, attacks.length);
  const fpr = benign.filter((z) => z > threshold).length / Math.max(1, benign.length);

  // Dense int16 quantisation: 2^16 weights in ~175 KB of base64.
  let maxAbs = 0;
  for (const weight of weights) maxAbs = Math.max(maxAbs, Math.abs(weight));
  const scale = maxAbs / 32_767 || 1;
  const quantized = new Int16Array(size);
  for (let index = 0; index < size; index += 1)
    quantized[index] = Math.round((weights[index] ?? 0) / scale);
  const commits = readFileSync(join(datasetsDir(), 'SOURCE_COMMITS.txt'), 'utf8')
    .trim()
    .split('\n');
  const model = {
    name: options.name,
    version: 1,
    kind: 'logistic regression on hashed word 1-2-grams and char 4-grams of normalised text',
    featureBits: FEATURE_BITS,
    trainedBy: 'eval/train-linear.ts',
    seed: options.seed,
    hyperparameters: { epochs, learningRate, l2, optimizer: 'adagrad', positiveWeight },
    data: { train: train.length, validation: validation.length, sources: options.sources, commits },
    threshold: {
      rule: `highest validation TPR with validation FPR <= ${options.maxValidationFpr ?? 0.01}, folded into bias`,
      logit: threshold,
    },
    validation: { tpr, fpr },
    bias: bias - threshold,
    weightScale: scale,
    weightsInt16Base64: Buffer.from(quantized.buffer).toString('base64'),
  };
  writeFileSync(options.out, `${JSON.stringify(model)}\n`);
  return { validation: { tpr, fpr }, out: options.out };
}
