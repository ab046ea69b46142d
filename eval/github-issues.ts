/**
 * Benign GitHub issue texts, pull-request descriptions and comments: what a coding agent reads at
 * `retrieval`. Read from the recorded GitHub API responses (betamax cassettes) that github3.py
 * 4.0.1 (BSD-3-Clause) ships in its PyPI sdist, pinned by sha256: 677 distinct bodies of 80
 * characters or more, written by people on github3.py, betamax, requests, hyper and other
 * repositories (bug reports with steps, tracebacks, reviews, replies). None is an attack.
 *
 * Split by a seeded shuffle of the distinct bodies: 70% for training, 15% for validation, 15%
 * held out. A body sharing an eight-word run with a text of the injection dev set is left out,
 * so none of dev is trained on. SWE-Lancer's Expensify issues (eval/external.ts) are not from
 * this source and stay a test set.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { packageRoot } from '../src/kafka/index.ts';
import { runsOfEight, seededRandom, shuffle } from './datasets.ts';
import type { Example } from './injection-data.ts';
import { pinnedSdist } from './pinned-wheel.ts';
import type { PinnedWheel } from './pinned-wheel.ts';

export const GITHUB3_SDIST: PinnedWheel = {
  name: 'github3.py',
  version: '4.0.1',
  sha256: '30d571076753efc389edc7f9aaef338a4fcb24b54d8968d5f39b1342f45ddd36',
  sdist: true,
};

const SEED = 20261128;
const MIN_LENGTH = 80;

export interface IssueSets {
  train: Example[];
  validation: Example[];
  test: Example[];
  /** Bodies left out because they share an eight-word run with dev. */
  contaminated: number;
}

/** The sdist's cassettes folder, downloaded and unpacked once under .guardstream/external. */
function cassettesDir(): string {
  const external = join(packageRoot(), '.guardstream', 'external');
  const dir = join(external, 'github3.py-4.0.1');
  const cassettes = join(dir, `github3.py-${GITHUB3_SDIST.version}`, 'tests', 'cassettes');
  if (existsSync(cassettes)) return cassettes;
  const archive = pinnedSdist(GITHUB3_SDIST, dir, external);
  const untar = spawnSync(
    'tar',
    ['xzf', archive, '-C', dir, '--wildcards', '*/tests/cassettes/*'],
    {
      encoding: 'utf8',
    },
  );
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr.trim()}`);
  return cassettes;
}

interface Cassette {
  http_interactions?: {
    response: { body: { string?: string; base64_string?: string } };
  }[];
}

function responseText(body: { string?: string; base64_string?: string }): string {
  if (body.base64_string === undefined || body.base64_string === '') return body.string ?? '';
  const raw = Buffer.from(body.base64_string, 'base64');
  // Recorded responses are gzip-compressed when GitHub sent them so.
  const gzip = raw[0] === 0x1f && raw[1] === 0x8b;
  return (gzip ? gunzipSync(raw) : raw).toString('utf8');
}

/** Every distinct issue, pull-request or comment body in the cassettes, in file order. */
export function githubBodies(dir: string = cassettesDir()): string[] {
  const bodies = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const body = record['body'];
    // Issues and pull requests carry a title, comments a user: the bodies people wrote.
    if (
      typeof body === 'string' &&
      body.length >= MIN_LENGTH &&
      ('title' in record || 'user' in record)
    )
      bodies.add(body);
    for (const item of Object.values(record)) walk(item);
  };
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const cassette = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Cassette;
    for (const interaction of cassette.http_interactions ?? []) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(responseText(interaction.response.body));
      } catch {
        continue;
      }
      walk(parsed);
    }
  }
  return [...bodies];
}

/** The three splits of `bodies` (the sdist's unless given); none shares a run with `devTexts`. */
export function githubIssueSets(
  devTexts: readonly string[],
  bodies: readonly string[] = githubBodies(),
): IssueSets {
  const devRuns = new Set(devTexts.flatMap(runsOfEight));
  const clean = bodies.filter((text) => !runsOfEight(text).some((run) => devRuns.has(run)));
  const ordered = shuffle([...clean].sort(), seededRandom(SEED));
  const sets: IssueSets = {
    train: [],
    validation: [],
    test: [],
    contaminated: bodies.length - clean.length,
  };
  ordered.forEach((text, index) => {
    const split =
      index < 0.7 * ordered.length
        ? 'train'
        : index < 0.85 * ordered.length
          ? 'validation'
          : 'test';
    sets[split].push({ text, label: 0, source: 'github-issues', stage: 'retrieval' });
  });
  return sets;
}
