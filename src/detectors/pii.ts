import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { isSupportedCountry, isValidPhoneNumber } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import { ibanShapeValid, ibanValid, inseeValid, luhnValid, ssnValid } from './checksums.ts';
import { bundledModelPath } from './linear-model.ts';
import { SpanSet, scanVisible } from './spans.ts';
import { defineDetector } from './types.ts';
import type { Finding } from './types.ts';

export const piiKinds = [
  'email',
  'phone',
  'credit_card',
  'iban',
  'us_ssn',
  'uk_nino',
  'fr_insee',
  'ip_address',
  'date_of_birth',
  'street_address',
  'person_name',
] as const;
export type PiiKind = (typeof piiKinds)[number];
/** Looked for unless a policy says otherwise: every kind but person names, which are opt-in. */
export const defaultPiiKinds: readonly PiiKind[] = piiKinds.filter(
  (kind) => kind !== 'person_name',
);

interface Candidate {
  kind: PiiKind;
  start: number;
  end: number;
  score: number;
}

// Every pattern below is written by us, anchored on fixed tokens and with bounded repetition,
// so matching stays linear in practice even on adversarial input.
const EMAIL =
  /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,6}\.[A-Za-z]{2,24}\b/g;
// Not inside a decimal, a path or a sum: "0.13253968253968254", "/web/20150324153922", "=$<<…".
const CARD = /(?<![\w.,/=<])\d(?:[ -]?\d){11,18}(?![\w]|[.,]\d|\s*=)/g;
// IBANs are written compact or in groups of four ("GB29 NWBK 6016 …").
const IBAN = /\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b/gi;
const SSN = /\b\d{3}-\d{2}-\d{4}\b/g;
const NINO = /\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/gi;
const INSEE = /\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3} ?\d{2}\b/g;
const IPV4 =
  /(?<![\d.])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\d]|\.\d)/g;
function isHexOrColon(code: number): boolean {
  return (code >= 48 && code <= 58) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/**
 * A whole run of hex digits and colons that holds a colon. An IPv6 address is such a run in
 * full, so candidates are found from the colons and the exact shape is checked per run; the
 * shape regex run over the whole text (with its nested counted repetition at every position)
 * was the costliest PII pattern on ordinary text with clock times.
 */
function* hexColonRuns(text: string): Generator<{ index: number; 0: string }> {
  let from = 0;
  for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', from)) {
    let start = colon;
    while (start > 0 && isHexOrColon(text.charCodeAt(start - 1))) start -= 1;
    let end = colon + 1;
    while (end < text.length && isHexOrColon(text.charCodeAt(end))) end += 1;
    yield { index: start, 0: text.slice(start, end) };
    from = end;
  }
}
const IPV6_SHAPE = /^(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}$/;
// Phones: optional +country code, optional (area), then 2–5 groups of digits with separators.
// After a country code the first group may be one digit, as French and Spanish mobiles are
// written ("+33 6 12 34 56 78"); without one, a lone leading digit is too often a count.
// "00" is the international dialling prefix most of the world uses instead of "+"
// ("00971 4 899 1433"); North American numbers are often written with their trunk "1-" in front
// ("1-758-889-2631", "1 (800) 555-0199"), and Russian ones with their trunk "8"
// ("8 (495) 123-45-67", "8 145 061 2310").
const PHONE =
  /(?<![\w+/])(?:(?:\+|00)\d{1,3}[ .-]?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}|1[ .-](?:\(\d{3}\)|\d{3})(?=[ .-]?\d{3}[ .-]\d{4}(?!\d))|8[ .-]?(?:\(\d{3}\)|\d{3})(?=[ .-]\d{3}[ .-](?:\d{4}|\d{2}[ .-]\d{2})(?!\d))|(?:\(\d{1,5}\)[ .-]?)?\d{2,5})(?:[ .-]\d{2,8}){1,4}(?: ?(?:x|ext\.?) ?\d{1,5})?(?!\w|[.,:-]\d)/gi;
// "+4915112345678", and the country code apart from the national number: "+91 9111146569".
const PHONE_COMPACT = /(?<![\w+/])\+\d{1,3} ?\d{5,14}(?!\w|[.,-]\d)/g;
// A bracketed area code or country code and the rest in one run: "(030) 12345678" (German and
// Dutch landlines as they are usually written), "+359 (0)75400917" (trunk zero kept in
// brackets), "(+57)6066113930", "+(370) 61003307", "(351) 910024589".
const PHONE_AREA =
  /(?<![\w+/])(?:(?:\+\d{1,3}[ .-]?\(0\)|(?:\+\d{1,3}[ .-]?)?\(\d{2,5}\)|\+?\(\+\d{1,4}\)|\+\(\d{1,4}\))[ .-]?\d{6,11}|\(0\d{2,4}\)[ .-]?\d{4,5})(?!\w|[.-]\d)/g;
// Trunk zero and area code, a slash, the subscriber number: "02271/85133742" (Austria, Germany).
const PHONE_SLASH = /(?<![\w+/.-])0\d{1,4}\/\d{5,10}(?![\w/]|[.-]\d)/g;
// The area code before a slash and the subscriber number in two groups, as Hungarian numbers are
// written, with or without the trunk "06": "1/234-5678", "06-20/171 8513", "(06)93/825-7735",
// "(21)/178-5025". One slash only, so a date ("12/25/2023") is never one.
const PHONE_SLASH_GROUPED =
  /(?<![\w+/.-])(?:\(06\)|06-)?(?:\(\d{1,2}\)|\d{1,2})\/\d{3}[ -]\d{4}(?![\w/]|[.-]\d)/g;
// A national number written without separators ("Fax: 9498777106"): only with a label, except
// for the shape of a national number behind a trunk zero (below).
// A comma right before it counts only after a digit ("1,2345678" is a number): "Office,3660170548".
const PHONE_PLAIN = /(?<![\w+./-])(?<!\d,)\d{7,15}(?![\w.,]\d|\w)/g;
// Trunk zero, a non-zero area or mobile prefix, 10–11 digits in all ("0727589290",
// "07781880491"): how most of Europe, Africa and Asia write a national number. Few other
// identifiers look like that unless a label says what they are.
const TRUNK_NATIONAL = /^0[1-9]\d{8,9}$/;
// A run of 10–11 digits with nothing else around it ("I tried 7405429382 twice") is a phone
// number only if it is a valid number of one of the configured regions by libphonenumber's
// metadata (area codes, mobile prefixes, lengths), and not part of a sum, a path or a time.
// Not 10 digits starting with 1: Unix timestamps in seconds are written so until 2033, and no
// North American area code or Indian mobile number starts with 1. Chinese mobiles do, with 11
// digits ("13945061231"): no timestamp has 11 digits (those in milliseconds have 13).
const BARE_NATIONAL = /^(?:[2-9]\d{9,10}|1[3-9]\d{9})$/;
const BARE_BEFORE = /[=<>*$#@:]\s*$/;
const BARE_AFTER = /^(?:\s*[=%*/]|[:/]\d)/;
const OTHER_NUMBER_LABEL =
  /\b(?:order|invoice|account|acct|ref|reference|id|ticket|case|tracking|customer|serial|sku|isbn|iban|part|item|policy|batch|lot|no|nr|n°)\b\W{0,4}$/i;
// Digit groups followed by a street name end in a house number: "28919 136 Filadelfeos St".
const STREET_AFTER =
  /^ (?:[A-Za-z][\w'.-]* ){0,3}(?:street|str?|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|square|sq|way|terrace|parkway|pkwy|highway|hwy|suite|apt|rue|calle|via|\p{L}*(?:strasse|straße|gasse|weg|vej|gade|laan))\b/iu;
// A number the text says is something else: "driver's license number is 2270-66-1551", "ZIP:
// 75534-030", "Suite 541 6343 Skogstien". Checked in the few words before it, unless a phone
// label is nearer.
const OTHER_IDENTIFIER =
  /\b(?:licen[cs]e|zip|postal|post ?code|passport|account|invoice|order|tracking|serial|ssn|social security|isbn|suite|apt|apartment|unit|flat|room|floor|building|po box)\b[^\n]{0,20}$/i;
// What introduces a phone number right before it: a label ("Fax:", "phone no.", "Tel. Nr.:",
// "Telefonnummer", "número de teléfono es"), a verb of calling ("call me on", "reach us at",
// "dial"), or "my number is".
const PHONE_LABEL = new RegExp(
  String.raw`(?:\b(?:phone|telephone|tel|mobile|cell|cellphone|fax|whatsapp|desk|office|direct|landline|hotline|helpline|t[ée]l[ée]phone|t[ée]l|portable|telefon|telefonnummer|handynummer|handy|mobilnummer|tel[ée]fono|m[óo]vil|celular)\b\.?(?:\s*(?:(?:number|no|nr|num)\b\.?|n°|#))?|\b(?:call|ring|dial|text|reach|contact)(?:\s+(?:me|us|him|her|them))?(?:\s+(?:at|on))?|\b(?:my|our|your|his|her|their|contact)\s+(?:number|no\.)|\bn(?:[úu]mero|uméro)\s+(?:de\s+)?(?:t[ée]l[ée]phone|tel[ée]fono|m[óo]vil|portable|celular))\s*(?:is|es|est|ist|:|=|-|–)?\s*(?:[:=-]\s*)?$`,
  'i',
);
const PHONE_AFTER = /^\W{0,3}(?:office|fax|mobile|home|work|cell|tel)\b/i;
const PHONE_CONTEXT =
  /\b(?:phone|tel|telephone|mobile|cell|call|fax|whatsapp|t[ée]l[ée]phone|portable|telefon|handy|tel[ée]fono|m[óo]vil)\b/i;
// A local number as a person writes it, exchange and line apart ("668 5702"): 3 + 4 digits
// separated by a space, the exchange not starting with 0 or 1. Not with a dash, as number ranges
// are written ("200-1000").
const LOCAL_NUMBER = /^[2-9]\d{2} \d{4}$/;
const ISO_DATE = /(?:19|20)\d{2}-\d{2}-\d{2}/;
const DATE =
  /\b(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2}|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.? (?:19|20)\d{2}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.? \d{1,2},? (?:19|20)\d{2})\b/gi;
const BIRTH_CONTEXT =
  /\b(?:born|birth|d\.?o\.?b|birthday|née?|naissance|geboren|geburtsdatum|nacid[oa]|nacimiento)\b/i;
// Found in any text where BIRTH_CONTEXT matches a slice, so a text without it has no date of
// birth to look for and skips the date pattern (one of the costliest on digit-bearing text).
const BIRTH_WORD = /born|birth|d\.?o\.?b|né|naissance|geboren|geburtsdatum|nacid[oa]|nacimiento/i;
const STREET =
  /\b\d{1,5}[A-Za-z]? (?:[A-Z][A-Za-z'-]{1,20} ){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Square|Sq|Way|Terrace|Parkway|Pkwy|Highway|Hwy|Strasse|Straße|Rue|Calle|Via)\b\.?/g;

// Person names (opt-in): a title and a capitalised name, or two or three capitalised words whose
// first is a known given name and last a known family name ("Maria Lopez", "John F. Kennedy").
const NAME_WORD = String.raw`\p{Lu}[\p{Ll}'’-]{1,30}`;
const TITLED_NAME = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Mme|Mlle|Herr|Frau|Sr|Sra|Srta)\.? ${NAME_WORD}(?: ${NAME_WORD})?(?![\p{L}\p{N}])`,
  'gu',
);
const LONE_NAME_BEFORE =
  /(?:^|\s)(?:\p{Ll}[\p{L}'’-]*|Hi|Hello|Hey|Dear|Thanks|Thank you|Cheers|Regards|Bonjour|Salut|Cher|Chère|Hallo|Liebe|Lieber|Hola|Querido|Querida|Ciao),? $/u;
const CAPITALISED_WORD = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:${NAME_WORD}|\p{Lu}\.?)(?![\p{L}\p{N}])`,
  'gu',
);

/**
 * Person names by dictionary: two or three capitalised words whose first is a known given name
 * and last a known family name, a middle word may be an initial ("John F. Kennedy"); a given
 * name that is not also an ordinary word followed by any capitalised word ("Nicole Mahler");
 * and, inside a sentence, a lone given or family name that is not an ordinary word ("… said
 * Jensen"). A capitalised word that opens a sentence is not taken alone.
 */
function* dictionaryNames(
  text: string,
  names: PersonNames,
): Generator<{ index: number; 0: string; score: number }> {
  const words: {
    start: number;
    end: number;
    lower: string;
    initial: boolean;
    possessive: boolean;
  }[] = [];
  for (const match of matches(CAPITALISED_WORD, text)) {
    // A possessive is not part of the name: "Mary Poppins's", "Mary Poppins'".
    const word = match[0].replace(/['’]s?$/u, '');
    words.push({
      start: match.index,
      end: match.index + word.length,
      lower: word.toLowerCase(),
      initial: /^\p{Lu}\.?$/u.test(word),
      possessive: word.length < match[0].length,
    });
  }
  const distinct = (word: string): boolean => !names.ambiguous.has(word);
  const adjacent = (left: { end: number } | undefined, right: { start: number } | undefined) =>
    left !== undefined &&
    right !== undefined &&
    right.start === left.end + 1 &&
    text[left.end] === ' ';
  for (let index = 0; index < words.length; index += 1) {
    const given = words[index];
    if (given === undefined || given.initial) continue;
    let matched = false;
    if (names.first.has(given.lower)) {
      for (const length of [3, 2]) {
        const run = words.slice(index, index + length);
        if (
          run.length !== length ||
          !run.every(
            (word, at) => at === 0 || (adjacent(run[at - 1], word) && !run[at - 1]?.possessive),
          )
        )
          continue;
        const family = run[length - 1];
        if (family === undefined || family.initial) continue;
        const known =
          names.last.has(family.lower) && (distinct(given.lower) || distinct(family.lower));
        // An unknown family name only right after the given name: three capitalised words
        // with an unknown last one are as often a place or a firm ("Sydney Opera House").
        const open =
          length === 2 &&
          distinct(given.lower) &&
          distinct(family.lower) &&
          !names.ordinary.has(family.lower);
        if (known || open) {
          yield {
            index: given.start,
            0: text.slice(given.start, family.end),
            score: known ? 0.7 : 0.6,
          };
          index += length - 1;
          matched = true;
          break;
        }
      }
    }
    if (matched) continue;
    // A lone name inside a sentence or after a greeting: the word before it is lower-case or
    // "Hi", "Dear"… ("San Francisco" is not a lone Francisco).
    const lone =
      (names.first.has(given.lower) || names.last.has(given.lower)) && distinct(given.lower);
    if (lone && LONE_NAME_BEFORE.test(text.slice(Math.max(0, given.start - 40), given.start)))
      yield { index: given.start, 0: text.slice(given.start, given.end), score: 0.5 };
  }
}

const ninoInvalidPrefixes = new Set(['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ']);

const EMAIL_LOCAL_CHAR = /[A-Za-z0-9._%+-]/;
const EMAIL_AT = new RegExp(EMAIL.source, 'y');

/**
 * The EMAIL pattern, tried only where it can start: at most 64 local-part characters before an
 * '@'. Same matches as scanning every position (the leftmost start that can reach the '@'),
 * without retrying up to 64 characters at each position of ordinary text.
 */
function* emailMatches(text: string): Generator<RegExpExecArray> {
  let from = 0;
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    if (at < from) continue;
    let start = at;
    while (start > from && at - start < 64 && EMAIL_LOCAL_CHAR.test(text.charAt(start - 1))) {
      start -= 1;
    }
    if (start === at) continue;
    EMAIL_AT.lastIndex = start;
    const match = EMAIL_AT.exec(text);
    if (match !== null) {
      yield match;
      from = match.index + match[0].length;
    }
  }
}

function* matches(pattern: RegExp, text: string): Generator<RegExpExecArray> {
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    yield match;
    if (match[0].length === 0) pattern.lastIndex += 1;
  }
}

/**
 * Cards are printed in fours (the last group shorter) or 4-6-4/4-6-5 (Amex, Diners), or as one
 * run. Other groupings are phone numbers that happen to pass Luhn: "01458 6726706".
 */
function cardGrouping(value: string): boolean {
  const groups = value.split(/[ -]/).map((group) => group.length);
  if (groups.length === 1) return true;
  const last = groups.length - 1;
  if (groups.every((length, index) => (index < last ? length === 4 : length >= 1 && length <= 4)))
    return true;
  return (
    groups.length === 3 &&
    groups[0] === 4 &&
    groups[1] === 6 &&
    (groups[2] === 4 || groups[2] === 5)
  );
}

/**
 * Decimal digits of other scripts ("+৮৮০-১৭০১-৭৪৬৮১৪", "٠٥٠ ١٢٣ ٤٥٦٧") read as ASCII digits, one
 * UTF-16 unit for one, so every span found in the folded text is the same span in the original.
 * Unicode keeps each script's digits in one run of ten from zero, so a digit's value is its
 * distance from the start of its run. Digits outside the Basic Multilingual Plane (two units
 * each) are left as they are.
 */
const OTHER_SCRIPT_DIGIT = /(?![0-9])\p{Nd}/u;
/**
 * For every BMP code unit: 0 when it is no decimal digit, else its value + 1. Built on the first
 * text that has a digit of another script (~6 ms), so processes that never see one never pay.
 */
let digitValues: Uint8Array | undefined;
function otherScriptDigitValues(): Uint8Array {
  if (digitValues !== undefined) return digitValues;
  const table = new Uint8Array(0x10000);
  let runStart = 0;
  for (let code = 1; code < 0x10000; code += 1) {
    if (!/\p{Nd}/u.test(String.fromCharCode(code))) continue;
    if (table[code - 1] === 0) runStart = code;
    table[code] = ((code - runStart) % 10) + 1;
  }
  digitValues = table;
  return table;
}
/**
 * Separators as typography writes them: French groups a number's digits with a (narrow)
 * no-break space, word processors write U+2010, U+2011 (no-break) or U+2012 (figure dash)
 * between a number's groups. Read as ' ' and '-', one unit for one like the digits, so "+33 6 12
 * 34 56 78" typed on a French keyboard is the phone number it looks like, and a card number leaked
 * with no-break spaces is still a card number. Not the en dash: between numbers it is a range
 * ("1882–1886"), which a hyphen would make look like a phone number.
 */
const UNICODE_SEPARATOR = /[\u00a0\u2007\u2009\u202f\u2010-\u2012]/;
const SEPARATOR_AS_ASCII: Readonly<Record<number, number>> = {
  0xa0: 0x20,
  0x2007: 0x20,
  0x2009: 0x20,
  0x202f: 0x20,
  0x2010: 0x2d,
  0x2011: 0x2d,
  0x2012: 0x2d,
};

function foldDigits(text: string): string {
  if (!/[\u0080-\uffff]/.test(text)) return text;
  const digits = OTHER_SCRIPT_DIGIT.test(text);
  if (!digits && !UNICODE_SEPARATOR.test(text)) return text;
  const values = digits ? otherScriptDigitValues() : undefined;
  const units: number[] = [];
  let folded = '';
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    const value = code > 0x7f && values !== undefined ? (values[code] ?? 0) : 0;
    units.push(
      value !== 0 ? 0x2f + value : code > 0x7f ? (SEPARATOR_AS_ASCII[code] ?? code) : code,
    );
    if (units.length === 8192) folded += String.fromCharCode(...units.splice(0));
  }
  return folded + String.fromCharCode(...units);
}

function digitsOf(value: string): string {
  return value.replace(/\D/g, '');
}

function collect(
  text: string,
  enabled: ReadonlySet<PiiKind>,
  names: PersonNames | undefined,
  phoneRegions: readonly CountryCode[],
): Candidate[] {
  const found: Candidate[] = [];
  const add = (kind: PiiKind, match: { index: number; 0: string }, score: number): void => {
    if (enabled.has(kind))
      found.push({ kind, start: match.index, end: match.index + match[0].length, score });
  };
  // Cheap necessary conditions first: most text has no '@' and no hex-colon run.
  for (const match of emailMatches(text)) add('email', match, 0.99);
  for (const match of hexColonRuns(text)) {
    if (!IPV6_SHAPE.test(match[0])) continue;
    if (match[0].split(':').length >= 3 && isIPv6(match[0]) && /[0-9A-Fa-f]/.test(match[0])) {
      add('ip_address', match, 0.9);
    }
  }
  if (names !== undefined) {
    for (const match of matches(TITLED_NAME, text)) add('person_name', match, 0.8);
    for (const name of dictionaryNames(text, names)) add('person_name', name, name.score);
  }
  // Every other kind needs digits; prose without any is common in records (notes, histories).
  if (!/\d/.test(text)) return found;
  for (const match of matches(CARD, text)) {
    // "+44 7700…" is a phone number even when its digits happen to pass Luhn.
    if (text[match.index - 1] === '+') continue;
    const digits = digitsOf(match[0]);
    // No card number starts with 00, the international call prefix: "001-579-526-2243".
    if (digits.startsWith('00')) continue;
    if (!cardGrouping(match[0])) continue;
    if (digits.length >= 12 && digits.length <= 19 && luhnValid(digits))
      add('credit_card', match, 0.95);
  }
  for (const match of matches(IBAN, text)) {
    // A well-formed IBAN with a wrong check digit is still an account number, likely mistyped.
    if (ibanValid(match[0])) add('iban', match, 0.99);
    else if (ibanShapeValid(match[0])) add('iban', match, 0.6);
  }
  for (const match of matches(SSN, text)) if (ssnValid(match[0])) add('us_ssn', match, 0.9);
  for (const match of matches(NINO, text)) {
    if (!ninoInvalidPrefixes.has(match[0].slice(0, 2).toUpperCase())) add('uk_nino', match, 0.85);
  }
  for (const match of matches(INSEE, text)) if (inseeValid(match[0])) add('fr_insee', match, 0.95);
  for (const match of matches(IPV4, text)) if (isIPv4(match[0])) add('ip_address', match, 0.9);
  for (const match of BIRTH_WORD.test(text) ? matches(DATE, text) : []) {
    const before = text.slice(Math.max(0, match.index - 40), match.index);
    if (BIRTH_CONTEXT.test(before)) add('date_of_birth', match, 0.8);
  }
  const streets: { start: number; end: number }[] = [];
  for (const match of matches(STREET, text)) {
    streets.push({ start: match.index, end: match.index + match[0].length });
    add('street_address', match, 0.6);
  }
  for (const match of matches(PHONE_COMPACT, text)) add('phone', match, 0.85);
  if (text.includes('(')) for (const match of matches(PHONE_AREA, text)) add('phone', match, 0.85);
  if (text.includes('/')) {
    for (const match of matches(PHONE_SLASH, text)) add('phone', match, 0.7);
    for (const match of matches(PHONE_SLASH_GROUPED, text)) add('phone', match, 0.7);
  }
  for (const match of matches(PHONE_PLAIN, text)) {
    const end = match.index + match[0].length;
    if (
      PHONE_LABEL.test(text.slice(Math.max(0, match.index - 40), match.index)) ||
      PHONE_AFTER.test(text.slice(end, end + 15))
    ) {
      add('phone', match, 0.8);
    } else if (OTHER_NUMBER_LABEL.test(text.slice(Math.max(0, match.index - 25), match.index))) {
      continue;
    } else if (TRUNK_NATIONAL.test(match[0])) {
      add('phone', match, 0.6);
    } else if (
      BARE_NATIONAL.test(match[0]) &&
      !BARE_BEFORE.test(text.slice(Math.max(0, match.index - 3), match.index)) &&
      !BARE_AFTER.test(text.slice(end, end + 3)) &&
      phoneRegions.some((region) => isValidPhoneNumber(match[0], region))
    ) {
      add('phone', match, 0.6);
    }
  }
  for (const match of matches(PHONE, text)) {
    const end = match.index + match[0].length;
    // "3536 1659 Hoog St": the last digits start a street address, not a phone number.
    if (streets.some((street) => street.start > match.index && street.start < end)) continue;
    const number = match[0].replace(/ ?(?:x|ext\.?) ?\d{1,5}$/i, '');
    const digits = digitsOf(number);
    const marked = number.startsWith('+') || number.includes('(');
    const inContext =
      PHONE_CONTEXT.test(text.slice(Math.max(0, match.index - 40), match.index)) ||
      PHONE_LABEL.test(text.slice(Math.max(0, match.index - 40), match.index)) ||
      PHONE_AFTER.test(text.slice(end, end + 15));
    // Unmarked digit groups are only phones when long enough to be a full national number
    // (8+ digits) or introduced as one; short groups are usually house numbers or codes.
    const minimum = marked || inContext || LOCAL_NUMBER.test(number) ? 7 : 8;
    const plausible = digits.length >= minimum && digits.length <= 15;
    // Arithmetic ("27,000-16,000=11,000", "<<8000-2000=6000>>") and year ranges ("2014-2021").
    const arithmetic =
      /^\s*=/.test(text.slice(end, end + 3)) ||
      /[=<]\s*$/.test(text.slice(Math.max(0, match.index - 2), match.index));
    const yearRange = /^(?:19|20)\d{2} ?[-–] ?(?:19|20)\d{2}$/.test(number);
    // Two groups joined by a dot are a decimal ("150.626292 ms"); dotted phones have three or more.
    const decimal = /^\d+\.\d+$/.test(number);
    const notOther =
      !/^\d{1,3}(?:\.\d{1,3}){3}$/.test(number) &&
      !ISO_DATE.test(number) &&
      !arithmetic &&
      !yearRange &&
      !decimal;
    const labelledOther =
      !inContext &&
      (OTHER_IDENTIFIER.test(text.slice(Math.max(0, match.index - 30), match.index)) ||
        (!marked && STREET_AFTER.test(text.slice(end, end + 40))));
    if (plausible && notOther && !labelledOther)
      add('phone', match, marked || inContext ? 0.85 : 0.7);
  }
  return found;
}

/** The name lists behind `person_name` (eval/build-person-names.ts), as sets. */
export interface PersonNames {
  first: ReadonlySet<string>;
  last: ReadonlySet<string>;
  /** Names that are also ordinary words ("will", "grant"). */
  ambiguous: ReadonlySet<string>;
  /** Ordinary lower-case words ("from", "house"): not an unknown family name. */
  ordinary: ReadonlySet<string>;
}

function stringSet(value: unknown): Set<string> {
  return new Set(
    (Array.isArray(value) ? value : []).filter((item): item is string => typeof item === 'string'),
  );
}

export function loadPersonNames(path = bundledModelPath('person-names')): PersonNames {
  const file = JSON.parse(readFileSync(path, 'utf8')) as {
    first?: unknown;
    last?: unknown;
    ambiguous?: unknown;
    ordinary?: unknown;
  };
  if (!Array.isArray(file.first) || !Array.isArray(file.last)) {
    throw new Error(`${path} is not a person-names file (no "first" and "last" lists)`);
  }
  return {
    first: new Set(file.first.filter((name): name is string => typeof name === 'string')),
    last: new Set(file.last.filter((name): name is string => typeof name === 'string')),
    ambiguous: stringSet(file.ambiguous),
    ordinary: stringSet(file.ordinary),
  };
}

/** More specific (checksummed) kinds win when spans overlap, e.g. a card over a phone. */
const precedence: Readonly<Record<PiiKind, number>> = {
  iban: 9,
  credit_card: 8,
  fr_insee: 8,
  email: 7,
  us_ssn: 7,
  uk_nino: 6,
  ip_address: 6,
  date_of_birth: 5,
  phone: 4,
  street_address: 3,
  person_name: 2,
};

function resolveOverlaps(candidates: Candidate[], length: number): Candidate[] {
  const ordered = [...candidates].sort(
    (a, b) =>
      precedence[b.kind] - precedence[a.kind] ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
  const kept: Candidate[] = [];
  const claimed = new SpanSet(length);
  for (const candidate of ordered) {
    if (claimed.take(candidate.start, candidate.end)) kept.push(candidate);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Regions where a national number is commonly written bare, without a trunk "0": North America,
 * India (mobiles), Italy, Brazil. Where a trunk "0" is written (the UK, Germany, France…), bare
 * national numbers are found by their leading 0 instead, whatever this list holds.
 */
export const defaultPhoneRegions = ['US', 'IN', 'IT', 'BR', 'CN'] as const;

export const piiConfigSchema = z
  .strictObject({
    kinds: z
      .array(z.enum(piiKinds))
      .default([...defaultPiiKinds])
      .describe(
        'Which kinds of PII to look for. All but `person_name` by default: names are found by dictionary (first and last name lists), opt in where that recall is worth its false positives.',
      ),
    personNamesPath: z
      .string()
      .optional()
      .describe('Name lists for `person_name`; defaults to the committed lists.'),
    phoneRegions: z
      .array(
        z.string().refine((code): code is CountryCode => isSupportedCountry(code), {
          message: 'not a region libphonenumber knows (ISO 3166-1 alpha-2, upper case)',
        }),
      )
      .default([...defaultPhoneRegions])
      .describe(
        'Regions whose national numbering plans decide whether a bare run of 10–11 digits, with no label, "+" or grouping, is a phone number. Numbers written with a country code, in groups or after a label are found in every region regardless.',
      ),
  })
  // The name lists are read once, when a policy binds the detector with `person_name` on.
  .transform(({ kinds, personNamesPath, phoneRegions }) => ({
    kinds,
    names: kinds.includes('person_name') ? loadPersonNames(personNamesPath) : undefined,
    phoneRegions,
  }));

export const piiDetector = defineDetector({
  meta: {
    name: 'pii',
    description:
      'Structured personal data: email, phone, payment card (Luhn), IBAN (mod 97), US SSN, UK NINO, French INSEE, IP addresses, dates of birth in context, street addresses; person names by dictionary (opt-in).',
    stages: ['ingest', 'input', 'retrieval', 'output'],
    cost: 'cheap',
    kinds: piiKinds,
  },
  configSchema: piiConfigSchema,
  detect(text, config): Finding[] {
    return scanVisible(text, (visible) =>
      resolveOverlaps(
        collect(foldDigits(visible), new Set(config.kinds), config.names, config.phoneRegions),
        visible.length,
      ).map((candidate) => ({
        detector: 'pii',
        kind: candidate.kind,
        span: { start: candidate.start, end: candidate.end },
        score: candidate.score,
        evidence: `${candidate.kind} (${candidate.end - candidate.start} chars)`,
      })),
    );
  },
});
