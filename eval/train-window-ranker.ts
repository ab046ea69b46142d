/**
 * Trains src/detectors/models/prompt-likeness.json: a linear model telling text written to a
 * model (prompts, benign or not) from documents (README files, package docs, BIPIA's clean
 * tables, e-mails and code). `prompt_injection_encoder` uses it, beside `prompt_injection`'s two
 * models, only to choose which windows of a long text the transformer reads: an ordinary
 * request planted in a document looks harmless to an injection model but not like the document
 * around it. Train splits only (eval/injection-data.ts); no threshold is used at run time.
 * Usage: node --import tsx eval/train-window-ranker.ts
 */
import { bundledModelPath } from '../src/detectors/linear-model.ts';
import { buildInjectionSets } from './injection-data.ts';
import type { Example } from './injection-data.ts';
import { trainLinear } from './train-linear.ts';

const SEED = 20261125;
const sets = buildInjectionSets(SEED);
const DOCUMENT_SOURCES = new Set([
  'bipia-clean-table',
  'bipia-clean-email',
  'bipia-clean-code',
  'bipia-injected',
  'readme-passages',
  'package-docs',
]);
// Label 1: written to a model; 0: a document. BIPIA's attacked documents are documents here.
const relabel = (prompts: readonly Example[], documents: readonly Example[]): Example[] => [
  ...prompts.map((example) => ({
    ...example,
    label: DOCUMENT_SOURCES.has(example.source) ? (0 as const) : (1 as const),
  })),
  ...documents.map((example) => ({ ...example, label: 0 as const })),
];
const report = trainLinear(
  relabel(sets.train, sets.documentsByFileTrain),
  relabel(sets.validation, sets.documentsByFileValidation),
  {
    name: 'guardstream-prompt-likeness-lr',
    out: bundledModelPath('prompt-likeness'),
    seed: SEED,
    l2: 3e-5,
    sources:
      'prompts of the injection train split (llm-warden train, GPTFuzz, wildguard 60%, GSM8K train 3000, our templates) against documents: README and package-docs passages of the train-side files, BIPIA train tables, e-mails and code, clean and attacked',
  },
);
console.log(
  `validation TPR ${report.validation.tpr.toFixed(3)} FPR ${report.validation.fpr.toFixed(3)}; wrote ${report.out}`,
);
