export interface Chunk {
  /** `<documentId>#<index>`: stable, so a replay replaces the same rows. */
  id: string;
  index: number;
  /** The title line followed by the passage: what is embedded and searched. */
  text: string;
  /** Character offsets of the passage in the document text. */
  start: number;
  end: number;
}

export interface ChunkOptions {
  /** Token budget of one chunk including the title (the embedder's window minus specials). */
  maxTokens: number;
  /** Tokens of the previous passage repeated at the start of the next. */
  overlapTokens: number;
  countTokens: (text: string) => number;
}

interface Word {
  start: number;
  end: number;
  tokens: number;
}

/**
 * Splits a document into overlapping passages that fit the embedding window, each prefixed
 * with the document title so a passage is findable by what its document is about. Passages end
 * at word boundaries; a single word longer than the budget becomes a passage of its own.
 */
export function chunkDocument(
  documentId: string,
  title: string,
  text: string,
  options: ChunkOptions,
): Chunk[] {
  const heading = title.trim() === '' ? '' : `${title.trim()}\n`;
  const headingTokens = heading === '' ? 0 : options.countTokens(heading);
  const budget = Math.max(8, options.maxTokens - headingTokens);
  const words: Word[] = [];
  for (const match of text.matchAll(/\S+/g)) {
    words.push({
      start: match.index,
      end: match.index + match[0].length,
      tokens: Math.max(1, options.countTokens(match[0])),
    });
  }
  const chunks: Chunk[] = [];
  let first = 0;
  while (first < words.length) {
    let last = first;
    let tokens = words[first]?.tokens ?? 1;
    while (last + 1 < words.length && tokens + (words[last + 1]?.tokens ?? 1) <= budget) {
      last += 1;
      tokens += words[last]?.tokens ?? 1;
    }
    const start = words[first]?.start ?? 0;
    const end = words[last]?.end ?? start;
    const index = chunks.length;
    chunks.push({
      id: `${documentId}#${String(index)}`,
      index,
      text: `${heading}${text.slice(start, end)}`,
      start,
      end,
    });
    if (last + 1 >= words.length) break;
    // Step back over up to overlapTokens worth of words, but always move forward.
    let next = last + 1;
    let overlap = 0;
    while (next - 1 > first && overlap + (words[next - 1]?.tokens ?? 1) <= options.overlapTokens) {
      next -= 1;
      overlap += words[next]?.tokens ?? 1;
    }
    first = next;
  }
  return chunks;
}
