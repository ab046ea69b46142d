/**
 * Trains src/detectors/models/prompt-injection-encoder.json (the `prompt_injection_encoder`
 * detector) from the train splits: writes the sets (eval/injection-data.ts), makes a Python
 * venv under .guardstream/encoder-venv with pinned JAX, ONNX and tokenizers from PyPI, and runs
 * eval/finetune-injection-encoder.py on the pinned sentence embedder (`guardstream models fetch
 * all-minilm-l6-v2-q` first). Stage one (BitFit) takes ~38 minutes on two cores, stage two (the
 * top four layers, README files held apart whole) ~45; progress on stderr.
 *
 * Usage: node --import tsx eval/train-injection-encoder.ts [--epochs N] [--top-layers N]
 *   [--rank R] [--top-epochs N] [--stage-one PATCH | --from-base] [--hard-weight W]
 *   [--documents files|passages] [--role-prompts] [--task-prompts] [--bigbench] [--issues]
 *   [--base-model all-minilm-l6-v2-q|bge-small-en-v15-q] [--out PATCH] [--checkpoint NPZ]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { SENTENCE_EMBEDDER_ID, defaultModelsDir, modelFilePath } from '../src/models/index.ts';
import { bundledModelPath } from '../src/detectors/index.ts';
import { datasetsDir } from './datasets.ts';
import { encoderPython, runOrExit } from './encoder-venv.ts';
import { bigbenchPromptSets } from './bigbench-prompts.ts';
import { githubIssueSets } from './github-issues.ts';
import { buildInjectionSets } from './injection-data.ts';

const root = packageRoot();

// --base-model bge-small-en-v15-q trains the larger patch (`models fetch bge-small-en-v15-q` first).
const baseModelFlag = process.argv.indexOf('--base-model');
const baseModel =
  baseModelFlag >= 0
    ? (process.argv[baseModelFlag + 1] ?? SENTENCE_EMBEDDER_ID)
    : SENTENCE_EMBEDDER_ID;
const modelDir = dirname(modelFilePath(baseModel, 'model.onnx', defaultModelsDir()));
const setsDir = join(root, '.guardstream', 'eval');
mkdirSync(setsDir, { recursive: true });
const sets = buildInjectionSets();
const writeSet = (name: string, examples: readonly object[]): void => {
  writeFileSync(
    join(setsDir, `injection-${name}.jsonl`),
    `${examples.map((example) => JSON.stringify(example)).join('\n')}\n`,
  );
};
for (const [name, examples] of Object.entries(sets)) writeSet(name, examples);
// --bigbench: BIG-bench's train task groups as negatives, its validation groups reported.
if (process.argv.includes('--bigbench')) {
  const bigbench = bigbenchPromptSets(sets.dev.map((example) => example.text));
  writeSet('bigbenchTrain', bigbench.train);
  writeSet('bigbenchValidation', bigbench.validation);
  console.error(
    `[train] BIG-bench: ${String(bigbench.train.length)} train, ${String(bigbench.validation.length)} validation prompts; left out as sharing a run with dev: ${bigbench.contaminated.join(', ') || 'none'}`,
  );
}
// --issues: GitHub issue and comment bodies (github3.py's cassettes) as negatives, validation reported.
if (process.argv.includes('--issues')) {
  const issues = githubIssueSets(sets.dev.map((example) => example.text));
  writeSet('issuesTrain', issues.train);
  writeSet('issuesValidation', issues.validation);
  console.error(
    `[train] GitHub bodies: ${String(issues.train.length)} train, ${String(issues.validation.length)} validation; left out as sharing a run with dev: ${String(issues.contaminated)}`,
  );
}
runOrExit(encoderPython(), [
  join(root, 'eval', 'finetune-injection-encoder.py'),
  '--model-dir',
  modelDir,
  '--sets-dir',
  setsDir,
  '--datasets-dir',
  datasetsDir(),
  '--out',
  bundledModelPath('prompt-injection-encoder'),
  '--checkpoint',
  join(root, '.guardstream', 'encoder-params.npz'),
  // --epochs, --top-layers, --rank, --top-epochs, --stage-one PATCH, --from-base, --hard-weight W,
  // --documents files|passages, --role-prompts, --task-prompts, --bigbench, --issues: see the Python file.
  ...process.argv.slice(2),
]);
