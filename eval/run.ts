/**
 * `npm run eval`: every detection evaluation, results in eval/results/*.json.
 * - PII per structured type on presidio-research (synth_dataset_v2 was used while writing the
 *   patterns; generated_large is the held-out figure).
 * - Secrets on leaky-repo's counted fixtures.
 * - Prompt injection / jailbreak on the dev set built by eval/injection-data.ts, through the
 *   same `guardstream eval` path users run, with eval/policies/injection.yaml.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { buildInjectionSets } from './injection-data.ts';

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
console.error('[eval] secrets on leaky-repo…');
process.stdout.write(tsx('eval/secrets-leaky-repo.ts'));

console.error('[eval] prompt injection on the dev set…');
const dir = join(root, '.guardstream', 'eval');
mkdirSync(dir, { recursive: true });
const devFile = join(dir, 'injection-dev.jsonl');
writeFileSync(
  devFile,
  `${buildInjectionSets()
    .dev.map((example) => JSON.stringify(example))
    .join('\n')}\n`,
);
const report = tsx('src/cli/main.ts', [
  'eval',
  '--config',
  'eval/policies/injection.yaml',
  '--data',
  devFile,
  '--stage',
  'input',
  '--json',
]);
writeFileSync(
  join(root, 'eval/results/injection-dev.json'),
  `${JSON.stringify(JSON.parse(report), null, 2)}\n`,
);
process.stdout.write(
  tsx('src/cli/main.ts', [
    'eval',
    '--config',
    'eval/policies/injection.yaml',
    '--data',
    devFile,
    '--stage',
    'input',
  ]),
);
console.error('[eval] wrote eval/results/{pii-presidio,secrets-leaky-repo,injection-dev}.json');
