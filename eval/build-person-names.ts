/**
 * Builds src/detectors/models/person-names.json, the name lists behind `pii`'s opt-in
 * `person_name` kind: the first and last names of every @faker-js/faker locale written in Latin
 * script, lower-cased and deduplicated. faker-js is MIT-licensed; its lists are what a test data
 * generator considers common names per country, which is what a dictionary detector needs.
 * Usage: node --import tsx eval/build-person-names.ts
 */
import { writeFileSync } from 'node:fs';
import { allLocales } from '@faker-js/faker';
import { bundledModelPath } from '../src/detectors/linear-model.ts';
import { readDataset, readJsonLines } from './datasets.ts';
import { parseCsv } from './injection-data.ts';

const LATIN_NAME = /^\p{Script=Latin}[\p{Script=Latin}'’-]*$/u;
const first = new Set<string>();
const last = new Set<string>();

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const locales: string[] = [];
for (const [locale, definition] of Object.entries(allLocales)) {
  const person = (definition as { person?: Record<string, unknown> }).person;
  if (person === undefined) continue;
  let added = 0;
  for (const [key, target] of [
    ['first_name', first],
    ['last_name', last],
  ] as const) {
    for (const name of strings(person[key])) {
      // Multi-word entries ("de la Cruz") are left out: the detector matches single tokens.
      const lower = name.trim().toLowerCase();
      if (lower.length < 2 || !LATIN_NAME.test(lower)) continue;
      target.add(lower);
      added += 1;
    }
  }
  if (added > 0) locales.push(locale);
}

// Names that are also ordinary words ("will", "may", "grant", "page"): a name list cannot tell
// "Will Smith" from "Will Power", so such names only count next to a known family name. They are
// found, not listed: every name seen as a lower-case word twice or more in everyday English text
// (GSM8K train questions and answers, wildguard prompts, llm-warden train prompts, BIPIA train
// e-mails) is marked ambiguous.
const lowerCounts = new Map<string, number>();
const corpus = [
  ...readJsonLines('grade-school-math/grade_school_math/data/train.jsonl').map(
    (row) => `${String(row.question)} ${String(row.answer)}`,
  ),
  ...(JSON.parse(readDataset('InjecGuard/datasets/wildguard.json')) as { prompt: string }[]).map(
    (row) => row.prompt,
  ),
  ...parseCsv(readDataset('llm-warden/datasets/default/jailbreak_dataset_train.csv')).map(
    (row) => row[0] ?? '',
  ),
  ...readJsonLines('BIPIA/benchmark/email/train.jsonl').map((row) => String(row.context)),
];
for (const text of corpus) {
  for (const word of text.match(/(?<![\p{L}'’-])\p{Ll}[\p{Ll}'’-]*/gu) ?? []) {
    lowerCounts.set(word, (lowerCounts.get(word) ?? 0) + 1);
  }
}
const ambiguous = [...first, ...last].filter((name) => (lowerCounts.get(name) ?? 0) >= 2);
// Capitalised words after a given name that are ordinary words ("Gabriella From"): the same
// corpus's lower-case words seen three times or more.
const ordinary = [...lowerCounts]
  .filter(([word, count]) => count >= 3 && word.length >= 2)
  .map(([word]) => word);

const out = bundledModelPath('person-names');
writeFileSync(
  out,
  `${JSON.stringify({
    name: 'guardstream-person-names',
    source:
      '@faker-js/faker 10.6.0 (MIT): person.first_name and person.last_name of each locale, Latin script only',
    locales: locales.sort(),
    first: [...first].sort(),
    last: [...last].sort(),
    ambiguousSource:
      'names seen as lower-case words 2+ times in GSM8K train, wildguard, llm-warden train and BIPIA train e-mails',
    ambiguous: [...new Set(ambiguous)].sort(),
    ordinary: ordinary.sort(),
  })}\n`,
);
console.log(
  `${first.size} first names, ${last.size} last names (${new Set(ambiguous).size} also ordinary words) from ${locales.length} locales → ${out}`,
);
