/**
 * Payloads hidden in encodings: each decoder returns the plain texts it could recover, so the
 * detector can scan them like the original. Decoding is bounded (count and size).
 */
const MAX_DECODED = 8;
const BASE64 = /[A-Za-z0-9+/]{16,4096}={0,2}/g;
const HEX = /\b(?:[0-9a-fA-F]{2}){8,2048}\b/g;
const URL_ENCODED = /(?:%[0-9A-Fa-f]{2}){4,}/g;
// Unicode tag characters U+E0020–U+E007E mirror printable ASCII and render as nothing: text
// written in them is read by many models and seen by no one ("ASCII smuggling").
const TAG_RUN = /(?:\u{E0020}|[\u{E0021}-\u{E007E}]){4,2048}/gu;
// Variation selectors render as nothing too, and 256 of them (U+FE00–U+FE0F for 0–15,
// U+E0100–U+E01EF for 16–255) carry one byte each: any text can ride behind one emoji
// ("variation-selector smuggling", P. Butler 2025). Ordinary text has one selector after a
// character, never a run.
const SELECTOR_RUN = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]{4,4096}/gu;
/**
 * Printable ASCII written as string escapes (`\u0049gnore`, `\x69gnore`): JSON, JavaScript and
 * Python encoders escape non-ASCII characters and controls, never ASCII letters, so text that
 * does is hiding words from filters that read it raw.
 */
const ASCII_ESCAPE = /\\(?:u00|x)([2-7][0-9a-fA-F])/g;
/** What ends a string literal's text on either side: a quote, a backslash, a line break. */
const STRING_EDGE = /["\\\n]/;
const MAX_RUN_GAP = 2_000;

/**
 * The runs of text holding two or more ASCII escapes, each widened to its string literal (up to
 * a quote, another backslash or a line break, at most 2,000 characters either way), so the
 * words around an escaped letter are read with it. Linear: one pass over the escapes.
 */
function escapedRuns(text: string): { start: number; end: number }[] {
  const runs: { start: number; end: number; count: number }[] = [];
  let run: { start: number; end: number; count: number } | undefined;
  for (const match of text.matchAll(ASCII_ESCAPE)) {
    const at = match.index;
    const between = run === undefined ? '' : text.slice(run.end, at);
    if (run !== undefined && between.length <= MAX_RUN_GAP && !STRING_EDGE.test(between)) {
      run.end = at + match[0].length;
      run.count += 1;
      continue;
    }
    if (run !== undefined) runs.push(run);
    run = { start: at, end: at + match[0].length, count: 1 };
  }
  if (run !== undefined) runs.push(run);
  return runs
    .filter((candidate) => candidate.count >= 2)
    .map(({ start, end }) => {
      const before = text.slice(Math.max(0, start - MAX_RUN_GAP), start);
      let from = start - before.length;
      for (let index = before.length - 1; index >= 0; index -= 1)
        if (STRING_EDGE.test(before[index] ?? '')) {
          from = start - before.length + index + 1;
          break;
        }
      const after = text.slice(end, end + MAX_RUN_GAP);
      const stop = after.search(STRING_EDGE);
      return { start: from, end: end + (stop < 0 ? after.length : stop) };
    });
}

function printable(text: string): boolean {
  if (text.length < 8) return false;
  let good = 0;
  for (const char of text) {
    const code = char.charCodeAt(0);
    if ((code >= 32 && code < 127) || code === 10 || code === 13 || code === 9 || code > 159)
      good += 1;
  }
  return good / text.length > 0.9 && /[a-zA-Z]{3}/.test(text);
}

/**
 * Replaces every Latin letter by the one at `move(index)` (0–25) in the same case. Code units are
 * copied as they are, lone surrogates too; a table and a flat loop, not a callback per letter:
 * rot13 runs on every text the detector reads (27 µs → a few for 900 characters).
 */
function mapLatinLetters(text: string, move: (index: number) => number): string {
  const table = new Uint16Array(128);
  for (let code = 0; code < 128; code += 1) table[code] = code;
  for (let index = 0; index < 26; index += 1) {
    table[65 + index] = 65 + move(index);
    table[97 + index] = 97 + move(index);
  }
  const CHUNK = 8192;
  let out = '';
  const units = new Uint16Array(Math.min(text.length, CHUNK));
  for (let start = 0; start < text.length; start += CHUNK) {
    const end = Math.min(text.length, start + CHUNK);
    for (let index = start; index < end; index += 1) {
      const code = text.charCodeAt(index);
      units[index - start] = code < 128 ? (table[code] ?? code) : code;
    }
    // `apply` takes any array-like; a typed array is what makes this fast.
    out += String.fromCharCode.apply(null, units.subarray(0, end - start) as unknown as number[]);
  }
  return out;
}

/** Every Latin letter moved `shift` places along the alphabet (rot13 is shift 13). */
export function caesar(text: string, shift: number): string {
  return mapLatinLetters(text, (index) => (index + shift) % 26);
}

/** Atbash: a ↔ z, b ↔ y, … */
export function atbash(text: string): string {
  return mapLatinLetters(text, (index) => 25 - index);
}

// A prompt that names a cipher (CipherChat, Yuan et al. 2023: "we will communicate in Caesar
// cipher") has its text tried in every shift and in Atbash; others only in rot13, which needs no
// announcement to be read.
const CIPHER_NAMED =
  /\b(?:caesar|cipher|shift(?:ed)? (?:by|of)? ?\d{1,2}|rot-?\d{1,2}|atbash|decipher|encrypted)\b/i;

const FLIP_NAMED =
  /\b(?:backwards?|revers\w*|flip\w*|mirror\w*|right[- ]to[- ]left|last (?:letter|character|word) first)\b/i;
const MAX_FLIPPED = 20_000;
const MAX_ENCIPHERED = 2_000;

/** The readings of a text an attacker may have encoded whole: rot13, reversed, enciphered. */
export function rereadings(text: string): { encoding: string; text: string }[] {
  const readings: { encoding: string; text: string }[] = [];
  const rotated = rot13(text);
  // Text without Latin letters is its own rot13 (Chinese, Russian): nothing was encoded.
  if (rotated === text) return readings;
  readings.push({ encoding: 'rot13', text: rotated });
  // FlipAttack (Liu et al. 2024): the request written backwards, by character or by word, with
  // an instruction to flip it back. Bounded: each reading is normalised and matched again.
  if (text.length <= MAX_FLIPPED && FLIP_NAMED.test(text)) {
    readings.push({ encoding: 'reversed', text: Array.from(text).reverse().join('') });
    readings.push({ encoding: 'word-reversed', text: text.split(/\s+/).reverse().join(' ') });
  }
  if (text.length <= MAX_ENCIPHERED && CIPHER_NAMED.test(text)) {
    for (let shift = 1; shift < 26; shift += 1) {
      if (shift !== 13) readings.push({ encoding: `caesar-${shift}`, text: caesar(text, shift) });
    }
    readings.push({ encoding: 'atbash', text: atbash(text) });
  }
  return readings;
}

export function rot13(text: string): string {
  return caesar(text, 13);
}

export interface Decoded {
  encoding:
    | 'base64'
    | 'hex'
    | 'url'
    | 'rot13'
    | 'unicode-tags'
    | 'variation-selectors'
    | 'acrostic'
    | 'morse'
    | 'escapes';
  text: string;
  /** Where the encoded run sits in the input. */
  start: number;
  end: number;
}

export function decodeEmbedded(text: string): Decoded[] {
  const found: Decoded[] = [];
  const push = (encoding: Decoded['encoding'], decoded: string, match: RegExpMatchArray): void => {
    if (found.length < MAX_DECODED && printable(decoded)) {
      const start = match.index ?? 0;
      found.push({ encoding, text: decoded, start, end: start + match[0].length });
    }
  };
  for (const match of text.matchAll(BASE64)) {
    if (!/[a-z]/.test(match[0]) || !/[A-Z0-9+/]/.test(match[0])) continue;
    push('base64', Buffer.from(match[0], 'base64').toString('utf8'), match);
  }
  for (const match of text.matchAll(HEX)) {
    push('hex', Buffer.from(match[0], 'hex').toString('utf8'), match);
  }
  if (/[\u{E0000}-\u{E007F}]/u.test(text)) {
    for (const match of text.matchAll(TAG_RUN)) {
      const decoded = Array.from(match[0], (char) =>
        String.fromCharCode((char.codePointAt(0) ?? 0xe0020) - 0xe0000),
      ).join('');
      push('unicode-tags', decoded, match);
    }
  }
  if (/[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/u.test(text)) {
    for (const match of text.matchAll(SELECTOR_RUN)) {
      const bytes = Array.from(match[0], (char) => {
        const code = char.codePointAt(0) ?? 0xfe00;
        return code >= 0xe0100 ? code - 0xe0100 + 16 : code - 0xfe00;
      });
      push('variation-selectors', Buffer.from(bytes).toString('utf8'), match);
    }
  }
  for (const match of text.matchAll(URL_ENCODED)) {
    try {
      push('url', decodeURIComponent(match[0]), match);
    } catch {
      // Not valid percent-encoding: nothing hidden there.
    }
  }
  if (text.includes('\\u00') || text.includes('\\x')) {
    for (const { start, end } of escapedRuns(text)) {
      if (found.length >= MAX_DECODED) break;
      const decoded = text
        .slice(start, end)
        .replace(ASCII_ESCAPE, (_, code: string) => String.fromCharCode(Number.parseInt(code, 16)));
      if (printable(decoded)) found.push({ encoding: 'escapes', text: decoded, start, end });
    }
  }
  if (text.includes('.-') || text.includes('-.')) {
    for (const match of text.matchAll(MORSE_RUN)) {
      const decoded = morse(match[0]);
      if (decoded !== undefined) push('morse', decoded, match);
    }
  }
  const acrostic = parenthesizedAcrostic(text);
  if (acrostic !== undefined && found.length < MAX_DECODED) found.push(acrostic);
  return found;
}

// International Morse code: letters of dots and dashes apart by a space, words by two or more
// spaces or a slash. At least 12 letters in a run.
const MORSE_RUN = /(?:[.-]{1,7}(?: {1,3}| ?\/ ?)){11,2000}[.-]{1,7}/g;
const MORSE: Readonly<Record<string, string>> = {
  '.-': 'a',
  '-...': 'b',
  '-.-.': 'c',
  '-..': 'd',
  '.': 'e',
  '..-.': 'f',
  '--.': 'g',
  '....': 'h',
  '..': 'i',
  '.---': 'j',
  '-.-': 'k',
  '.-..': 'l',
  '--': 'm',
  '-.': 'n',
  '---': 'o',
  '.--.': 'p',
  '--.-': 'q',
  '.-.': 'r',
  '...': 's',
  '-': 't',
  '..-': 'u',
  '...-': 'v',
  '.--': 'w',
  '-..-': 'x',
  '-.--': 'y',
  '--..': 'z',
  '-----': '0',
  '.----': '1',
  '..---': '2',
  '...--': '3',
  '....-': '4',
  '.....': '5',
  '-....': '6',
  '--...': '7',
  '---..': '8',
  '----.': '9',
  '.-.-.-': '.',
  '--..--': ',',
  '..--..': '?',
  '-.-.--': '!',
  '-..-.': '/',
  '.----.': "'",
  '-....-': '-',
  '---...': ':',
  '-.--.': '(',
  '-.--.-': ')',
  '.-..-.': '"',
  '-...-': '=',
  '.-.-.': '+',
  '..--.-': '_',
  '-.-.-.': ';',
  '.--.-.': '@',
  '.-...': '&',
};

/**
 * Decodes a Morse run; undefined when a group is no Morse letter, or when the run has fewer than
 * four different letters (a row of dashes or dots is a rule or an ellipsis, not a message).
 */
function morse(run: string): string | undefined {
  if (new Set(run.split(/[ /]+/)).size < 4) return undefined;
  const words = run.trim().split(/ {2,}| ?\/ ?/);
  let decoded = '';
  for (const word of words) {
    for (const group of word.split(' ')) {
      if (group === '') continue;
      const letter = MORSE[group];
      if (letter === undefined) return undefined;
      decoded += letter;
    }
    decoded += ' ';
  }
  return decoded.trim();
}

// One character in parentheses, then up to 40 characters without any: "(g)lorious victory".
const MARKED_CHARACTER = /\(([^()\n])\)[^()]{0,40}/g;
const MIN_MARKS = 12;

/**
 * The disguise of Liu et al. 2024 ("Making Them Ask and Answer", the DRA jailbreak): a request
 * spelt one character per line, each character in parentheses inside a harmless word
 * ("(g)lorious victory", "el(e)ven killers", "( )"), with an instruction to put the marked
 * characters together and answer what they say. Returns the text they spell when at least 12
 * marks follow each other and the spelt text has words: two spaces or more, as no enumeration
 * ("(a) … (b) … (c)") has.
 */
export function parenthesizedAcrostic(text: string): Decoded | undefined {
  if (!text.includes('(')) return undefined;
  let spelt = '';
  let start = -1;
  let end = -1;
  let best: Decoded | undefined;
  const settle = (): void => {
    if (
      spelt.length >= MIN_MARKS &&
      (spelt.match(/ /g)?.length ?? 0) >= 2 &&
      /[a-z]{2}/i.test(spelt)
    )
      if (best === undefined || spelt.length > best.text.length)
        best = { encoding: 'acrostic', text: spelt, start, end };
  };
  for (const match of text.matchAll(MARKED_CHARACTER)) {
    const index = match.index;
    if (index !== end) {
      settle();
      spelt = '';
      start = index;
    }
    spelt += match[1] ?? '';
    end = index + match[0].length;
  }
  settle();
  return best;
}
