import { z } from 'zod';
import { defineDetector } from './types.ts';
import type { Finding } from './types.ts';

const classes: readonly { kind: string; test: (code: number) => boolean; what: string }[] = [
  {
    kind: 'unicode_tag',
    test: (code) => code >= 0xe0000 && code <= 0xe007f,
    what: 'Unicode tag characters (invisible ASCII smuggling)',
  },
  {
    kind: 'zero_width',
    test: (code) =>
      (code >= 0x200b && code <= 0x200f) ||
      (code >= 0x2060 && code <= 0x2064) ||
      code === 0xfeff ||
      code === 0x180e,
    what: 'zero-width characters',
  },
  {
    kind: 'bidi_control',
    test: (code) => (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069),
    what: 'bidirectional overrides',
  },
  {
    kind: 'private_use',
    test: (code) => (code >= 0xe000 && code <= 0xf8ff) || (code >= 0xf0000 && code <= 0x10fffd),
    what: 'private-use characters',
  },
];

/** Every class above in one character class: most text has none, and one scan settles it. */
const anySuspicious =
  /[\u200B-\u200F\u2060-\u2064\uFEFF\u180E\u202A-\u202E\u2066-\u2069\uE000-\uF8FF\u{E0000}-\u{E007F}\u{F0000}-\u{10FFFD}]/u;

export const invisibleTextConfigSchema = z.strictObject({
  /** Isolated zero-width joiners occur in emoji sequences and some scripts; runs do not. */
  minRun: z
    .number()
    .int()
    .min(1)
    .default(1)
    .describe('Shortest run of invisible characters reported.'),
});

export const invisibleTextDetector = defineDetector({
  meta: {
    name: 'invisible_text',
    description:
      'Invisible or direction-changing characters used to smuggle instructions past readers: tag characters, zero-width characters, bidi overrides, private-use code points.',
    stages: ['ingest', 'input', 'retrieval', 'output'],
    cost: 'cheap',
    kinds: classes.map((entry) => entry.kind),
  },
  configSchema: invisibleTextConfigSchema,
  detect(text, config): Finding[] {
    const findings: Finding[] = [];
    const first = text.search(anySuspicious);
    if (first < 0) return findings;
    let index = first;
    while (index < text.length) {
      const code = text.codePointAt(index) ?? 0;
      const entry = classes.find((candidate) => candidate.test(code));
      if (entry === undefined) {
        index += code > 0xffff ? 2 : 1;
        continue;
      }
      const start = index;
      let count = 0;
      while (index < text.length) {
        const next = text.codePointAt(index) ?? 0;
        if (!entry.test(next)) break;
        index += next > 0xffff ? 2 : 1;
        count += 1;
      }
      // A lone ZWJ/ZWNJ between letters is ordinary in emoji and Indic/Persian text.
      const ordinary =
        entry.kind === 'zero_width' && count === 1 && (code === 0x200d || code === 0x200c);
      if (count >= config.minRun && !ordinary) {
        findings.push({
          detector: 'invisible_text',
          kind: entry.kind,
          span: { start, end: index },
          score: entry.kind === 'unicode_tag' || count > 2 ? 0.99 : 0.8,
          evidence: `${count} ${entry.what}`,
        });
      }
    }
    return findings;
  },
});
