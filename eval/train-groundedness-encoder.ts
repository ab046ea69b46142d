/**
 * Trains src/detectors/models/groundedness-encoder.json (the `groundedness` detector's
 * `model: encoder`) from the train split of eval/grounding-data.ts: all of VitaminC's train
 * pages and 2,000 of the knowledge-conflict train questions (their answers are told apart by
 * their words already; a few teach the model short answers). Validation is the whole
 * validation split. Runs eval/finetune-groundedness-encoder.py in the encoder venv on the pinned
 * sentence embedder (`guardstream models fetch all-minilm-l6-v2-q` first); progress on stderr.
 *
 * Usage: node --import tsx eval/train-groundedness-encoder.ts [--epochs N] [--top-layers N]
 *   [--rank R] [--max-train N] [--smoke] [--out PATCH]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { SENTENCE_EMBEDDER_ID, defaultModelsDir, modelFilePath } from '../src/models/index.ts';
import { bundledModelPath } from '../src/detectors/index.ts';
import { seededRandom, shuffle } from './datasets.ts';
import { encoderPython, runOrExit } from './encoder-venv.ts';
import { GROUNDING_SOURCES, groundingSets } from './grounding-data.ts';

const CONFLICT_QUESTIONS = 2000;

const root = packageRoot();
const modelDir = dirname(modelFilePath(SENTENCE_EMBEDDER_ID, 'model.onnx', defaultModelsDir()));
const setsDir = join(root, '.guardstream', 'eval');
mkdirSync(setsDir, { recursive: true });
const sets = groundingSets();
const isConflict = (source: string): boolean =>
  source === GROUNDING_SOURCES.passageAnswer || source === GROUNDING_SOURCES.worldAnswer;
// Both answers of a question stay together: the contexts of the chosen questions.
const conflictContexts = shuffle(
  [
    ...new Set(
      sets.train.filter((row) => isConflict(row.source)).map((row) => row.context.join('\n')),
    ),
  ],
  seededRandom(20261127),
).slice(0, CONFLICT_QUESTIONS);
const chosen = new Set(conflictContexts);
const train = sets.train.filter(
  (row) => !isConflict(row.source) || chosen.has(row.context.join('\n')),
);
const write = (name: string, rows: readonly object[]): void => {
  writeFileSync(
    join(setsDir, `grounding-${name}.jsonl`),
    `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`,
  );
};
write('train', train);
write('validation', sets.validation);
console.error(
  `[train] ${String(train.length)} training pairs, ${String(sets.validation.length)} validation pairs`,
);
const outFlag = process.argv.indexOf('--out');
runOrExit(encoderPython(), [
  join(root, 'eval', 'finetune-groundedness-encoder.py'),
  '--model-dir',
  modelDir,
  '--sets-dir',
  setsDir,
  ...(outFlag >= 0 ? [] : ['--out', bundledModelPath('groundedness-encoder')]),
  // --epochs, --top-layers, --rank, --max-train N, --smoke, --out PATCH: see the Python file.
  ...process.argv.slice(2),
]);
