/**
 * Answers and the context they should be grounded in, from two BIG-bench tasks (Apache-2.0) read
 * out of its pinned PyPI sdist by eval/external/bigbench_grounding.py:
 *
 * - VitaminC (Schuster et al. 2021): a Wikipedia sentence and a claim about it. A claim the
 *   sentence supports is grounded; one it refutes, or says nothing about, is not. Contrastive by
 *   design: the sentences were revised so that a few words (often a number) flip the verdict.
 * - Knowledge conflicts (Natural Questions passages with the answer entity swapped): the
 *   passage's answer is grounded; the answer the world knows, which the passage no longer
 *   contains, is not. Answers are a few words, as a RAG answer often is.
 *
 * Split by whole group (a Wikipedia page, a question), seeded: 70% train, 15% validation, 15%
 * test. Rules and thresholds are chosen on train and validation; test is reported.
 */
import { seededRandom, shuffle } from './datasets.ts';
import { bigbenchExtract } from './bigbench-prompts.ts';

export interface GroundingExample {
  /** The answer (a claim, or a short answer to a question). */
  text: string;
  /** 1: not grounded in the context (should be flagged). */
  label: 0 | 1;
  source: string;
  context: string[];
}

export interface GroundingSets {
  train: GroundingExample[];
  validation: GroundingExample[];
  test: GroundingExample[];
}

interface Extracted {
  vitaminc: { page: string; context: string; claim: string; label: string }[];
  conflicts: { question: string; context: string; answer: string; others: string[] }[];
}

const SEED = 20261127;

export const GROUNDING_SOURCES = {
  supported: 'vitaminc: supported',
  refuted: 'vitaminc: refuted',
  unsupported: 'vitaminc: not enough info',
  passageAnswer: 'conflicts: passage answer',
  worldAnswer: 'conflicts: world answer',
} as const;

function vitamincExample(row: Extracted['vitaminc'][number]): GroundingExample | undefined {
  const source =
    row.label === 'True'
      ? GROUNDING_SOURCES.supported
      : row.label === 'False'
        ? GROUNDING_SOURCES.refuted
        : row.label === 'Neither'
          ? GROUNDING_SOURCES.unsupported
          : undefined;
  if (source === undefined) return undefined;
  return {
    text: row.claim,
    label: row.label === 'True' ? 0 : 1,
    source,
    context: [row.context],
  };
}

function conflictExamples(row: Extracted['conflicts'][number]): GroundingExample[] {
  const context = row.context.toLowerCase();
  // An answer the passage still contains is not a conflict: such rows (4 of 17,528) are dropped.
  const others = row.others.filter((other) => other.trim() !== '');
  if (others.some((other) => context.includes(other.toLowerCase()))) return [];
  return [
    { text: row.answer, label: 0, source: GROUNDING_SOURCES.passageAnswer, context: [row.context] },
    ...others.map((other): GroundingExample => ({
      text: other,
      label: 1,
      source: GROUNDING_SOURCES.worldAnswer,
      context: [row.context],
    })),
  ];
}

/** Splits rows by group, whole groups to one split. */
function splitByGroup<Row>(
  rows: readonly Row[],
  groupOf: (row: Row) => string,
  examplesOf: (row: Row) => GroundingExample[],
  sets: GroundingSets,
  random: () => number,
): void {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = groupOf(row);
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  const names = shuffle([...groups.keys()].sort(), random);
  names.forEach((name, index) => {
    const split =
      index < 0.7 * names.length ? 'train' : index < 0.85 * names.length ? 'validation' : 'test';
    for (const row of groups.get(name) ?? []) sets[split].push(...examplesOf(row));
  });
}

/** The three splits; `extracted` is the sdist's unless given. */
export function groundingSets(
  extracted: Extracted = JSON.parse(
    bigbenchExtract('bigbench_grounding.py', 'grounding'),
  ) as Extracted,
): GroundingSets {
  const random = seededRandom(SEED);
  const sets: GroundingSets = { train: [], validation: [], test: [] };
  splitByGroup(
    extracted.vitaminc,
    (row) => row.page,
    (row) => {
      const example = vitamincExample(row);
      return example === undefined ? [] : [example];
    },
    sets,
    random,
  );
  splitByGroup(
    extracted.conflicts,
    (row) => row.question.toLowerCase(),
    conflictExamples,
    sets,
    random,
  );
  return sets;
}

/** The test split, for `npm run eval -- --only groundedness`; empty, saying why, without PyPI. */
export function groundingTestSet(): GroundingExample[] {
  try {
    return groundingSets().test;
  } catch (error) {
    console.error(
      `[groundedness] skipped: ${error instanceof Error ? error.message : String(error)}`,
    );
    return [];
  }
}
