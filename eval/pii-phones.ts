/**
 * Phone recall across the world's formats, and phone-shaped false alarms on text without phones.
 * Usage: node --import tsx eval/pii-phones.ts  → eval/results/pii-phones.json
 *
 * Recall: numbers made by @faker-js/faker for each of its locales, in its three styles (as a
 * person writes it, national, international), placed in sentences we wrote, half of which say it
 * is a phone number. A number is recalled when a `phone` finding overlaps it, exact when the
 * finding covers exactly it (a partial span leaves digits readable after redaction).
 * The patterns were widened on 2026-11-26 against Python Faker's locales (a different
 * generator); this file was measured once before any change made after reading it.
 *
 * False alarms: `phone` and `credit_card` findings on GSM8K questions with their worked answers
 * (full of digit runs and sums) and on README passages of npm packages (versions, dates, ids).
 * Neither holds a real phone number that we know of, so every finding counts against us.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allFakers } from '@faker-js/faker';
import { piiDetector } from '../src/detectors/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { readDataset } from './datasets.ts';
import { readmePassages } from './injection-data.ts';

const sentences = [
  'You can reach me at {} after five.',
  '{} is the number we have on file for the account.',
  'Please call {} to confirm the booking.',
  'Contact details: {}, ask for the front desk.',
  'The courier left a note with {} on it.',
  'My number is {}',
  'Phone: {}',
  'For questions about the invoice, ring {} or write to us.',
  'I tried {} twice yesterday but nobody picked up.',
  'The support line ({}) is staffed around the clock.',
];
const styles = ['human', 'national', 'international'] as const;
const perLocaleAndStyle = 10;
const seed = 20261126;
const config = piiDetector.configSchema.parse({});

interface Tally {
  n: number;
  recalled: number;
  exact: number;
}
const emptyTally = (): Tally => ({ n: 0, recalled: 0, exact: 0 });
const rate = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

const byLocale = new Map<string, Tally>();
const byStyle = new Map<string, Tally>();
const all = emptyTally();
const missed: string[] = [];
let sentenceIndex = 0;
for (const [locale, faker] of Object.entries(allFakers)) {
  // 'base' has no locale's formats; en_BORK and en_AU_ocker are joke locales.
  if (locale === 'base' || locale === 'en_BORK' || locale === 'en_AU_ocker') continue;
  faker.seed(seed);
  for (const style of styles) {
    for (let draw = 0; draw < perLocaleAndStyle; draw += 1) {
      const phone = faker.phone.number({ style });
      const sentence = sentences[sentenceIndex % sentences.length] ?? '{}';
      sentenceIndex += 1;
      const start = sentence.indexOf('{}');
      const text = sentence.replace('{}', phone);
      const end = start + phone.length;
      const phones = piiDetector
        .detect(text, config, { stage: 'ingest' })
        .flatMap((finding) => (finding.kind === 'phone' && finding.span ? [finding.span] : []));
      const recalled = phones.some((span) => span.start < end && start < span.end);
      const exact = phones.some((span) => span.start === start && span.end === end);
      for (const tally of [
        all,
        byLocale.get(locale) ?? byLocale.set(locale, emptyTally()).get(locale),
        byStyle.get(style) ?? byStyle.set(style, emptyTally()).get(style),
      ]) {
        if (tally === undefined) continue;
        tally.n += 1;
        if (recalled) tally.recalled += 1;
        if (exact) tally.exact += 1;
      }
      if (!recalled) missed.push(`${locale} ${style}: ${phone}`);
    }
  }
}

const summarise = (tally: Tally): { n: number; recall: number | null; exact: number | null } => ({
  n: tally.n,
  recall: rate(tally.recalled, tally.n),
  exact: rate(tally.exact, tally.n),
});

const gsm8k = readDataset('grade-school-math/grade_school_math/data/train.jsonl')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const row = JSON.parse(line) as { question?: unknown; answer?: unknown };
    return `${String(row.question)}\n${String(row.answer)}`;
  });
const passages = readmePassages();
const benign: Record<string, string[]> = {
  'gsm8k-with-answers': gsm8k,
  'readme-passages': [...passages.train, ...passages.dev].map((example) => example.text),
};
const falseAlarms: Record<string, { texts: number; findings: number; examples: string[] }> = {};
for (const [name, texts] of Object.entries(benign)) {
  const entry = { texts: texts.length, findings: 0, examples: [] as string[] };
  for (const text of texts) {
    for (const finding of piiDetector.detect(text, config, { stage: 'ingest' })) {
      if ((finding.kind !== 'phone' && finding.kind !== 'credit_card') || !finding.span) continue;
      entry.findings += 1;
      if (entry.examples.length < 10) {
        entry.examples.push(`${finding.kind}: ${text.slice(finding.span.start, finding.span.end)}`);
      }
    }
  }
  falseAlarms[name] = entry;
}

const result = {
  generator: '@faker-js/faker 10.6.0',
  seed,
  recall: summarise(all),
  byStyle: Object.fromEntries([...byStyle].map(([style, tally]) => [style, summarise(tally)])),
  byLocale: Object.fromEntries([...byLocale].map(([locale, tally]) => [locale, summarise(tally)])),
  missedExamples: missed.slice(0, 40),
  falseAlarms,
};
writeFileSync(
  join(packageRoot(), 'eval/results/pii-phones.json'),
  `${JSON.stringify(result, null, 2)}\n`,
);
const percent = (value: number | null): string =>
  value === null ? 'n/a' : `${(value * 100).toFixed(1)}%`;
console.log(
  `phones (faker-js, ${all.n} numbers in ${byLocale.size} locales): recall ${percent(result.recall.recall)}, exact span ${percent(result.recall.exact)}`,
);
for (const [style, tally] of byStyle) {
  console.log(`  ${style}: ${percent(rate(tally.recalled, tally.n))} of ${tally.n}`);
}
for (const [name, entry] of Object.entries(falseAlarms)) {
  console.log(`  false alarms on ${name}: ${entry.findings} in ${entry.texts} texts`);
}
