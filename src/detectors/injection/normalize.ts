/**
 * Canonical form for matching: what an attacker can vary without changing what a model reads.
 * NFKC folds full-width and styled letters; invisible characters are removed; leetspeak digits
 * and symbols map back to letters; s p a c e d - o u t words are joined; the words attacks are
 * made of, typed with their inner letters shuffled ("ignroe all prevoius insturctions", the
 * "typoglycemia" attack), are spelled right again.
 */
// Every default-ignorable code point (Unicode's own list of characters that render as nothing:
// zero-width and bidi controls, tag characters, and since 2026-11-27 also the soft hyphen,
// U+034F, U+061C, the Hangul fillers, variation selectors…): "ig\u00adnore" must read "ignore".
const invisible = /\p{Default_Ignorable_Code_Point}/gu;
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

/**
 * Words an override or extraction attack is made of. A word of six letters or more with the same
 * first and last letter and the same inner letters in another order reads as that word to a
 * model (and to a person), so it is written back as it: "insturctions" → "instructions".
 * Six letters up, because short words collide with other words ("from"/"form").
 */
const attackVocabulary = [
  'ignore',
  'ignoring',
  'previous',
  'instruction',
  'instructions',
  'disregard',
  'system',
  'prompt',
  'reveal',
  'forget',
  'override',
  'bypass',
  'restrictions',
  'guidelines',
  'jailbreak',
  'developer',
  'unfiltered',
  'uncensored',
  'secret',
  'password',
  'confidential',
  'initial',
  'preceding',
  'directives',
];
const scrambleKey = (word: string): string =>
  `${word[0] ?? ''}${word[word.length - 1] ?? ''}${Array.from(word.slice(1, -1)).sort().join('')}`;
const unscrambled = new Map(attackVocabulary.map((word) => [scrambleKey(word), word]));
// Only words with a vocabulary word's first letter, last letter and length are looked up: the
// regex engine skips every other word without a call.
const scrambleCandidate = new RegExp(
  `\\b(?:${[
    ...new Set(
      attackVocabulary.flatMap((word) => {
        const [first, last] = [word[0] ?? '', word[word.length - 1] ?? ''];
        const inner = word.length - 2;
        return word.length >= 8
          ? [`${first}[a-z]{${inner - 1},${inner + 1}}${last}`]
          : [`${first}[a-z]{${inner}}${last}`];
      }),
    ),
  ].join('|')})\\b`,
  'g',
);

const vocabulary = new Set(attackVocabulary);

/**
 * One-letter typos of the attack words of eight letters or more ("iunstructions", "instrutions",
 * "disreguard"): a letter added or dropped inside the word or, from ten letters, one replaced.
 * Never the first or last letter: English inflects at the end ("overrides"), and another first
 * letter makes another word. A typo two words share is left alone.
 */
const typoTargets = attackVocabulary.filter((word) => word.length >= 8);
const alphabet = 'abcdefghijklmnopqrstuvwxyz';

function oneLetterTypos(word: string): string[] {
  const typos: string[] = [];
  for (let at = 1; at < word.length; at += 1) {
    for (const letter of alphabet) typos.push(word.slice(0, at) + letter + word.slice(at));
  }
  for (let at = 1; at < word.length - 1; at += 1) {
    typos.push(word.slice(0, at) + word.slice(at + 1));
    if (word.length >= 10) {
      for (const letter of alphabet) typos.push(word.slice(0, at) + letter + word.slice(at + 1));
    }
  }
  return typos;
}

const misspelt = new Map<string, string>();
const ambiguousTypos = new Set<string>();
for (const word of typoTargets) {
  for (const typo of oneLetterTypos(word)) {
    if (vocabulary.has(typo) || typo === word) continue;
    const taken = misspelt.get(typo);
    if (taken !== undefined && taken !== word) ambiguousTypos.add(typo);
    else misspelt.set(typo, word);
  }
}
for (const typo of ambiguousTypos) misspelt.delete(typo);
// A text repeats its words; a small memo keeps a page of "ignroe ignroe …" from sorting each one.
const unscrambleMemo = new Map<string, string>();

function unscramble(word: string): string {
  if (vocabulary.has(word)) return word;
  const known = unscrambleMemo.get(word);
  if (known !== undefined) return known;
  const spelled = unscrambled.get(scrambleKey(word)) ?? misspelt.get(word) ?? word;
  if (unscrambleMemo.size >= 1024) unscrambleMemo.clear();
  unscrambleMemo.set(word, spelled);
  return spelled;
}

// Several detectors normalise the same text in a row; the last result is reused.
const last = { text: '', normalized: '' };

export function normalizeForMatching(text: string): string {
  if (text === last.text) return last.normalized;
  const normalized = computeNormalized(text);
  last.text = text;
  last.normalized = normalized;
  return normalized;
}

/**
 * Cyrillic and Greek letters that look Latin, as Latin: what normalisation does to all text, so
 * patterns for Russian words are written through it too ("игнорируй" → "игнoрирyй").
 */
export function foldConfusables(text: string): string {
  return text.replace(/[а-яёіјѕԁɡα-ω]/g, (char) => confusables[char] ?? char);
}

function computeNormalized(text: string): string {
  let out = foldConfusables(text.normalize('NFKC').replace(invisible, '').toLowerCase());
  // Leetspeak only inside words that also contain letters, so "2 + 2 = 4" stays arithmetic.
  out = out.replace(/\b(?=[a-z0-9@$!]*[a-z])(?=[a-z0-9@$!]*[0-9@$!])[a-z0-9@$!]{3,}\b/g, (word) =>
    word.replace(/[0134579@$!]/g, (char) => leet[char] ?? char),
  );
  // "i g n o r e" / "i-g-n-o-r-e" → "ignore": runs of 4+ single letters split by one separator.
  out = out.replace(/\b(?:[a-z][ .\-_*]){3,}[a-z]\b/g, (run) => run.replace(/[ .\-_*]/g, ''));
  out = out.replace(scrambleCandidate, unscramble);
  return out.replace(/\s+/g, ' ').trim();
}
