/**
 * Benign prompts from BIG-bench (Srivastava et al. 2022, Apache-2.0): the instructions and inputs
 * of its tasks, read from its PyPI sdist (bigbench 1.0.0, pinned by sha256) by
 * eval/external/bigbench.py. 219 task groups — puzzles, reading comprehension, translation,
 * ethics questions, chess, code, and Natural Instructions' task definitions ("Definition: In this
 * task, you're given…", each subtask a group) — none of them an attack. The fine-tuned encoder
 * flagged 5–8% of them on 2026-11-27 (first look, 17:04), so they are the kind of varied benign
 * prompts it lacked.
 *
 * Split by whole task group, seeded: 70% of groups for training, 15% for validation, 15% held
 * out as a test set that no threshold or rule is chosen on. At most 25 prompts a group, so no task
 * outweighs the others. A group is left out whole when any of its prompts shares an eight-word
 * run with a text of the injection dev set (llm-warden's benign prompts include task definitions
 * from instruction-tuning sets), so none of dev is trained on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';
import { runsOfEight, seededRandom, shuffle } from './datasets.ts';
import type { Example } from './injection-data.ts';
import { pinnedSdist } from './pinned-wheel.ts';
import type { PinnedWheel } from './pinned-wheel.ts';

export const BIGBENCH_SDIST: PinnedWheel = {
  name: 'bigbench',
  version: '1.0.0',
  sha256: '1bb398a5512c6d798cdebe0dfa0ac03f67f6033fa6b39c6ef71df978c7cbc5c2',
  sdist: true,
};

const PER_GROUP = 25;
const SEED = 20261127;

export interface BigbenchSets {
  train: Example[];
  validation: Example[];
  test: Example[];
  /** Groups left out because a prompt of theirs shares an eight-word run with dev. */
  contaminated: string[];
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, {
    cwd: packageRoot(),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error?.message ?? result.stderr.trim().split('\n').slice(-3).join('\n');
    throw new Error(`${command} ${args.slice(0, 3).join(' ')} failed: ${why}`);
  }
  return result.stdout;
}

/** BIG-bench's sdist (358 MB), downloaded once into .guardstream/external and checked by sha256. */
export function bigbenchSdist(): string {
  const external = join(packageRoot(), '.guardstream', 'external');
  return pinnedSdist(BIGBENCH_SDIST, join(external, 'bigbench-1.0.0'), external);
}

/**
 * What an extractor under eval/external prints about the sdist, cached beside it by name and
 * the sdist's sha256.
 */
export function bigbenchExtract(script: string, cacheName: string): string {
  const dir = join(packageRoot(), '.guardstream', 'external', 'bigbench-1.0.0');
  const cache = join(dir, `${cacheName}-${BIGBENCH_SDIST.sha256.slice(0, 12)}.json`);
  if (existsSync(cache)) return readFileSync(cache, 'utf8');
  const extracted = run('python3', [
    join(packageRoot(), 'eval', 'external', script),
    bigbenchSdist(),
  ]);
  writeFileSync(cache, extracted);
  return extracted;
}

/** BIG-bench's prompts per task group. */
function bigbenchGroups(): Record<string, string[]> {
  return JSON.parse(bigbenchExtract('bigbench.py', 'groups')) as Record<string, string[]>;
}

/**
 * The three splits; `devTexts` are the texts no training or validation prompt may share a run
 * with. `groups` (prompts per task group) are the sdist's unless given.
 */
export function bigbenchPromptSets(
  devTexts: readonly string[],
  groups: Readonly<Record<string, readonly string[]>> = bigbenchGroups(),
): BigbenchSets {
  const devRuns = new Set(devTexts.flatMap(runsOfEight));
  const names = Object.keys(groups).sort();
  const random = seededRandom(SEED);
  const sampled = new Map<string, string[]>();
  for (const name of names)
    sampled.set(name, shuffle([...(groups[name] ?? [])], random).slice(0, PER_GROUP));
  const contaminated = names.filter((name) =>
    (sampled.get(name) ?? []).some((text) => runsOfEight(text).some((run) => devRuns.has(run))),
  );
  const clean = shuffle(
    names.filter((name) => !contaminated.includes(name)),
    random,
  );
  const sets: BigbenchSets = { train: [], validation: [], test: [], contaminated };
  clean.forEach((name, index) => {
    const split =
      index < 0.7 * clean.length ? 'train' : index < 0.85 * clean.length ? 'validation' : 'test';
    for (const text of sampled.get(name) ?? [])
      sets[split].push({ text, label: 0, source: 'bigbench' });
  });
  return sets;
}

/**
 * The held-out test groups, for `npm run eval -- --only bigbench`; empty, saying why, when the
 * sdist cannot be had (no Python or no PyPI).
 */
export function bigbenchTestSet(devTexts: readonly string[]): Example[] {
  try {
    return bigbenchPromptSets(devTexts).test;
  } catch (error) {
    console.error(`[bigbench] skipped: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}
