import { data as trigramData } from 'franc-all/data.js';
import { expressions as scriptExpressions } from 'franc-all/expressions.js';
import { asDictionary } from 'trigram-utils';

/** franc-all's constants: the sample it reads, and what a trigram absent from a profile costs. */
const MAX_LENGTH = 2048;
const MAX_DIFFERENCE = 300;

interface ScriptIndex {
  languages: string[];
  /** Per trigram, the languages whose profile holds it and its rank there. */
  postings: Map<string, { language: number; rank: number }[]>;
}

/**
 * franc-all's `francAll` (7.2.0) with the same result, computed from an inverted index: a text's
 * distance to a language is the sum, over its trigrams, of |count − rank − 1| where the
 * language's profile has the trigram and 300 where it does not, so it equals
 * 300 · (trigrams) − Σ (300 − |count − rank − 1|) over the profiles holding each trigram. franc
 * compares every trigram with every profile of the script (~300 for Latin); this visits only the
 * profiles that hold it. Ties keep franc's order (its sort is stable over its data's order).
 * test/detectors/language.test.ts checks the two agree.
 */
export class TrigramIdentifier {
  private readonly scripts = new Map<string, ScriptIndex>();

  constructor() {
    for (const [script, profiles] of Object.entries(trigramData)) {
      const index: ScriptIndex = { languages: [], postings: new Map() };
      for (const [language, profile] of Object.entries(profiles)) {
        const at = index.languages.push(language) - 1;
        profile.split('|').forEach((trigram, rank) => {
          let posting = index.postings.get(trigram);
          if (posting === undefined) {
            posting = [];
            index.postings.set(trigram, posting);
          }
          // A profile listing a trigram twice counts it at its first rank, as franc does.
          if (posting.at(-1)?.language !== at) posting.push({ language: at, rank });
        });
      }
      this.scripts.set(script, index);
    }
  }

  /** Languages and their scores, best first, as `francAll(value, { minLength: 1 })` gives them. */
  rank(text: string): [string, number][] {
    if (text.length < 1) return [['und', 1]];
    const value = text.slice(0, MAX_LENGTH);
    let topScript: string | undefined;
    let topCount = -1;
    for (const [script, expression] of Object.entries(scriptExpressions)) {
      const count = (value.match(expression)?.length ?? 0) / value.length || 0;
      if (count > topCount) {
        topCount = count;
        topScript = script;
      }
    }
    const index = topScript === undefined ? undefined : this.scripts.get(topScript);
    if (index === undefined) {
      return topScript === undefined || topCount === 0 ? [['und', 1]] : [[topScript, 1]];
    }
    const counts = asDictionary(value);
    const savings = new Float64Array(index.languages.length);
    let trigrams = 0;
    for (const [trigram, count] of Object.entries(counts)) {
      trigrams += 1;
      for (const { language, rank } of index.postings.get(trigram) ?? []) {
        savings[language] = (savings[language] ?? 0) + MAX_DIFFERENCE - Math.abs(count - rank - 1);
      }
    }
    const distances = index.languages.map((language, at) => ({
      language,
      at,
      distance: trigrams * MAX_DIFFERENCE - (savings[at] ?? 0),
    }));
    distances.sort((a, b) => a.distance - b.distance || a.at - b.at);
    const min = distances[0]?.distance ?? 0;
    const max = value.length * MAX_DIFFERENCE - min;
    return distances.map(({ language, distance }) => [language, 1 - (distance - min) / max || 0]);
  }
}
