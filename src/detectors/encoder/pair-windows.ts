/**
 * How a cross-encoder reads an (answer, context) pair, shared by its thread and its trainer's
 * reference (eval/finetune-groundedness-encoder.py does the same in Python): the answer cut to
 * `answerPieces` word pieces, then the context in windows that fill the rest of the sequence,
 * each overlapping the next by a quarter.
 */
export const CLS = 101;
export const SEP = 102;

export interface PairSequence {
  ids: number[];
  types: number[];
}

export function contextWindows(contextIds: readonly number[], room: number): number[][] {
  if (contextIds.length <= room) return [[...contextIds]];
  const stride = Math.max(1, Math.floor((room * 3) / 4));
  const starts: number[] = [];
  for (let start = 0; start + room <= contextIds.length; start += stride) starts.push(start);
  if (starts[starts.length - 1] !== contextIds.length - room) starts.push(contextIds.length - room);
  return starts.map((start) => contextIds.slice(start, start + room));
}

/**
 * The pair's sequences, one per context window. Past `maxWindows`, the windows sharing the most
 * word pieces with the answer are kept (in context order): a long context is read where it talks
 * about what the answer says.
 */
export function pairSequences(
  answerIds: readonly number[],
  contextIds: readonly number[],
  sequence: number,
  answerPieces: number,
  maxWindows: number,
): PairSequence[] {
  const answer = answerIds.slice(0, answerPieces);
  const room = sequence - 3 - answer.length;
  let windows = contextWindows(contextIds, room);
  if (windows.length > maxWindows) {
    const wanted = new Set(answer);
    const overlap = (window: readonly number[]): number =>
      new Set(window.filter((id) => wanted.has(id))).size;
    const kept = new Set(
      windows
        .map((window, index) => ({ index, shared: overlap(window) }))
        .sort((a, b) => b.shared - a.shared || a.index - b.index)
        .slice(0, maxWindows)
        .map(({ index }) => index),
    );
    windows = windows.filter((_, index) => kept.has(index));
  }
  return windows.map((window) => ({
    ids: [CLS, ...answer, SEP, ...window, SEP],
    types: [
      ...new Array<number>(answer.length + 2).fill(0),
      ...new Array<number>(window.length + 1).fill(1),
    ],
  }));
}
