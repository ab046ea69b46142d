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
  {
    // Bytes hidden behind an emoji or a letter as variation selectors (U+FE00–U+FE0F for 0–15,
    // U+E0100–U+E01EF for 16–255: "variation-selector smuggling", P. Butler 2025). An emoji or
    // an ideograph takes one; a run of four or more carries data.
    kind: 'variation_selectors',
    test: (code) => (code >= 0xfe00 && code <= 0xfe0f) || (code >= 0xe0100 && code <= 0xe01ef),
    what: 'variation selectors in a row (data hidden behind a visible character)',
  },
  {
    // Default-ignorable characters no text has a use for: the deprecated Khmer inherent vowel
    // U+17B4 and the musical notation's formatting characters. The Hangul fillers and the
    // combining grapheme joiner were checked too and are left out: Unicode's own IDNA
    // conformance data has them, and a test corpus is text a pipeline may carry.
    kind: 'invisible_filler',
    test: (code) => code === 0x17b4 || (code >= 0x1d173 && code <= 0x1d17a),
    what: 'invisible filler characters',
  },
  {
    // Backspace and delete hide the characters before them on a terminal; ESC starts the ANSI
    // sequences that recolour, move the cursor, set hyperlinks or write the clipboard (OSC 52).
    // Tab, line feed, vertical tab, form feed and carriage return are ordinary text, and so, in
    // practice, are C1 controls (U+0080–U+009F): they are what UTF-8 read as Latin-1 looks like
    // ("â\u0080\u0099"), 4 of the 1,332 llm-warden benign prompts.
    kind: 'control_character',
    test: (code) => code <= 0x08 || (code >= 0x0e && code <= 0x1f) || code === 0x7f,
    what: 'control characters (backspace, escape sequences)',
  },
];

const allKinds = [...classes.map((entry) => entry.kind), 'homoglyph'] as const;

// Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables, the common part).
const LATIN_LOOKALIKES = new Set('аеорсухѕіјԁһԛԝӏАВЕКМНОРСТХЅІЈҮԚԜοικνυΑΒΕΖΗΙΚΜΝΟΡΤΥΧ');
const CYRILLIC_OR_GREEK = /[\u0370-\u03ff\u0400-\u052f]/;
const CYRILLIC = /[\u0400-\u052f]/;
const WORD = /[\p{L}\p{M}]+/gu;
const LATIN_LETTER = /[A-Za-z\u00c0-\u024f]/;

/** Every class above in one character class: most text has none, and one scan settles it. */
const anySuspicious =
  // eslint-disable-next-line no-control-regex, no-misleading-character-class -- control characters and lone variation selectors are what this looks for
  /[\u0000-\u0008\u000E-\u001F\u007F\u200B-\u200F\u2060-\u2064\uFEFF\u180E\u202A-\u202E\u2066-\u2069\uE000-\uF8FF\u{E0000}-\u{E007F}\u{F0000}-\u{10FFFD}\uFE00-\uFE0F\u{E0100}-\u{E01EF}\u17B4\u{1D173}-\u{1D17A}]/u;

/**
 * Words that mix Latin letters with Cyrillic or Greek look-alikes ("homе" with a Cyrillic е,
 * "Gіvе ınѕtruсtıоnѕ"): the homoglyph trick for getting a word past filters that read code points
 * while people read shapes. A Latin word whose only foreign letters are look-alikes scores 0.9;
 * a Cyrillic word with a Latin letter in it is more often a typing slip ("Cпасибо"), so those
 * only count (0.6) when three or more occur in one text. Greek letters that are not look-alikes
 * are notation beside Latin ones ("18μs", "Δt"), never counted.
 */
function homoglyphWords(text: string): Finding[] {
  if (!CYRILLIC_OR_GREEK.test(text) || !LATIN_LETTER.test(text)) return [];
  const disguised: Finding[] = [];
  const slips: Finding[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    let latin = 0;
    let lookalikes = 0;
    let foreign = 0;
    for (const char of word) {
      if (LATIN_LETTER.test(char)) latin += 1;
      else if (LATIN_LOOKALIKES.has(char)) lookalikes += 1;
      else if (CYRILLIC.test(char)) foreign += 1;
    }
    if (latin === 0 || lookalikes + foreign === 0) continue;
    const finding = (score: number): Finding => ({
      detector: 'invisible_text',
      kind: 'homoglyph',
      span: { start: match.index, end: match.index + word.length },
      score,
      evidence: `a ${word.length}-letter word mixing Latin with ${lookalikes + foreign} Cyrillic or Greek letters`,
    });
    if (foreign === 0) disguised.push(finding(0.9));
    else slips.push(finding(0.6));
  }
  return [...disguised, ...(slips.length >= 3 ? slips : [])];
}

export const invisibleTextConfigSchema = z.strictObject({
  kinds: z
    .array(z.enum(allKinds))
    .default([...allKinds])
    .describe(
      'Which kinds to report. Drop control_character for records that carry terminal colours on purpose (logs).',
    ),
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
      'Invisible or disguised characters used to smuggle text past readers and filters: tag characters, zero-width characters, bidi overrides, private-use code points, runs of variation selectors, invisible fillers, control characters (backspace, ANSI escapes), Latin words with Cyrillic or Greek look-alike letters.',
    stages: ['ingest', 'input', 'retrieval', 'output'],
    cost: 'cheap',
    kinds: allKinds,
  },
  configSchema: invisibleTextConfigSchema,
  detect(text, config): Finding[] {
    const enabled = new Set<string>(config.kinds);
    const findings = enabled.has('homoglyph') ? homoglyphWords(text) : [];
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
        (entry.kind === 'zero_width' && count === 1 && (code === 0x200d || code === 0x200c)) ||
        (entry.kind === 'variation_selectors' && count < 4);
      if (count >= config.minRun && !ordinary && enabled.has(entry.kind)) {
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
