import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';

/**
 * The shared, licensed datasets live beside the repository (`../shared/datasets`) and are
 * never copied into it. GUARDSTREAM_DATASETS points elsewhere when needed.
 */
export function datasetsDir(): string {
  const dir = resolve(
    process.env.GUARDSTREAM_DATASETS ?? join(packageRoot(), '..', 'shared', 'datasets'),
  );
  if (!existsSync(dir)) {
    throw new Error(`Datasets not found at ${dir}; set GUARDSTREAM_DATASETS`);
  }
  return dir;
}

/** A dataset file's text, by its path under the datasets folder. */
export function readDataset(path: string): string {
  return readFileSync(join(datasetsDir(), path), 'utf8');
}

/** A JSON-lines dataset file's records. */
export function readJsonLines(path: string): Record<string, unknown>[] {
  return readDataset(path)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A seeded linear congruential generator: the same seed gives the same splits. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}

/**
 * Every run of eight words in a row of `text` (lower case, letters and digits): a text sharing
 * one with a dev text is kept out of training, so none of dev is trained on.
 */
export function runsOfEight(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const runs: string[] = [];
  for (let start = 0; start + 8 <= words.length; start += 1)
    runs.push(words.slice(start, start + 8).join(' '));
  return runs;
}
