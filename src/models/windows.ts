import { z } from 'zod';

/**
 * The `maxWindows` setting of the detectors that read a text in windows (the injection encoder,
 * `banned_topics`): 8 windows by default, about 3,000 characters of English.
 */
export function maxWindowsSchema(description: string): z.ZodDefault<z.ZodNumber> {
  return z.number().int().min(1).max(64).default(8).describe(description);
}

/**
 * The windows of word pieces a text is scored in: `window` pieces each, `stride` apart, the
 * last one ending with the text. Past `maxWindows`, the first and the last are kept, and the
 * rest are the `maxWindows - 2` between them that `rank` scores highest (in text order), or,
 * without `rank`, the first ones. Shared by the injection encoder and `banned_topics`.
 */
export function tokenWindows(
  ids: readonly number[],
  window: number,
  stride: number,
  maxWindows: number,
  rank?: (start: number, end: number) => number,
): number[][] {
  if (ids.length <= window) return [[...ids]];
  const starts: number[] = [];
  for (let start = 0; start + window <= ids.length; start += stride) starts.push(start);
  const lastStart = ids.length - window;
  if ((starts.at(-1) ?? 0) !== lastStart) starts.push(lastStart);
  return chooseStarts(starts, window, maxWindows, rank).map((start) =>
    ids.slice(start, start + window),
  );
}

function chooseStarts(
  starts: readonly number[],
  window: number,
  maxWindows: number,
  rank: ((start: number, end: number) => number) | undefined,
): readonly number[] {
  if (starts.length <= maxWindows) return starts;
  const last = starts.at(-1) ?? 0;
  if (rank === undefined) return [...starts.slice(0, Math.max(0, maxWindows - 1)), last];
  const highest = (candidates: readonly number[], count: number): number[] =>
    candidates
      .map((start) => ({ start, score: rank(start, start + window) }))
      .sort((a, b) => b.score - a.score || a.start - b.start)
      .slice(0, count)
      .map(({ start }) => start)
      .sort((a, b) => a - b);
  if (maxWindows === 1) return highest(starts, 1);
  // Padding a long text with filler so the attack sits past the windows read is the cheapest
  // way around a reader with a window budget; a cheap score over every window decides which
  // ones the expensive reader spends it on. The first and the last are always read.
  return [starts[0] ?? 0, ...highest(starts.slice(1, -1), maxWindows - 2), last];
}

/** A window's text as its WordPiece pieces spell it (lower case, "##" continuations joined). */
export function piecesText(pieces: readonly string[]): string {
  let text = '';
  for (const piece of pieces) text += piece.startsWith('##') ? piece.slice(2) : ` ${piece}`;
  return text;
}
