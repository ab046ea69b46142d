/**
 * Canonical form for matching: what an attacker can vary without changing what a model reads.
 * NFKC folds full-width and styled letters; invisible characters are removed; leetspeak digits
 * and symbols map back to letters; s p a c e d - o u t words are joined.
 */
const invisible =
  /[\u200b-\u200f\u2060-\u2064\ufeff\u180e\u202a-\u202e\u2066-\u2069\u{e0000}-\u{e007f}]/gu;
const leet: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
  '!': 'i',
};
// Cyrillic and Greek letters that render like Latin ones (the common confusables).
const confusables: Readonly<Record<string, string>> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ј: 'j',
  ѕ: 's',
  ԁ: 'd',
  ɡ: 'g',
  α: 'a',
  ε: 'e',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  ν: 'v',
  κ: 'k',
  ι: 'i',
};

// Several detectors normalise the same text in a row; the last result is reused.
const last = { text: '', normalized: '' };

export function normalizeForMatching(text: string): string {
  if (text === last.text) return last.normalized;
  const normalized = computeNormalized(text);
  last.text = text;
  last.normalized = normalized;
  return normalized;
}

function computeNormalized(text: string): string {
  let out = text.normalize('NFKC').replace(invisible, '').toLowerCase();
  out = out.replace(/[а-яёіјѕԁɡα-ω]/g, (char) => confusables[char] ?? char);
  // Leetspeak only inside words that also contain letters, so "2 + 2 = 4" stays arithmetic.
  out = out.replace(/\b(?=[a-z0-9@$!]*[a-z])(?=[a-z0-9@$!]*[0-9@$!])[a-z0-9@$!]{3,}\b/g, (word) =>
    word.replace(/[0134579@$!]/g, (char) => leet[char] ?? char),
  );
  // "i g n o r e" / "i-g-n-o-r-e" → "ignore": runs of 4+ single letters split by one separator.
  out = out.replace(/\b(?:[a-z][ .\-_*]){3,}[a-z]\b/g, (run) => run.replace(/[ .\-_*]/g, ''));
  return out.replace(/\s+/g, ' ').trim();
}
