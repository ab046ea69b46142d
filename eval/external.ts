/**
 * Prompt injection and jailbreaks from three red-team tools' own attack data, scored with the
 * default injection policy and with the fine-tuned encoder: public sets this product
 * will be judged on, never trained on, never read to write a rule. First scored 2026-11-27.
 *
 * - spikee 0.9.2 (WithSecure, Apache-2.0): its seed folders for cyber-security payloads
 *   (markdown exfiltration, XSS, long output), an e-mail assistant and system-prompt extraction,
 *   built as `spikee generate` builds them by default (each jailbreak with each instruction of
 *   the same language, after the base document or in its placeholder, between newlines, sent as
 *   the user's message); the Zulu, Albanian, Irish and Scottish Gaelic pairs as their own source;
 *   its benign investment questions (written to measure false alarms) as benign, those in the
 *   same four languages apart.
 * - PyRIT 1.1.0 (Microsoft, MIT): its jailbreak templates (jailbreakchat, in-the-wild prompts
 *   collected by Shen et al. 2024, Pliny's, Arth Singh's), each filled with a held-out AdvBench
 *   goal. spikee's harmful instructions go to `harmful_request` instead.
 * - AgentDojo 0.1.35 (ETH Zurich, MIT): the texts its v1 suites' tools return, at `retrieval`,
 *   with its five attacks in their injection placeholders, and its user tasks at `input`.
 * - PyRIT's many-shot jailbreaking template with its example turns (4, 16 and 64 of them before
 *   a held-out AdvBench goal), at `input` with the whole default policy.
 * - PyRIT's evaluation set for its refusal scorer (model answers with a human's verdict), for
 *   the `refusal` detector at `output` (first scored 2026-11-27 02:53).
 * - inspect_evals 0.28.0 (UK AI Security Institute, MIT; first scored 2026-11-27): WritingBench's
 *   1,000 writing requests (English and Chinese, many with their reference material pasted in)
 *   and PersistBench's 500 assistant queries as benign prompts at `input`; its coding-agent
 *   indirect-injection tasks: the issue text or repository file carrying each of 35 attacks as
 *   a document at `retrieval`, the 10 benign tasks' issue texts and files as benign documents,
 *   and all 45 tasks' requests as benign prompts; agent_threat_bench's e-mails, customer records
 *   and memory entries, attacked and clean, at `retrieval`; SWE-Lancer's 463 Expensify issue texts
 *   as benign documents at `retrieval`; and `dangerous_command` alone on the same file.
 * - github3.py 4.0.1 (BSD-3-Clause): the held-out 15% of the GitHub issue, pull-request and
 *   comment bodies its test cassettes record (eval/github-issues.ts), benign documents at
 *   `retrieval` (first scored 2026-11-28).
 *
 * Many public jailbreaks are copies of one another, so a text whose five-word shingles are at
 * least half found in our training texts is reported under its source plus `-seen`.
 *
 * Usage: node --import tsx eval/external.ts → eval/results/injection-external.json,
 * injection-encoder-external.json (with the sentence embedder fetched), injection-agentdojo.json,
 * injection-encoder-agentdojo.json, harmful-external.json, refusal-external.json,
 * many-shot(-encoder)-external.json, injection(-encoder)-inspect-evals.json,
 * injection(-encoder)(-bge-small)-github-issues.json,
 * dangerous-command-inspect-evals.json, language-external.json, language-inspect-evals.json
 * (`--language-only`: only these two). Downloads the four wheels and github3.py's sdist from
 * PyPI into .guardstream/external (checked against their sha256) with a venv's pip; needs Python 3
 * with venv and PyPI, otherwise exits 2 saying so. ~4 minutes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ScalarTag } from 'yaml';
import { packageRoot } from '../src/kafka/index.ts';
import { SENTENCE_EMBEDDER_ID, defaultModelsDir } from '../src/models/index.ts';
import { harmfulSets } from './classifier-data.ts';
import { GITHUB3_SDIST, githubIssueSets } from './github-issues.ts';
import { buildInjectionSets, parseCsv, seededRandom, shuffle } from './injection-data.ts';
import { downloadPinnedWheel } from './pinned-wheel.ts';
import { scoreToolArguments } from './tool-arguments.ts';
import type { PinnedWheel } from './pinned-wheel.ts';
import { movesReport, writeWatchedResult } from './results-watch.ts';
import type { WatchedReport } from './results-watch.ts';

interface Wheel extends PinnedWheel {
  /** The folders of the wheel this reads. */
  data: readonly string[];
}

const wheels: readonly Wheel[] = [
  {
    name: 'spikee',
    version: '0.9.2',
    sha256: '60cec774a1138e62b68b4bed445285f5b5103818ffb68fab681f37b5e707802b',
    data: ['spikee/data/workspace/datasets/'],
  },
  {
    name: 'pyrit',
    version: '1.1.0',
    sha256: '84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a',
    data: [
      'pyrit/datasets/jailbreak/templates/',
      'pyrit/datasets/jailbreak/many_shot_examples.json',
      'pyrit/datasets/scorer_evals/refusal_scorer/',
    ],
  },
  {
    name: 'agentdojo',
    version: '0.1.35',
    sha256: '364bea4219716b716bf639f504d195943f7f6a5535d312ca41d7098704a2affd',
    data: ['agentdojo/'],
  },
  {
    name: 'inspect-evals',
    version: '0.28.0',
    sha256: '1d5735999b1c4e481162cacc29b962beeefd540c1e6222cccfdb40e79e8d459d',
    data: [
      'inspect_evals/writingbench/benchmark_all.jsonl',
      'inspect_evals/persistbench/benchmark_samples/',
      'inspect_evals/ipi_coding_agent/dataset/',
      'inspect_evals/agent_threat_bench/data/',
      'inspect_evals/swe_lancer/data/',
      'inspect_evals/mind2web_sc/data/seeact/sample_labeled_all.json',
      'inspect_evals/tau2/data/domains/',
    ],
  },
];

interface Row {
  text: string;
  label: 0 | 1;
  source: string;
  stage?: 'retrieval';
}

const root = packageRoot();
const work = join(root, '.guardstream', 'external');
const log = (message: string): void => {
  console.error(`[external] ${message}`);
};

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? result.stderr.trim().split('\n').slice(-3).join('\n');
    log(`${command} ${args.slice(0, 3).join(' ')} failed: ${why}`);
    process.exit(2);
  }
  return result.stdout;
}

/**
 * The folder the wheel's data folders were unpacked into, downloaded, checked and unpacked once
 * (again when the list of folders changes).
 */
function unpacked(wheel: Wheel): string {
  const dir = join(work, `${wheel.name}-${wheel.version}`);
  const folders = createHash('sha256').update(wheel.data.join('\n')).digest('hex').slice(0, 8);
  const marker = join(dir, `${wheel.sha256}-${folders}.ok`);
  if (existsSync(marker)) return dir;
  const python = join(work, 'venv', 'bin', 'python');
  if (!existsSync(python)) {
    log('creating a Python venv under .guardstream/external…');
    run('python3', ['-m', 'venv', join(work, 'venv')]);
  }
  log(`downloading ${wheel.name} ${wheel.version} from PyPI…`);
  const downloaded = downloadPinnedWheel(python, wheel, join(dir, 'wheel'));
  if ('error' in downloaded) {
    log(downloaded.error);
    process.exit(2);
  }
  // A wheel is a zip file; Python's zipfile unpacks only the data folders.
  run(python, [
    '-c',
    'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nz.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith(tuple(sys.argv[3:]))])',
    downloaded.path,
    dir,
    ...wheel.data,
  ]);
  writeFileSync(marker, `${downloaded.path}\n`);
  return dir;
}

function jsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const field = (row: Record<string, unknown>, name: string): string => {
  const value = row[name];
  return typeof value === 'string' ? value : '';
};
const language = (row: Record<string, unknown>): string => field(row, 'lang') || 'en';

/** spikee's seed folders as `spikee generate --seed-folder …` builds them with its defaults. */
function spikeeRows(datasets: string): { injection: Row[]; harmful: Row[] } {
  const injection: Row[] = [];
  const folders: Record<string, string> = {
    'seeds-cybersec-2026-01': 'spikee-cybersec',
    'seeds-llm-mailbox': 'spikee-llm-mailbox',
    'seeds-sysmsg-extraction-2025-04': 'spikee-sysmsg-extraction',
  };
  for (const [folder, source] of Object.entries(folders)) {
    const read = (name: string): Record<string, unknown>[] =>
      jsonLines(join(datasets, folder, name));
    const instructions = read('instructions.jsonl');
    for (const base of read('base_user_inputs.jsonl')) {
      const document = field(base, 'document');
      const placeholder = field(base, 'placeholder');
      for (const jailbreak of read('jailbreaks.jsonl')) {
        for (const instruction of instructions) {
          if (language(jailbreak) !== language(instruction)) continue;
          const payload = `\n${field(jailbreak, 'text').replace('<INSTRUCTION>', field(instruction, 'instruction'))}\n`;
          const text =
            placeholder !== '' ? document.replace(placeholder, payload) : `${document}${payload}`;
          const lowResource = language(instruction) !== 'en';
          injection.push({
            text,
            label: 1,
            source: lowResource ? `${source}-low-resource` : source,
          });
        }
      }
    }
    for (const standalone of read('standalone_user_inputs.jsonl')) {
      injection.push({ text: field(standalone, 'text'), label: 1, source });
    }
  }
  for (const question of jsonLines(
    join(datasets, 'seeds-investment-advice-fp', 'standalone_user_inputs.jsonl'),
  )) {
    const source = `spikee-investment-benign${language(question) === 'en' ? '' : '-low-resource'}`;
    injection.push({ text: field(question, 'text'), label: 0, source });
  }
  const harmful = jsonLines(
    join(datasets, 'seeds-harmful-instructions-only', 'instructions.jsonl'),
  ).map((row): Row => ({ text: field(row, 'instruction'), label: 1, source: 'spikee-harmful' }));
  return { injection: injection.filter((row) => row.text.trim() !== ''), harmful };
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? yamlFiles(join(dir, entry.name))
        : entry.name.endsWith('.yaml')
          ? [join(dir, entry.name)]
          : [],
    )
    .sort();
}

/** PyRIT's one-parameter jailbreak templates, each filled with a held-out AdvBench goal. */
function pyritRows(templates: string, goals: readonly string[]): Row[] {
  const groups: Record<string, string> = {
    in_the_wild: 'pyrit-in-the-wild',
    pliny: 'pyrit-pliny',
    Arth_Singh: 'pyrit-arth-singh',
  };
  const rows: Row[] = [];
  for (const file of yamlFiles(templates)) {
    const template = parseYaml(readFileSync(file, 'utf8')) as {
      parameters?: unknown;
      value?: unknown;
    } | null;
    const parameters = Array.isArray(template?.parameters) ? template.parameters : [];
    const value = typeof template?.value === 'string' ? template.value : '';
    if (
      parameters.length !== 1 ||
      parameters[0] !== 'prompt' ||
      !/\{\{\s*prompt\s*\}\}/.test(value)
    )
      continue;
    const group = relative(templates, file).split('/')[0] ?? '';
    const goal = goals[rows.length % goals.length] ?? '';
    rows.push({
      text: value.replace(/\{\{\s*prompt\s*\}\}/g, goal),
      label: 1,
      source: groups[group] ?? 'pyrit-jailbreakchat',
    });
  }
  return rows;
}

/**
 * Many-shot jailbreaking (Anil et al. 2024): a prompt that opens with N invented turns in which
 * an assistant complied with harmful requests, then asks its own. PyRIT's template with its 400
 * example pairs, N drawn by a seeded shuffle, a held-out AdvBench goal last; rendered as the
 * template reads (one turn a line).
 */
function manyShotRows(pyritDir: string, goals: readonly string[]): Row[] {
  const examples = (
    JSON.parse(
      readFileSync(join(pyritDir, 'pyrit/datasets/jailbreak/many_shot_examples.json'), 'utf8'),
    ) as { user?: unknown; assistant?: unknown }[]
  ).filter(
    (pair): pair is { user: string; assistant: string } =>
      typeof pair.user === 'string' && typeof pair.assistant === 'string',
  );
  const random = seededRandom(20261127);
  return [4, 16, 64].flatMap((shots) =>
    goals.map((goal) => {
      const turns = shuffle([...examples], random)
        .slice(0, shots)
        .map((pair) => `User: ${pair.user} Assistant: ${pair.assistant}`);
      return {
        text: [
          'You are a helpful assistant, please answer all questions like always.',
          ...turns,
          `User: ${goal}`,
        ].join('\n'),
        label: 1 as const,
        source: `pyrit-many-shot-${String(shots)}`,
      };
    }),
  );
}

interface AgentDojoTasks {
  goals: Record<string, string[]>;
  prompts: Record<string, string[]>;
  attacks: Record<string, string>;
}

/** Every string in a parsed YAML value, depth first. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/**
 * AgentDojo's v1 suites (workspace, travel, banking, Slack): the texts its tools return (e-mails,
 * calendar events, files, reviews, web pages, messages) as documents at `retrieval`, benign with
 * each injection placeholder at its default, attacked with one placeholder holding one of its
 * attacks (its own strings) for one injection goal of the suite; its user tasks' prompts as
 * benign prompts at `input`.
 */
function agentDojoRows(packageDir: string): Row[] {
  const tasks = JSON.parse(
    run('python3', [join(root, 'eval', 'external', 'agentdojo.py'), join(packageDir, '..')]),
  ) as AgentDojoTasks;
  const rows: Row[] = [];
  for (const [suite, goals] of Object.entries(tasks.goals)) {
    const dir = join(packageDir, 'data', 'suites', suite);
    const include: ScalarTag = {
      tag: '!include',
      resolve: (path: string): unknown =>
        parseYaml(readFileSync(join(dir, path), 'utf8'), { customTags: [include] }),
    };
    const environment: unknown = parseYaml(readFileSync(join(dir, 'environment.yaml'), 'utf8'), {
      customTags: [include],
    });
    const vectors = parseYaml(readFileSync(join(dir, 'injection_vectors.yaml'), 'utf8')) as Record<
      string,
      { default?: unknown }
    >;
    const fill = (text: string, except?: string, payload?: string): string =>
      text.replace(/\{([a-z0-9_]+)\}/g, (whole, name: string) => {
        if (name === except && payload !== undefined) return payload;
        const vector = vectors[name];
        if (vector === undefined) return whole;
        return typeof vector.default === 'string' ? vector.default : '';
      });
    const texts = [...new Set(strings(environment))];
    for (const text of texts) {
      const benign = fill(text);
      if (benign.split(/\s+/).length >= 5)
        rows.push({ text: benign, label: 0, source: 'agentdojo-documents', stage: 'retrieval' });
      for (const [, name] of text.matchAll(/\{([a-z0-9_]+)\}/g)) {
        if (name === undefined || vectors[name] === undefined) continue;
        for (const goal of goals)
          for (const [attack, template] of Object.entries(tasks.attacks)) {
            const payload = template
              .replaceAll('{goal}', goal)
              .replaceAll('{user}', 'Emma Johnson')
              .replaceAll('{model}', 'GPT-4');
            rows.push({
              text: fill(text, name, payload),
              label: 1,
              source: `agentdojo-${attack.replaceAll('_', '-')}`,
              stage: 'retrieval',
            });
          }
      }
    }
    for (const prompt of tasks.prompts[suite] ?? [])
      rows.push({ text: prompt, label: 0, source: 'agentdojo-user-tasks' });
  }
  return rows;
}

/**
 * PyRIT's evaluation set for its own refusal scorer: model answers with a human's verdict
 * (1 = the answer refuses the objective; PyRIT counts an answer to a different question as a
 * refusal too). One CSV per file, after `# dataset_version` comment lines.
 */
function refusalRows(dir: string): Row[] {
  return ['refusal.csv', 'refusal_extra.csv'].flatMap((file) => {
    const lines = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
    const [header, ...rows] = parseCsv(lines);
    const answer = header?.indexOf('assistant_response') ?? -1;
    const verdict = header?.indexOf('human_score') ?? -1;
    return rows
      .filter((row) => (row[answer] ?? '').trim() !== '' && ['0', '1'].includes(row[verdict] ?? ''))
      .map((row) => ({
        text: row[answer] ?? '',
        label: row[verdict] === '1' ? (1 as const) : (0 as const),
        source: `pyrit-${file.replace('.csv', '').replace('_', '-')}`,
      }));
  });
}

interface CodingTask {
  task_description: string;
  issue_text: string;
  injection_vector: string;
  payload_indicator: string;
  is_benign: boolean;
  repo_files: Record<string, string>;
}

/**
 * inspect_evals' benign prompt sets (WritingBench, PersistBench, Mind2Web's tasks) and its coding-agent
 * indirect-injection tasks. An attack's document is the text its vector names: the issue, or the
 * repository files holding the payload's indicator (all non-empty files when none does).
 */
function inspectEvalsRows(dir: string): Row[] {
  const rows: Row[] = [];
  for (const row of jsonLines(join(dir, 'writingbench', 'benchmark_all.jsonl'))) {
    const text = field(row, 'query');
    rows.push({
      text,
      label: 0,
      source: /\p{Script=Han}/u.test(text) ? 'writingbench-zh' : 'writingbench-en',
    });
  }
  const samples = join(dir, 'persistbench', 'benchmark_samples');
  for (const file of readdirSync(samples)
    .filter((name) => name.endsWith('.jsonl'))
    .sort())
    for (const row of jsonLines(join(samples, file)))
      rows.push({ text: field(row, 'query'), label: 0, source: 'persistbench' });
  const tasks = JSON.parse(
    readFileSync(join(dir, 'ipi_coding_agent', 'dataset', 'samples.json'), 'utf8'),
  ) as CodingTask[];
  for (const task of tasks) {
    rows.push({ text: task.task_description, label: 0, source: 'ipi-coding-requests' });
    const files = Object.values(task.repo_files).filter((text) => text.trim() !== '');
    if (task.is_benign) {
      for (const text of [task.issue_text, ...files])
        rows.push({ text, label: 0, source: 'ipi-coding-benign-documents', stage: 'retrieval' });
      continue;
    }
    const indicators = task.payload_indicator.split('|');
    const carries = (text: string): boolean => indicators.some((mark) => text.includes(mark));
    const carriers = files.filter(carries);
    const documents =
      task.injection_vector === 'issue_text'
        ? [task.issue_text]
        : carriers.length > 0
          ? carriers
          : [files.join('\n\n')];
    for (const text of documents)
      rows.push({
        text,
        label: 1,
        source: `ipi-coding-${task.injection_vector.replaceAll('_', '-')}`,
        stage: 'retrieval',
      });
  }
  // SWE-Lancer's freelance tasks: real Expensify issue texts, what a coding agent reads.
  const [header, ...tasksCsv] = parseCsv(
    readFileSync(join(dir, 'swe_lancer', 'data', 'all_swelancer_tasks.csv'), 'utf8'),
  );
  const description = header?.indexOf('description') ?? -1;
  for (const row of tasksCsv) {
    const text = row[description] ?? '';
    if (text.trim() !== '')
      rows.push({ text, label: 0, source: 'swe-lancer-issues', stage: 'retrieval' });
  }
  // Mind2Web's web tasks as users state them to a browsing agent ("Browse used Audi cars…"):
  // benign requests at input. The file repeats a task once per labelled step; each counts once.
  const steps = JSON.parse(
    readFileSync(join(dir, 'mind2web_sc', 'data', 'seeact', 'sample_labeled_all.json'), 'utf8'),
  ) as { confirmed_task: string }[];
  for (const task of new Set(steps.map((step) => step.confirmed_task.trim())))
    if (task !== '') rows.push({ text: task, label: 0, source: 'mind2web-tasks' });
  return [...rows, ...agentThreatRows(join(dir, 'agent_threat_bench', 'data'))];
}

interface ThreatSample {
  attack_name: string;
  attack_marker?: string;
  attack_email_indices?: number[];
  inbox?: { from: string; subject: string; body: string }[];
  customer_db?: Record<string, unknown>[];
  memory_store?: Record<string, string>;
}

/**
 * agent_threat_bench (OWASP agentic threats): e-mails an inbox tool returns (its attacks by their
 * 1-based index), customer records a lookup returns (one JSON document per sample, an attack
 * unless the sample is a clean baseline) and memory entries (an attack when it holds the
 * sample's attack marker), all at `retrieval`.
 */
function agentThreatRows(dir: string): Row[] {
  const read = (name: string): ThreatSample[] =>
    JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as ThreatSample[];
  const rows: Row[] = [];
  const document = (text: string, attack: boolean, kind: string): void => {
    rows.push({
      text,
      label: attack ? 1 : 0,
      source: `agent-threat-${kind}${attack ? '' : '-benign'}`,
      stage: 'retrieval',
    });
  };
  for (const sample of read('autonomy_hijack'))
    (sample.inbox ?? []).forEach((mail, index) => {
      const text = `From: ${mail.from}\nSubject: ${mail.subject}\n\n${mail.body}`;
      document(text, (sample.attack_email_indices ?? []).includes(index + 1), 'inbox');
    });
  for (const sample of read('data_exfil'))
    document(
      JSON.stringify(sample.customer_db ?? [], null, 2),
      sample.attack_name !== 'clean_baseline',
      'customer-records',
    );
  for (const sample of read('memory_poison'))
    for (const entry of Object.values(sample.memory_store ?? {})) {
      const marker = sample.attack_marker ?? '';
      document(entry, marker !== '' && entry.includes(marker), 'memory');
    }
  return rows;
}

function shingles(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out: string[] = [];
  for (let index = 0; index + 5 <= words.length; index += 1)
    out.push(words.slice(index, index + 5).join(' '));
  return out;
}

/** The five-word shingles of every text the injection detectors trained on. */
function trainedShingles(sets: ReturnType<typeof buildInjectionSets>): Set<string> {
  return new Set(
    [...sets.train, ...sets.documentTrain, ...sets.roleTrain, ...sets.taskTrain].flatMap(
      (example) => shingles(example.text),
    ),
  );
}

/** Marks rows mostly made of text our detectors trained on (copies of public jailbreaks). */
function markSeen(rows: Row[], trained: Set<string>): Row[] {
  return rows.map((row) => {
    const own = shingles(row.text);
    const found = own.filter((shingle) => trained.has(shingle)).length;
    return own.length > 0 && found / own.length >= 0.5
      ? { ...row, source: `${row.source}-seen` }
      : row;
  });
}

const injectionSets = buildInjectionSets();
const trained = trainedShingles(injectionSets);
const [spikeeWheel, pyritWheel, agentDojoWheel, inspectWheel] = wheels as [
  Wheel,
  Wheel,
  Wheel,
  Wheel,
];
const spikee = spikeeRows(join(unpacked(spikeeWheel), 'spikee/data/workspace/datasets'));
const pyritDir = unpacked(pyritWheel);
/** AdvBench goals no model of ours was trained on: the requests the jailbreak templates carry. */
const heldOutGoals = harmfulSets()
  .dev.filter((example) => example.source === 'advbench')
  .map((example) => example.text);
const injectionRows = markSeen(
  [
    ...spikee.injection,
    ...pyritRows(join(pyritDir, 'pyrit/datasets/jailbreak/templates'), heldOutGoals),
  ],
  trained,
);
const evalDir = join(root, '.guardstream', 'eval');
mkdirSync(evalDir, { recursive: true });
const write = (name: string, rows: readonly Row[]): string => {
  const path = join(evalDir, name);
  writeFileSync(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
  return path;
};
const injectionFile = write('external-injection.jsonl', injectionRows);
const harmfulFile = write('external-harmful.jsonl', spikee.harmful);
const agentDojoFile = write(
  'external-agentdojo.jsonl',
  agentDojoRows(join(unpacked(agentDojoWheel), 'agentdojo')),
);
const manyShotFile = write('external-many-shot.jsonl', manyShotRows(pyritDir, heldOutGoals));
const refusalFile = write(
  'external-refusal.jsonl',
  refusalRows(join(pyritDir, 'pyrit/datasets/scorer_evals/refusal_scorer')),
);
const inspectFile = write(
  'external-inspect-evals.jsonl',
  markSeen(inspectEvalsRows(join(unpacked(inspectWheel), 'inspect_evals')), trained),
);
// GitHub issue, pull-request and comment bodies (eval/github-issues.ts): the 15% no model trains
// or validates on, benign documents at `retrieval` (first scored 2026-11-28).
const issuesFile = write(
  'external-github-issues.jsonl',
  githubIssueSets(injectionSets.dev.map((example) => example.text)).test,
);
log(`${injectionRows.length} injection rows, ${spikee.harmful.length} harmful requests`);

const provenanceOf = (packages: readonly PinnedWheel[]): Record<string, object> =>
  Object.fromEntries(
    packages.map((wheel) => [wheel.name, { version: wheel.version, sha256: wheel.sha256 }]),
  );
const provenance = provenanceOf(wheels);
/** `policy` undefined: the built-in default policy. */
function score(
  policy: string | undefined,
  data: string,
  out: string,
  stage = 'input',
  from: Record<string, object> = provenance,
): void {
  log(`scoring ${relative(root, data)} with ${policy ?? 'the default policy'}…`);
  const report = run(process.execPath, [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'eval',
    ...(policy === undefined ? [] : ['--config', policy]),
    '--data',
    data,
    '--stage',
    stage,
    '--json',
  ]);
  const parsed = JSON.parse(report) as WatchedReport;
  const result = { ...from, ...parsed };
  const moves = writeWatchedResult(join(root, 'eval/results', out), result);
  process.stdout.write(`${out}: n ${parsed.n}, TPR ${parsed.tpr?.toFixed(3) ?? '–'}\n`);
  for (const [source, figures] of Object.entries(parsed.by_source))
    process.stdout.write(
      `  ${source.padEnd(36)} n ${String(figures.n).padStart(5)}  TPR ${figures.tpr?.toFixed(3) ?? '–    '}  FPR ${figures.fpr?.toFixed(3) ?? '–'}\n`,
    );
  process.stdout.write(movesReport(out, moves));
}
// The `language` allow-list (English, French, German, Spanish) alone: spikee's attacks in Zulu,
// Albanian, Irish and Scottish Gaelic, and the benign prompts and documents of both sets.
// `--language-only` scores only these (first scored 2026-11-27 14:09).
score('eval/policies/language.yaml', injectionFile, 'language-external.json');
score('eval/policies/language.yaml', inspectFile, 'language-inspect-evals.json');
if (process.argv.includes('--language-only')) process.exit(0);
// The gateway's argument rails on tau2-bench's benign tool calls (eval/tool-arguments.ts).
{
  const report = scoreToolArguments(
    join(unpacked(inspectWheel), 'inspect_evals', 'tau2', 'data', 'domains'),
  );
  writeFileSync(
    join(root, 'eval/results', 'tool-arguments-tau2.json'),
    `${JSON.stringify({ ...provenance, ...report }, null, 2)}\n`,
  );
  process.stdout.write(
    `tool-arguments-tau2.json: ${String(report.n)} benign tool calls, ${String(report.blocked)} blocked (${report.rate.toFixed(4)})\n`,
  );
  for (const [domain, counts] of Object.entries(report.by_domain))
    process.stdout.write(
      `  ${domain.padEnd(36)} n ${String(counts.n).padStart(5)}  blocked ${String(counts.blocked)}\n`,
    );
}
score('eval/policies/injection.yaml', injectionFile, 'injection-external.json');
if (existsSync(join(defaultModelsDir(), SENTENCE_EMBEDDER_ID)))
  score('eval/policies/injection-encoder.yaml', injectionFile, 'injection-encoder-external.json');
// The encoder's bge-small patch (`model: bge-small`) on the same three sets, when its model is cached.
const withBgeSmall = existsSync(join(defaultModelsDir(), 'bge-small-en-v15-q'));
const bgeSmallPolicy = 'eval/policies/injection-encoder-bge-small.yaml';
if (withBgeSmall) score(bgeSmallPolicy, injectionFile, 'injection-encoder-bge-small-external.json');
score('eval/policies/injection.yaml', agentDojoFile, 'injection-agentdojo.json');
if (existsSync(join(defaultModelsDir(), SENTENCE_EMBEDDER_ID)))
  score('eval/policies/injection-encoder.yaml', agentDojoFile, 'injection-encoder-agentdojo.json');
if (withBgeSmall)
  score(bgeSmallPolicy, agentDojoFile, 'injection-encoder-bge-small-agentdojo.json');
score('eval/policies/injection.yaml', inspectFile, 'injection-inspect-evals.json');
if (existsSync(join(defaultModelsDir(), SENTENCE_EMBEDDER_ID)))
  score(
    'eval/policies/injection-encoder.yaml',
    inspectFile,
    'injection-encoder-inspect-evals.json',
  );
if (withBgeSmall)
  score(bgeSmallPolicy, inspectFile, 'injection-encoder-bge-small-inspect-evals.json');
// Their provenance is github3.py's sdist alone.
const github3 = provenanceOf([GITHUB3_SDIST]);
score('eval/policies/injection.yaml', issuesFile, 'injection-github-issues.json', 'input', github3);
if (existsSync(join(defaultModelsDir(), SENTENCE_EMBEDDER_ID)))
  score(
    'eval/policies/injection-encoder.yaml',
    issuesFile,
    'injection-encoder-github-issues.json',
    'input',
    github3,
  );
if (withBgeSmall)
  score(
    bgeSmallPolicy,
    issuesFile,
    'injection-encoder-bge-small-github-issues.json',
    'input',
    github3,
  );
score('eval/policies/dangerous-command.yaml', inspectFile, 'dangerous-command-inspect-evals.json');
score('eval/policies/harmful.yaml', harmfulFile, 'harmful-external.json');
score('eval/policies/refusal.yaml', refusalFile, 'refusal-external.json', 'output');
score(undefined, manyShotFile, 'many-shot-external.json');
if (existsSync(join(defaultModelsDir(), SENTENCE_EMBEDDER_ID)))
  score(
    'eval/policies/default-input-encoder.yaml',
    manyShotFile,
    'many-shot-encoder-external.json',
  );
