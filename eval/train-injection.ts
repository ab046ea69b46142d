/**
 * Trains src/detectors/models/prompt-injection.json from the train splits (see
 * eval/injection-data.ts). Usage: node --import tsx eval/train-injection.ts
 */
import { bundledModelPath } from '../src/detectors/linear-model.ts';
import { buildInjectionSets } from './injection-data.ts';
import { trainLinear } from './train-linear.ts';

const SEED = 20261125;
const sets = buildInjectionSets(SEED);
const sources =
  'llm-warden jailbreak_dataset_train (jailbreak + benign), GPTFuzz templates, BIPIA {text,code}_attack_train planted in BIPIA {email,table,code}/train contexts (+ clean contexts), InjecGuard wildguard (seeded 60%), GSM8K train (seeded 3000), our templates in eval/injection-synthetic.ts (system-prompt extraction, instruction override, limitless personas, hard negatives; EN/FR/DE/ES)';
const report = trainLinear(sets.train, sets.validation, {
  name: 'guardstream-injection-lr',
  out: bundledModelPath('prompt-injection'),
  seed: SEED,
  l2: 3e-5,
  sources,
});
// Documents (ingest, retrieval) get their own weights: the same data plus passages of
// documentation as negatives, so a README is not quarantined for talking about prompts.
const documents = trainLinear(sets.documentTrain, sets.documentValidation, {
  name: 'guardstream-injection-documents-lr',
  out: bundledModelPath('prompt-injection-documents'),
  seed: SEED,
  l2: 3e-5,
  sources: `${sources}, README passages of the installed npm packages (even path hash; eval/injection-data.ts readmePassages)`,
});
for (const { validation, out } of [report, documents])
  console.log(
    `validation TPR ${validation.tpr.toFixed(3)} FPR ${validation.fpr.toFixed(3)}; wrote ${out}`,
  );
