import { data as trigramData } from 'franc-all/data.js';
import { expressions as scriptExpressions } from 'franc-all/expressions.js';
import { z } from 'zod';
import { TrigramIdentifier } from './trigram-identifier.ts';
import { defineDetector } from './types.ts';
import type { Finding } from './types.ts';

/** Every language franc-all can name: its trigram languages and its one-language scripts. */
const knownLanguages: ReadonlySet<string> = new Set([
  ...Object.values(trigramData).flatMap((languages) => Object.keys(languages)),
  ...Object.keys(scriptExpressions).filter((name) => /^[a-z]{3}$/.test(name)),
]);

const LETTER = /\p{L}/gu;
/** Where a long line is cut into sentences, so a payload in one sentence is judged alone. */
const SENTENCE_END = /(?<=[.!?。！？])\s+/u;
const LONG_LINE = 400;

interface Segment {
  start: number;
  end: number;
  text: string;
}

/**
 * Lines, the sentences of long lines, and pieces of at most LONG_LINE characters of a sentence
 * longer than that (cut at a space where there is one): franc reads only a text's first 2,048
 * characters, and a payload must not hide behind a long run-on line.
 */
function segments(text: string): Segment[] {
  const found: Segment[] = [];
  const push = (start: number, piece: string): void => {
    let offset = 0;
    while (piece.length - offset > LONG_LINE) {
      const space = piece.lastIndexOf(' ', offset + LONG_LINE);
      const end = space > offset + LONG_LINE / 2 ? space : offset + LONG_LINE;
      found.push({ start: start + offset, end: start + end, text: piece.slice(offset, end) });
      offset = end;
    }
    found.push({ start: start + offset, end: start + piece.length, text: piece.slice(offset) });
  };
  let lineStart = 0;
  for (const line of text.split('\n')) {
    if (line.length <= LONG_LINE) {
      found.push({ start: lineStart, end: lineStart + line.length, text: line });
    } else {
      let offset = lineStart;
      for (const sentence of line.split(SENTENCE_END)) {
        const at = text.indexOf(sentence, offset);
        push(at, sentence);
        offset = at + sentence.length;
      }
    }
    lineStart += line.length + 1;
  }
  return found;
}

export const languageConfigSchema = z
  .strictObject({
    allowed: z
      .array(
        z
          .string()
          .regex(/^[a-z]{3}$/, 'an ISO 639-3 code, such as eng')
          .refine((code) => knownLanguages.has(code), {
            message: 'not a language franc-all can identify',
          }),
      )
      .min(1)
      .default(['eng', 'fra', 'deu', 'spa'])
      .describe(
        'ISO 639-3 codes of the languages your users write and your detectors read (default: English, French, German, Spanish).',
      ),
    minLetters: z
      .number()
      .int()
      .min(10)
      .default(40)
      .describe('Lines or sentences with fewer letters are not judged: too short to identify.'),
    similarity: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.7)
      .describe(
        "A segment is in another language when its closest allowed language's trigram similarity, relative to the best match, is below this (score 0.5 there).",
      ),
    maxSegments: z
      .number()
      .int()
      .min(1)
      .default(200)
      .describe(
        'Segments judged per text (~0.1 ms each): past it, the first ones and the last are judged.',
      ),
  })
  // The trigram index is built once per binding (~40 ms), not per check.
  .transform((config) => ({
    ...config,
    allowedSet: new Set(config.allowed),
    identifier: new TrigramIdentifier(),
  }));

type LanguageConfig = z.output<typeof languageConfigSchema>;

/** The segments judged: all, or past `limit` the first ones and the last (where payloads go). */
function judged(all: Segment[], limit: number): Segment[] {
  if (all.length <= limit) return all;
  const tail = Math.floor(limit / 4);
  return [...all.slice(0, limit - tail), ...all.slice(all.length - tail)];
}

/**
 * Text in a language the policy does not allow: attacks translated into languages the other
 * detectors cannot read (Zulu, Scots Gaelic, Albanian: "low-resource language" jailbreaks) pass
 * every English rule and model. Each line, or sentence of a long line, with enough letters is
 * identified by character trigrams (franc-all, 385 languages); one whose best match is not an
 * allowed language, and whose allowed languages are all far from it, is a finding.
 */
export const languageDetector = defineDetector({
  meta: {
    name: 'language',
    description:
      'Lines or sentences in a language outside an allow-list (low-resource-language jailbreaks), by character trigrams (franc-all).',
    stages: ['ingest', 'input', 'retrieval', 'output'],
    cost: 'moderate',
    kinds: ['unsupported_language'],
  },
  configSchema: languageConfigSchema,
  detect(text, config: LanguageConfig): Finding[] {
    const allowed = config.allowedSet;
    const findings: Finding[] = [];
    for (const segment of judged(
      segments(text).filter(
        (candidate) => (candidate.text.match(LETTER)?.length ?? 0) >= config.minLetters,
      ),
      config.maxSegments,
    )) {
      const ranked = config.identifier.rank(segment.text);
      const [best] = ranked;
      if (best === undefined || best[0] === 'und' || allowed.has(best[0])) continue;
      const [closest = 'none', closestAllowed = 0] =
        ranked.find(([language]) => allowed.has(language)) ?? [];
      // 0.5 at `similarity`, 1 when no allowed language is near at all.
      const score = Math.min(1, Math.max(0, 1 - closestAllowed / (2 * config.similarity)));
      if (score < 0.05) continue;
      findings.push({
        detector: 'language',
        kind: 'unsupported_language',
        span: { start: segment.start, end: segment.end },
        score,
        evidence: `${best[0]} (closest allowed ${closest} at ${closestAllowed.toFixed(2)})`,
      });
    }
    return findings;
  },
});
