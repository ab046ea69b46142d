/**
 * Trains src/detectors/models/prompt-injection.json from the train splits (see
 * eval/injection-data.ts). Usage: node --import tsx eval/train-injection.ts
 */
import { bundledModelPath } from '../src/detectors/linear-model.ts';
import { buildInjectionSets } from './injection-data.ts';
import { trainLinear } from './train-linear.ts';

const SEED = 20261125;
const sets = buildInjectionSets(SEED);
const report = trainLinear(sets.train, sets.validation, {
  name: 'guardstream-injection-lr',
  out: bundledModelPath('prompt-injection'),
  seed: SEED,
  l2: 3e-5,
  sources:
    'llm-warden jailbreak_dataset_train (jailbreak + benign), GPTFuzz templates, BIPIA {text,code}_attack_train planted in BIPIA {email,table,code}/train contexts (+ clean contexts), InjecGuard wildguard (seeded 60%), GSM8K train (seeded 3000), our templates in eval/injection-synthetic.ts (system-prompt extraction, instruction override, hard negatives; EN/FR/DE/ES)',
});
console.log(
  `validation TPR ${report.validation.tpr.toFixed(3)} FPR ${report.validation.fpr.toFixed(3)}; wrote ${report.out}`,
);
