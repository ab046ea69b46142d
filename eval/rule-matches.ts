/**
 * Which benign texts `prompt_injection`'s rules flag: the check a new rule must pass before it is
 * kept (a rule is a fixed pattern; the only evidence it does not fire on ordinary text is every
 * ordinary text we hold). Runs the detector without its learned model at `input` and at
 * `retrieval` on every benign line of the derived sets under .guardstream/eval, except the dev
 * sets' texts, which are kept for the one measurement after a change.
 *
 * Usage: node --import tsx eval/rule-matches.ts [--model] [--out FILE] [--against FILE]
 *   --model    the detector with its learned models too, as the default policy runs it: what a
 *              change to the normalisation both share must not make flag
 *   --out      where to write the flagged texts (default .guardstream/eval/rule-matches.json)
 *   --against  an earlier output: print the texts flagged now and not then, and the reverse
 * Needs the sets built first (`npm run eval` builds them; `eval/external.ts` builds the
 * spikee and AgentDojo ones). Exits 1 when --against finds a newly flagged text.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { injectionConfigSchema, injectionDetector } from '../src/detectors/index.ts';
import { packageRoot } from '../src/kafka/index.ts';

const evalDir = join(packageRoot(), '.guardstream', 'eval');

/** Sets with benign lines; a missing file is reported and skipped. */
const benignFiles = [
  'injection-train',
  'injection-validation',
  'injection-documentTrain',
  'injection-documentValidation',
  'injection-documentsByFileTrain',
  'injection-documentsByFileValidation',
  'injection-roleTrain',
  'injection-taskTrain',
  'harmful-train',
  'harmful-validation',
  'external-injection',
  'external-agentdojo',
];
/** Every line of these is benign for injection (tweets, toxic or not). */
const allBenignFiles = ['toxicity-dev'];
const devFiles = ['injection-dev', 'injection-pasted-dev'];

interface Line {
  text: string;
  label: number;
  source: string;
}

function readLines(name: string): Line[] | undefined {
  const path = join(evalDir, `${name}.jsonl`);
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const row = JSON.parse(line) as Record<string, unknown>;
      return {
        text: typeof row.text === 'string' ? row.text : '',
        label: row.label === 1 ? 1 : 0,
        source: typeof row.source === 'string' ? row.source : name,
      };
    });
}

export interface FlaggedText {
  id: string;
  source: string;
  rules: string[];
  text: string;
}

const { values } = parseArgs({
  options: {
    model: { type: 'boolean', default: false },
    out: { type: 'string' },
    against: { type: 'string' },
  },
});
const out = values.out ?? join(evalDir, 'rule-matches.json');

const devTexts = new Set(devFiles.flatMap((name) => (readLines(name) ?? []).map((l) => l.text)));
const texts = new Map<string, string>();
for (const name of [...benignFiles, ...allBenignFiles]) {
  const lines = readLines(name);
  if (lines === undefined) {
    console.error(`${name}.jsonl not built: skipped`);
    continue;
  }
  let kept = 0;
  for (const line of lines) {
    if (line.label !== 0 && !allBenignFiles.includes(name)) continue;
    if (devTexts.has(line.text) || texts.has(line.text)) continue;
    texts.set(line.text, `${name}:${line.source}`);
    kept += 1;
  }
  console.error(`${name}: ${kept} new benign texts`);
}

const config = injectionConfigSchema.parse({ useModel: values.model });
// The default policy's threshold: a model score below it flags nothing.
const flagsText = (score: number): boolean => score >= 0.5;
const flagged: FlaggedText[] = [];
let done = 0;
for (const [text, source] of texts) {
  const rules = new Set<string>();
  for (const stage of ['input', 'retrieval'] as const) {
    for (const finding of injectionDetector.detect(text, config, { stage })) {
      if (!flagsText(finding.score)) continue;
      // A rule's evidence names it; a model's carries its score, which is not what is compared.
      rules.add(
        `${stage} ${finding.kind === 'model' || (finding.kind === 'encoded_payload' && finding.evidence.includes(' on ')) ? 'model' : finding.evidence}`,
      );
    }
  }
  if (rules.size > 0) {
    const id = createHash('sha256').update(text).digest('hex').slice(0, 16);
    flagged.push({ id, source, rules: [...rules].sort(), text });
  }
  done += 1;
  if (done % 5000 === 0) console.error(`${done} / ${texts.size} texts, ${flagged.length} flagged`);
}
writeFileSync(out, `${JSON.stringify({ texts: texts.size, flagged }, null, 1)}\n`);
console.log(`${texts.size} benign texts (dev sets left out), ${flagged.length} flagged → ${out}`);
const byRule = new Map<string, number>();
for (const item of flagged)
  for (const rule of item.rules) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
for (const [rule, count] of [...byRule].sort((a, b) => b[1] - a[1]))
  console.log(`  ${count}\t${rule}`);

if (values.against !== undefined) {
  const before = JSON.parse(readFileSync(values.against, 'utf8')) as { flagged: FlaggedText[] };
  const rulesBefore = new Map(before.flagged.map((item) => [item.id, item.rules.join(' | ')]));
  const now = new Set(flagged.map((item) => item.id));
  const changed = flagged.filter((item) => rulesBefore.get(item.id) !== item.rules.join(' | '));
  const cleared = before.flagged.filter((item) => !now.has(item.id));
  for (const item of changed) {
    const was = rulesBefore.get(item.id);
    console.log(
      `\nNEW ${item.source} [${item.rules.join(' | ')}]${was === undefined ? '' : ` was [${was}]`}`,
    );
    console.log(`  ${item.text.slice(0, 400).replace(/\s+/g, ' ')}`);
  }
  for (const item of cleared) console.log(`\nNO LONGER ${item.source} [${item.rules.join(' | ')}]`);
  console.log(`\n${changed.length} texts flagged differently, ${cleared.length} no longer flagged`);
  if (changed.length > 0) process.exitCode = 1;
}
