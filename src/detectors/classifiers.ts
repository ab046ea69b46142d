import { z } from 'zod';
import { normalizeForMatching } from './injection/normalize.ts';
import { bundledModelPath, featurize, loadLinearModel, score } from './linear-model.ts';
import { defineDetector } from './types.ts';
import type { DetectorMeta, Finding } from './types.ts';

export function wordCount(text: string): number {
  return text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
}

/** A detector around one bundled linear text classifier (trained by eval/train-*.ts). */
function linearClassifierDetector(
  meta: DetectorMeta,
  modelName: string,
  kind: string,
  minWords: number,
) {
  const configSchema = z
    .strictObject({
      modelPath: z.string().optional().describe('Weights file; defaults to the committed model.'),
      minWords: z
        .number()
        .int()
        .min(1)
        .default(minWords)
        .describe('Shorter texts are not scored: a greeting carries too little evidence.'),
    })
    // Weights are read once, when a policy binds the detector.
    .transform((config) => ({
      minWords: config.minWords,
      model: loadLinearModel(config.modelPath ?? bundledModelPath(modelName)),
    }));
  return defineDetector({
    meta,
    configSchema,
    detect(text, config): Finding[] {
      const normalized = normalizeForMatching(text);
      if (wordCount(normalized) < config.minWords) return [];
      const features = featurize(normalized);
      const probability = score(config.model, features);
      return probability < 0.05
        ? []
        : [
            {
              detector: meta.name,
              kind,
              score: probability,
              evidence: `${config.model.name} ${probability.toFixed(2)}`,
            },
          ];
    },
  });
}

export const toxicityDetector = linearClassifierDetector(
  {
    name: 'toxicity',
    description:
      'Hate speech and offensive language (linear model trained on the Davidson et al. tweets).',
    stages: ['input', 'output', 'ingest', 'retrieval'],
    cost: 'cheap',
    kinds: ['toxic'],
  },
  'toxicity',
  'toxic',
  2,
);

export const harmfulRequestDetector = linearClassifierDetector(
  {
    name: 'harmful_request',
    description:
      'Requests for weapons, malware, fraud, self-harm methods and similar (linear model trained on AdvBench and Do-Not-Answer against benign prompts).',
    stages: ['input'],
    cost: 'cheap',
    kinds: ['harmful_request'],
  },
  'harmful-request',
  'harmful_request',
  4,
);
