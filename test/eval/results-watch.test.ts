import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  describeMove,
  movesReport,
  sourceMoves,
  writeWatchedResult,
} from '../../eval/results-watch.ts';
import type { WatchedReport } from '../../eval/results-watch.ts';

const report = (
  overall: number,
  sources: Record<string, [number, number | null, number | null]>,
): WatchedReport => ({
  n: 1000,
  tpr: overall,
  fpr: 0.01,
  by_source: Object.fromEntries(
    Object.entries(sources).map(([source, [n, tpr, fpr]]) => [source, { n, tpr, fpr }]),
  ),
});

describe('sourceMoves', () => {
  it('names a probe family that fell while the overall figure barely moved', () => {
    const before = report(0.873, { xss: [256, 0.718, null], whois: [168, 0.786, null] });
    const now = report(0.867, { xss: [256, 0.624, null], whois: [168, 0.875, null] });
    const moves = sourceMoves(before, now);
    assert.deepEqual(
      moves.map((move) => [move.source, move.rate, move.examples]),
      [
        ['xss', 'tpr', 24],
        ['whois', 'tpr', 15],
      ],
    );
    assert.equal(moves.map(describeMove)[0], 'xss TPR 0.718 → 0.624, 24 examples');
  });

  it('leaves out moves that are small both ways, or of too few examples', () => {
    const before = report(0.9, {
      few: [20, 0.9, null],
      slight: [1000, 0.5, null],
      resized: [100, 0.5, null],
    });
    const now = report(0.91, {
      few: [20, 0.8, null], // two examples
      slight: [1000, 0.51, null], // ten examples, but 0.01 and a fiftieth of the misses
      resized: [120, 0.9, null],
      added: [50, 0.1, null],
    });
    assert.deepEqual(sourceMoves(before, now), []);
  });

  it('names a small rate that grew by half, though by less than 0.02', () => {
    const moves = sourceMoves(
      report(0.9, { readme: [1421, null, 0.018] }),
      report(0.9, { readme: [1421, null, 0.027] }),
    );
    assert.deepEqual(
      moves.map((move) => [move.source, move.rate, move.examples]),
      [['readme', 'fpr', 13]],
    );
  });

  it('names a mixed source on its rate alone', () => {
    const moves = sourceMoves(
      report(0.9, { mixed: [300, 0.9, 0.02] }),
      report(0.9, { mixed: [300, 0.9, 0.06] }),
    );
    assert.deepEqual(moves, [
      { source: 'mixed', rate: 'fpr', before: 0.02, after: 0.06, examples: 0 },
    ]);
    assert.equal(moves.map(describeMove)[0], 'mixed FPR 0.020 → 0.060');
  });
});

describe('writeWatchedResult', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-watch-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the report and returns the moves since the one it replaces', () => {
    const path = join(dir, 'result.json');
    assert.deepEqual(writeWatchedResult(path, report(0.5, { a: [100, 0.5, null] })), []);
    const moves = writeWatchedResult(path, report(0.6, { a: [100, 0.6, null] }));
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as WatchedReport).tpr, 0.6);
    assert.equal(
      movesReport('result.json', moves),
      '  moved since the last result.json:\n    (all) TPR 0.500 → 0.600\n    a TPR 0.500 → 0.600, 10 examples\n',
    );
    assert.equal(movesReport('result.json', []), '');
  });
});
