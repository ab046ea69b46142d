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
 * last one ending with the text. Past `maxWindows`, the first `maxWindows - 1` and the last are
 * kept. Shared by the injection encoder and `banned_topics`.
 */
export function tokenWindows(
  ids: readonly number[],
  window: number,
  stride: number,
  maxWindows: number,
): number[][] {
  if (ids.length <= window) return [[...ids]];
  const starts: number[] = [];
  for (let start = 0; start + window <= ids.length; start += stride) starts.push(start);
  const lastStart = ids.length - window;
  if ((starts.at(-1) ?? 0) !== lastStart) starts.push(lastStart);
  const kept =
    starts.length <= maxWindows
      ? starts
      : [...starts.slice(0, Math.max(0, maxWindows - 1)), lastStart];
  return kept.map((start) => ids.slice(start, start + window));
}
