/**
 * Trains a candidate harmful-request patch of the sentence embedder (tried 2026-11-26 and not
 * adopted: docs/detectors/harmful-request.md says what it measured and why). Writes the
 * harmful-request train and validation sets with the training wrappers (eval/classifier-data.ts)
 * and runs eval/finetune-harmful-encoder.py on the pinned sentence embedder (`guardstream models
 * fetch all-minilm-l6-v2-q` first) in the encoder venv. ~13 minutes on two cores; progress on
 * stderr. The detector that reads such a patch is on the branch exp/harmful-request-encoder.
 *
 * Usage: node --import tsx eval/train-harmful-encoder.ts [--mentions] [--more-mentions]
 *   [--out PATH] [--smoke] [--top-layers N] [--rank R] [--epochs N]
 *   --mentions: benign requests that mention grave harms (eval/benign-mentions.ts) in training
 *   and validation too; --more-mentions: their train rows drawn from the more frames as well;
 *   --out: default .guardstream/harmful-request-encoder.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { SENTENCE_EMBEDDER_ID, defaultModelsDir, modelFilePath } from '../src/models/index.ts';
import { harmfulSets } from './classifier-data.ts';
import { encoderPython, runOrExit } from './encoder-venv.ts';

const root = packageRoot();
const setsDir = join(root, '.guardstream', 'eval');
mkdirSync(setsDir, { recursive: true });
const args = process.argv.slice(2);
const mentions = args.includes('--mentions');
const moreMentions = args.includes('--more-mentions');
const sets = harmfulSets(20261125, { wrapped: true, mentions, moreMentions });
for (const name of ['train', 'validation'] as const) {
  writeFileSync(
    join(setsDir, `harmful-${name}.jsonl`),
    `${sets[name].map((example) => JSON.stringify(example)).join('\n')}\n`,
  );
}
runOrExit(encoderPython(), [
  join(root, 'eval', 'finetune-harmful-encoder.py'),
  '--model-dir',
  dirname(modelFilePath(SENTENCE_EMBEDDER_ID, 'model.onnx', defaultModelsDir())),
  '--sets-dir',
  setsDir,
  ...(args.includes('--out')
    ? []
    : ['--out', join(root, '.guardstream', 'harmful-request-encoder.json')]),
  '--checkpoint',
  join(root, '.guardstream', 'harmful-encoder-params.npz'),
  ...args.filter((arg) => arg !== '--mentions' && arg !== '--more-mentions'),
]);
