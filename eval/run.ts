/**
 * `npm run eval`: every detection evaluation, results in eval/results/*.json.
 * - PII per structured type on presidio-research (synth_dataset_v2 was used while writing the
 *   patterns; generated_large is the held-out figure), and phones of 74 locales made by
 *   faker-js with phone-shaped false alarms on GSM8K and README passages.
 * - Secrets on leaky-repo's counted fixtures.
 * - Prompt injection / jailbreak on the dev set built by eval/injection-data.ts, through the
 *   same `guardstream eval` path users run, with eval/policies/injection.yaml.
 *   With the fine-tuned encoder as well (eval/policies/injection-encoder.yaml), when the
 *   sentence embedder has been fetched; and on validation attacks hidden in long documents
 *   (eval/padded-documents.ts, part `padded`).
 * - Prompt injection on the prompts of garak's injection probes (eval/garak.ts; needs Python),
 *   and on spikee's and PyRIT's attack data (eval/external.ts; needs Python and PyPI).
 * - banned_topics with each Do-Not-Answer risk area as the topic (eval/topics.ts).
 * - exfiltration, active_content, prompt_leak and refusal on answers built from garak's
 *   web-injection data and on benign text (eval/output-detectors.ts).
 * Then the charts of docs/results.md are redrawn from the results (eval/charts.ts).
 *
 * `npm run eval -- --only injection-encoder,harmful` runs only the parts named (pii, secrets,
 * injection, injection-encoder, toxicity, harmful, topics, garak, external, output, images,
 * language, bigbench, groundedness, padded): one
 * look at one dev set need not cost the ~13 minutes of all of them (~24 with images, which draws
 * and reads 1,031 screenshots).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { defaultModelsDir } from '../src/models/index.ts';
import { harmfulSets, toxicitySets } from './classifier-data.ts';
import { bigbenchTestSet } from './bigbench-prompts.ts';
import { groundingTestSet } from './grounding-data.ts';
import type { GroundingExample } from './grounding-data.ts';
import { buildInjectionSets, pastedDocuments } from './injection-data.ts';
import { paddedDocuments } from './padded-documents.ts';
import type { Example } from './injection-data.ts';
import { writeDetectionCharts } from './charts.ts';
import { movesReport, writeWatchedResult } from './results-watch.ts';
import type { WatchedReport } from './results-watch.ts';

interface EvalReport extends WatchedReport {
  latency_ms: { p50: number; p99: number };
}

const root = packageRoot();
const tsx = (script: string, args: string[] = []): string => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${script} failed:\n${result.stderr}`);
  return result.stdout;
};

const parts = [
  'pii',
  'secrets',
  'injection',
  'injection-encoder',
  'toxicity',
  'harmful',
  'topics',
  'garak',
  'external',
  'output',
  'images',
  'language',
  'bigbench',
  'groundedness',
  'padded',
];
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? (process.argv[onlyIndex + 1] ?? '').split(',') : parts;
const unknown = only.filter((part) => !parts.includes(part));
if (unknown.length > 0) {
  console.error(`[eval] unknown part ${unknown.join(', ')}; the parts are ${parts.join(', ')}`);
  process.exit(2);
}
const wanted = (part: string): boolean => only.includes(part);

if (wanted('pii')) {
  console.error('[eval] pii on presidio-research…');
  process.stdout.write(tsx('eval/pii-presidio.ts'));
  console.error('[eval] phones in 74 locales (faker-js) and phone false alarms…');
  process.stdout.write(tsx('eval/pii-phones.ts'));
}
if (wanted('secrets')) {
  console.error('[eval] secrets on leaky-repo…');
  process.stdout.write(tsx('eval/secrets-leaky-repo.ts'));
}

const dir = join(root, '.guardstream', 'eval');
mkdirSync(dir, { recursive: true });
const classifiers: {
  name: string;
  part: string;
  policy: string;
  dev: () => (Example | GroundingExample)[];
  /** The stage `guardstream eval` runs the policy at, when it is not `input`. */
  stage?: 'output';
  needsModels?: true;
  /** The result file under eval/results, when it is not `<name>-dev.json`. */
  file?: string;
}[] = [
  {
    name: 'injection',
    part: 'injection',
    policy: 'eval/policies/injection.yaml',
    dev: () => buildInjectionSets().dev,
  },
  // The `language` allow-list alone on the same dev set (English prompts and documents: every
  // block is a false one, and no attack here is in another language).
  {
    name: 'language',
    part: 'language',
    policy: 'eval/policies/language.yaml',
    dev: () => buildInjectionSets().dev,
  },
  // The same detector on benign documents pasted into a prompt (false blocks only).
  {
    name: 'injection-pasted',
    part: 'injection',
    policy: 'eval/policies/injection.yaml',
    dev: () => pastedDocuments(),
  },
  // prompt_injection and the fine-tuned encoder together, on the same two sets.
  {
    name: 'injection-encoder',
    part: 'injection-encoder',
    policy: 'eval/policies/injection-encoder.yaml',
    dev: () => buildInjectionSets().dev,
    needsModels: true,
  },
  {
    name: 'injection-encoder-pasted',
    part: 'injection-encoder',
    policy: 'eval/policies/injection-encoder.yaml',
    dev: () => pastedDocuments(),
    needsModels: true,
  },
  // The same with the encoder's bge-small patch (`model: bge-small`).
  {
    name: 'injection-encoder-bge-small',
    part: 'injection-encoder',
    policy: 'eval/policies/injection-encoder-bge-small.yaml',
    dev: () => buildInjectionSets().dev,
    needsModels: true,
  },
  {
    name: 'injection-encoder-bge-small-pasted',
    part: 'injection-encoder',
    policy: 'eval/policies/injection-encoder-bge-small.yaml',
    dev: () => pastedDocuments(),
    needsModels: true,
  },
  // BIG-bench's held-out task groups (benign prompts: instructions, puzzles, task definitions),
  // a public benign set no injection model trained or was tuned on (eval/bigbench-prompts.ts).
  {
    name: 'injection-bigbench',
    part: 'bigbench',
    policy: 'eval/policies/injection.yaml',
    dev: () => bigbenchTestSet(buildInjectionSets().dev.map((example) => example.text)),
    file: 'injection-bigbench.json',
  },
  {
    name: 'injection-encoder-bigbench',
    part: 'bigbench',
    policy: 'eval/policies/injection-encoder.yaml',
    dev: () => bigbenchTestSet(buildInjectionSets().dev.map((example) => example.text)),
    needsModels: true,
    file: 'injection-encoder-bigbench.json',
  },
  {
    name: 'injection-encoder-bge-small-bigbench',
    part: 'bigbench',
    policy: 'eval/policies/injection-encoder-bge-small.yaml',
    dev: () => bigbenchTestSet(buildInjectionSets().dev.map((example) => example.text)),
    needsModels: true,
    file: 'injection-encoder-bge-small-bigbench.json',
  },
  // Validation attacks hidden in the middle of long documents (eval/padded-documents.ts): which
  // windows the encoder reads past its budget: `ranked` (the default), `ranked-prompt-like` or
  // `first-and-last`.
  {
    name: 'injection-padded',
    part: 'padded',
    policy: 'eval/policies/injection.yaml',
    dev: () => paddedDocuments(),
    file: 'injection-padded.json',
  },
  {
    name: 'injection-encoder-padded',
    part: 'padded',
    policy: 'eval/policies/injection-encoder.yaml',
    dev: () => paddedDocuments(),
    needsModels: true,
    file: 'injection-encoder-padded.json',
  },
  {
    name: 'injection-encoder-prompt-like-padded',
    part: 'padded',
    policy: 'eval/policies/injection-encoder-prompt-like.yaml',
    dev: () => paddedDocuments(),
    needsModels: true,
    file: 'injection-encoder-prompt-like-padded.json',
  },
  {
    name: 'injection-encoder-first-and-last-padded',
    part: 'padded',
    policy: 'eval/policies/injection-encoder-first-and-last.yaml',
    dev: () => paddedDocuments(),
    needsModels: true,
    file: 'injection-encoder-first-and-last-padded.json',
  },
  // Answers and their context from BIG-bench's VitaminC and knowledge-conflict tasks, the test
  // split of eval/grounding-data.ts.
  {
    name: 'groundedness',
    part: 'groundedness',
    policy: 'eval/policies/groundedness.yaml',
    dev: () => groundingTestSet(),
    stage: 'output',
    file: 'groundedness-test.json',
  },
  {
    name: 'groundedness-encoder',
    part: 'groundedness',
    policy: 'eval/policies/groundedness-encoder.yaml',
    dev: () => groundingTestSet(),
    stage: 'output',
    needsModels: true,
    file: 'groundedness-encoder-test.json',
  },
  {
    name: 'toxicity',
    part: 'toxicity',
    policy: 'eval/policies/toxicity.yaml',
    dev: () => toxicitySets().dev,
  },
  {
    name: 'harmful',
    part: 'harmful',
    policy: 'eval/policies/harmful.yaml',
    dev: () => harmfulSets().dev,
  },
];
const fixed = (value: number | null): string => (value === null ? '–' : value.toFixed(3));
for (const { name, part, policy, dev, stage, needsModels, file } of classifiers) {
  if (!wanted(part)) continue;
  if (
    needsModels === true &&
    !['all-minilm-l6-v2-q', 'bge-small-en-v15-q'].every((id) =>
      existsSync(join(defaultModelsDir(), id)),
    )
  ) {
    console.error(`[eval] ${name} skipped: run \`guardstream models fetch\` first`);
    continue;
  }
  console.error(`[eval] ${name} on its dev set…`);
  const examples = dev();
  if (examples.length === 0) continue;
  const devFile = join(dir, `${name}-dev.jsonl`);
  writeFileSync(devFile, `${examples.map((example) => JSON.stringify(example)).join('\n')}\n`);
  const args = [
    'eval',
    '--config',
    policy,
    '--data',
    devFile,
    '--stage',
    stage ?? 'input',
    '--json',
  ];
  const report = JSON.parse(tsx('src/cli/main.ts', args)) as EvalReport;
  const resultFile = file ?? `${name}-dev.json`;
  const moves = writeWatchedResult(join(root, 'eval/results', resultFile), report);
  process.stdout.write(
    `\n${name}: n ${report.n}, TPR ${fixed(report.tpr)}, FPR ${fixed(report.fpr)}, p50 ${report.latency_ms.p50.toFixed(2)} ms, p99 ${report.latency_ms.p99.toFixed(2)} ms\n`,
  );
  for (const [source, figures] of Object.entries(report.by_source))
    process.stdout.write(
      `  ${source.padEnd(28)} n ${String(figures.n).padStart(5)}  TPR ${fixed(figures.tpr)}  FPR ${fixed(figures.fpr)}\n`,
    );
  process.stdout.write(movesReport(resultFile, moves));
}
if (wanted('toxicity')) {
  console.error('[eval] toxic tweets placed in other text…');
  process.stdout.write(tsx('eval/toxicity-placed.ts'));
}
if (wanted('topics')) {
  console.error('[eval] banned_topics on Do-Not-Answer areas (~2 min)…');
  process.stdout.write(tsx('eval/topics.ts'));
}
// garak's injection probes need Python and PyPI (eval/garak.ts): measured when they are there.
if (wanted('garak')) {
  console.error(
    '[eval] prompt_injection on garak’s injection probes, harmful_request on its harmful prompts…',
  );
  const garak = spawnSync(process.execPath, ['--import', 'tsx', 'eval/garak.ts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (garak.status === 0) process.stdout.write(`\ngarak:${garak.stdout}`);
  else console.error('[eval] garak probes skipped (see the message above)');
}
// spikee's and PyRIT's attack data, from their PyPI wheels (eval/external.ts; needs Python).
if (wanted('external')) {
  console.error('[eval] prompt injection on spikee’s and PyRIT’s attack data…');
  const external = spawnSync(process.execPath, ['--import', 'tsx', 'eval/external.ts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (external.status === 0) process.stdout.write(`\nexternal:\n${external.stdout}`);
  else console.error('[eval] external attack data skipped (see the message above)');
}
// The output detectors on answers built from garak's web-injection data (its venv, made above).
if (wanted('output')) {
  console.error('[eval] exfiltration, active_content, prompt_leak and refusal on built answers…');
  process.stdout.write(tsx('eval/output-detectors.ts'));
}
// The image rail on the dev prompts drawn as screenshots (eval/images.ts; needs Python and PyPI).
if (wanted('images')) {
  console.error('[eval] the image rail on dev prompts drawn as screenshots (~5 min)…');
  const images = spawnSync(process.execPath, ['--import', 'tsx', 'eval/images.ts'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (images.status === 0) process.stdout.write(`\n${images.stdout}`);
  else console.error('[eval] images skipped (see the message above)');
}
console.error(`[eval] wrote eval/results/*.json and ${writeDetectionCharts().join(', ')}`);
