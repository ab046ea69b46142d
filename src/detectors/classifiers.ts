import { z } from 'zod';
import { normalizeForMatching } from './injection/normalize.ts';
import { bundledModelPath, featurize, loadLinearModel, score } from './linear-model.ts';
import { defineDetector } from './types.ts';
import type { DetectorMeta, Finding } from './types.ts';

export function wordCount(text: string): number {
  return text.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
}

/** Toxicity is judged on spans of this many words: the median length of the tweets it learned from. */
export const TOXICITY_WINDOW_WORDS = 13;

/**
 * The text cut into runs of `size` whitespace-separated words, starting every `stride` words,
 * the last one ending at the text's end; the text itself when it is no longer than `size`.
 */
export function wordWindows(text: string, size: number, stride: number): string[] {
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (words.length <= size) return [words.join(' ')];
  const windows: string[] = [];
  for (let start = 0; ; start += stride) {
    const end = Math.min(words.length, start + size);
    windows.push(words.slice(Math.max(0, end - size), end).join(' '));
    if (end === words.length) break;
  }
  return windows;
}

/** A detector around one bundled linear text classifier (trained by eval/train-*.ts). */
function linearClassifierDetector(
  meta: DetectorMeta,
  modelName: string,
  kind: string,
  minWords: number,
  windowWords?: number,
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
      // Scored by overlapping windows, a long text is as toxic as its worst passage: a model
      // that learned from tweets neither dilutes an insult in a page nor reads a page as one.
      const probability =
        windowWords === undefined
          ? score(config.model, featurize(normalized))
          : Math.max(
              ...wordWindows(normalized, windowWords, Math.ceil(windowWords / 2)).map((window) =>
                score(config.model, featurize(window)),
              ),
            );
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
  TOXICITY_WINDOW_WORDS,
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
