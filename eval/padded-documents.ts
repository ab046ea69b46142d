/**
 * Attacks hidden in the middle of long documents: the cheapest way around a detector that can
 * afford to read only part of a text is to pad the text until the attack sits in the part it
 * skips. Built from validation-side data only (eval/injection-data.ts): ~9,000 characters of
 * held-out README files and package docs (`documentsByFileValidation`), half of them carrying a
 * validation attack at a paragraph break between 30% and 70% of the text — short benign
 * requests planted as BIPIA's task-irrelevant injections, llm-warden jailbreaks, GPTFuzz, BIPIA
 * and our synthetic attacks under 600 characters. Each document once at `retrieval` as it is,
 * and once at `input` behind "Summarise this document:". Seeded; nothing here was trained on.
 */
import { seededRandom, shuffle } from './datasets.ts';
import { buildInjectionSets } from './injection-data.ts';
import type { Example } from './injection-data.ts';

const DOCUMENT_CHARS = 9000;
const PER_KIND = 75;

export function paddedDocuments(seed = 20261127): Example[] {
  return padDocuments(buildInjectionSets(), seed);
}

/** The padded set from the validation prompts and the held-out documentation passages given. */
export function padDocuments(
  sets: Pick<ReturnType<typeof buildInjectionSets>, 'validation' | 'documentsByFileValidation'>,
  seed: number,
): Example[] {
  const random = seededRandom(seed);
  const passages = shuffle(
    sets.documentsByFileValidation.map((example) => example.text),
    random,
  );
  const planted = shuffle(
    sets.validation.filter(
      (example) =>
        example.label === 0 &&
        ['gsm8k', 'wildguard', 'llm-warden-benign'].includes(example.source) &&
        example.text.length < 300,
    ),
    random,
  )
    .slice(0, PER_KIND)
    .map((example) => ({ text: example.text, source: 'planted-request' }));
  const attacks = shuffle(
    sets.validation.filter((example) => example.label === 1 && example.text.length < 600),
    random,
  )
    .slice(0, PER_KIND)
    .map((example) => ({ text: example.text, source: example.source }));
  const padder = documentPadder(passages, random);
  const documents: { text: string; label: 0 | 1; source: string }[] = [];
  for (const attack of [...planted, ...attacks]) {
    documents.push({ text: padder.hide(attack.text), label: 1, source: `padded-${attack.source}` });
  }
  for (let index = 0; index < planted.length + attacks.length; index += 1) {
    documents.push({ text: padder.document(), label: 0, source: 'padded-benign' });
  }
  return [
    ...documents.map((example) => ({ ...example, stage: 'retrieval' as const })),
    ...documents.map((example) => ({
      ...example,
      text: `Summarise this document:\n\n${example.text}`,
      source: `${example.source}-input`,
    })),
  ];
}

/**
 * Documents of ~DOCUMENT_CHARS characters from `passages` (in turn, wrapping around), and the
 * same with a text hidden at a paragraph break between 30% and 70% of the way through.
 */
export function documentPadder(
  passages: readonly string[],
  random: () => number,
): { document(): string; hide(text: string): string } {
  let cursor = 0;
  const document = (): string => {
    const parts: string[] = [];
    for (let length = 0; length < DOCUMENT_CHARS;) {
      const passage = passages[cursor % passages.length] ?? '';
      cursor += 1;
      parts.push(passage);
      length += passage.length + 2;
    }
    return parts.join('\n\n');
  };
  return {
    document,
    hide(text) {
      const padding = document();
      const breaks = [...padding.matchAll(/\n\n/g)]
        .map((match) => match.index)
        .filter((index) => index > padding.length * 0.3 && index < padding.length * 0.7);
      const at = breaks[Math.floor(random() * breaks.length)] ?? Math.floor(padding.length / 2);
      return `${padding.slice(0, at)}\n\n${text}${padding.slice(at)}`;
    },
  };
}
