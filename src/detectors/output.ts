import { z } from 'zod';
import { GuardstreamError } from '../errors/index.ts';
import { normalizeForMatching } from './injection/normalize.ts';
import { piiConfigSchema, piiDetector } from './pii.ts';
import { defaultModelsDir } from '../models/index.ts';
import { PairEncoder, committedGroundednessPatch } from './encoder/pair.ts';
import { defineDetector } from './types.ts';
import type { Finding } from './types.ts';

function words(text: string): string[] {
  return normalizeForMatching(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The canary or a long verbatim run of the system prompt showing up in an answer. */
export const promptLeakDetector = defineDetector({
  meta: {
    name: 'prompt_leak',
    description:
      'The per-request canary (also base64-encoded or spaced out) or 8+ consecutive words of the system prompt in a model answer.',
    stages: ['output'],
    cost: 'cheap',
    kinds: ['canary', 'system_prompt'],
  },
  configSchema: z.strictObject({
    shingleWords: z
      .number()
      .int()
      .min(4)
      .max(50)
      .default(8)
      .describe('Consecutive system-prompt words that count as a leak.'),
  }),
  detect(text, config, context): Finding[] {
    const findings: Finding[] = [];
    const canary = context.canary;
    if (canary !== undefined && canary.length >= 6) {
      // Letters and digits only: survives spacing, dashes, case, width and invisible characters.
      const squash = (value: string): string =>
        value
          .normalize('NFKC')
          .toLowerCase()
          .replace(/[^a-z0-9]/g, '');
      const squashed = squash(text);
      const canaryKey = squash(canary);
      const index = text.indexOf(canary);
      const encoded = [
        Buffer.from(canary).toString('base64').replace(/=+$/, ''),
        Buffer.from(canary).toString('hex'),
      ];
      if (
        index >= 0 ||
        squashed.includes(canaryKey) ||
        encoded.some((form) => text.includes(form))
      ) {
        findings.push({
          detector: 'prompt_leak',
          kind: 'canary',
          ...(index >= 0 ? { span: { start: index, end: index + canary.length } } : {}),
          score: 1,
          evidence: 'the request canary appears in the answer',
        });
      }
    }
    if (context.systemPrompt !== undefined) {
      const promptWords = words(context.systemPrompt);
      const shingles = new Set<string>();
      for (let index = 0; index + config.shingleWords <= promptWords.length; index += 1) {
        shingles.add(promptWords.slice(index, index + config.shingleWords).join(' '));
      }
      const answerWords = words(text);
      let matched = 0;
      for (let index = 0; index + config.shingleWords <= answerWords.length; index += 1) {
        if (shingles.has(answerWords.slice(index, index + config.shingleWords).join(' ')))
          matched += 1;
      }
      if (matched > 0) {
        findings.push({
          detector: 'prompt_leak',
          kind: 'system_prompt',
          score: Math.min(1, 0.7 + matched / 20),
          evidence: `${matched} run(s) of ${config.shingleWords} system-prompt words repeated`,
        });
      }
    }
    return findings;
  },
});

// Inner classes exclude the opening delimiters, so "[[[[…" or "[a](http://x/[a](http://x/…"
// cannot make every position rescan hundreds of characters.
const MARKDOWN_LINK =
  /(!?)\[[^[\]\n]{0,500}\]\(\s{0,5}<?(https?:\/\/[^\s()<>[\]"']{1,2048})>?(?:\s{1,5}"[^"\n]{0,200}")?\s{0,5}\)/gi;
const HTML_SRC =
  /<(?:img|iframe|script|link|source|video|audio)\b[^>]{0,500}?\b(?:src|href)\s{0,3}=\s{0,3}["']?(https?:\/\/[^\s"'>]{1,4000})/gi;
const REFERENCE_DEF = /^\s{0,3}\[([^\]\n]{1,100})\]:\s{0,5}(https?:\/\/\S{1,4000})/gim;
const IMAGE_REFERENCE = /!\[([^[\]\n]{1,100})\](?:\[([^[\]\n]{0,100})\])?/g;

function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const lower = host.toLowerCase();
  return allowed.some((domain) => lower === domain || lower.endsWith(`.${domain}`));
}

/**
 * Data smuggled out in a URL: long query values, path segments that look encoded, a
 * `name=value` pair written into the path, or percent-encoded text (three escapes or more:
 * "summary%3A%20Johann%20shared…").
 */
function carriesData(url: URL): boolean {
  for (const [, value] of url.searchParams) if (value.length >= 12) return true;
  return url.pathname
    .split('/')
    .some(
      (segment) =>
        /^[A-Za-z0-9+/=_%-]{24,}$/.test(segment) ||
        /^[^=]{1,64}=[^=]{12,}/.test(segment) ||
        (segment.match(/%[0-9A-Fa-f]{2}/g)?.length ?? 0) >= 3,
    );
}

/** A URL written out, not in Markdown or HTML: what a tool that fetches URLs is handed. */
const BARE_URL = /\bhttps?:\/\/[^\s"'<>`\\]{1,4000}/gi;
/** Structured personal data only: an address or a date in a URL is too often just a page. */
const urlPersonalData = piiConfigSchema.parse({
  kinds: ['email', 'phone', 'credit_card', 'iban', 'us_ssn', 'uk_nino', 'fr_insee'],
});

const BASE64_PART = /^[A-Za-z0-9+/_-]{8,}={0,2}$/;
const HEX_PART = /^(?:[0-9A-Fa-f]{2}){6,}$/;
const TEXT_DECODER = new TextDecoder('utf-8', { fatal: true });

/** Decoded bytes as text, or nothing when they are not mostly printable UTF-8. */
function printable(bytes: Buffer): string | undefined {
  let text: string;
  try {
    text = TEXT_DECODER.decode(bytes);
  } catch {
    return undefined;
  }
  // Control characters other than whitespace mean the bytes were never text.
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if ((code < 0x20 && !(code >= 0x09 && code <= 0x0d)) || code === 0x7f) return undefined;
  }
  return text.length > 0 ? text : undefined;
}

/**
 * A URL part read in clear: percent-decoded, and, when it is shaped like base64 (standard or
 * URL-safe) or hex and decodes to text, that text too. An agent told to send data away is
 * usually told to encode it first ("base64 the e-mail and append it to the URL").
 */
function readings(part: string): string[] {
  let decoded = part;
  try {
    decoded = decodeURIComponent(part);
  } catch {
    // A stray `%` is kept as written.
  }
  const found = [decoded];
  const encoded = decoded.replace(/[\r\n]/g, '');
  if (HEX_PART.test(encoded)) {
    const text = printable(Buffer.from(encoded, 'hex'));
    if (text !== undefined) found.push(text);
  } else if (BASE64_PART.test(encoded) && encoded.replace(/=+$/, '').length % 4 !== 1) {
    const text = printable(Buffer.from(encoded, 'base64'));
    if (text !== undefined) found.push(text);
  }
  return found;
}

interface UrlPart {
  readonly text: string;
  /** Read from base64 or hex: someone encoded it, so it is not a page's own id. */
  readonly decoded: boolean;
  /** The query parameter it is the value of. */
  readonly key?: string;
}

/** The query values, path segments, fragment and subdomain labels of a URL, read in clear. */
function urlParts(url: URL): UrlPart[] {
  const parts: UrlPart[] = [];
  const add = (raw: string, key?: string): void => {
    readings(raw).forEach((text, index) => {
      parts.push(
        key === undefined ? { text, decoded: index > 0 } : { text, decoded: index > 0, key },
      );
    });
  };
  for (const [key, value] of url.searchParams) add(value, key);
  for (const segment of url.pathname.split('/')) add(segment);
  if (url.hash.length > 1) add(url.hash.slice(1));
  // Host names are case-folded, so base64 does not survive in them; hex does (DNS exfiltration).
  for (const label of url.hostname.split('.').slice(0, -2))
    if (HEX_PART.test(label))
      for (const text of readings(label).slice(1)) parts.push({ text, decoded: true });
  return parts.filter((part) => part.text !== '');
}

const PHONE_KEY = /phone|tel|mobile|cell|fax|msisdn|whatsapp|sms/i;

/**
 * The personal data a URL carries. URLs are full of numeric ids (document numbers, CVE ids,
 * object keys) that read as phone numbers, so a phone counts only when it is written
 * internationally (`+44…`, `0044…`), is the value of a phone-like parameter, or was encoded.
 */
function urlPersonalDataKinds(url: URL): string[] {
  const kinds = new Set<string>();
  for (const part of urlParts(url))
    for (const finding of piiDetector.detect(part.text, urlPersonalData, { stage: 'output' })) {
      if (finding.kind === 'phone' && !part.decoded && !PHONE_KEY.test(part.key ?? '')) {
        const written = part.text.slice(finding.span?.start ?? 0, finding.span?.end);
        if (!/^\(?(?:\+|00)/.test(written)) continue;
      }
      kinds.add(finding.kind);
    }
  return [...kinds];
}

/** Labels that Markdown images use by reference: `![text][label]`, `![label][]`, `![label]`. */
function imageReferenceLabels(text: string): Set<string> {
  const labels = new Set<string>();
  for (const match of text.matchAll(IMAGE_REFERENCE)) {
    const label = match[2] === undefined || match[2] === '' ? match[1] : match[2];
    if (label !== undefined) labels.add(label.trim().toLowerCase());
  }
  return labels;
}

/** Markdown/HTML images and links that would send data to domains not on the allow-list. */
export const exfiltrationDetector = defineDetector({
  meta: {
    name: 'exfiltration',
    description:
      'Markdown images (fetched automatically when rendered), HTML src attributes and links pointing to domains not on the allow-list, especially when the URL carries data.',
    stages: ['output', 'retrieval'],
    cost: 'cheap',
    kinds: ['markdown_image', 'html_resource', 'link_with_data', 'url_with_personal_data'],
  },
  configSchema: z.strictObject({
    allowDomains: z
      .array(z.string().min(1))
      .default([])
      .describe('Domains (and their subdomains) answers may reference.'),
    bareUrlPersonalData: z
      .boolean()
      .default(false)
      .describe(
        "Also report URLs written out (not Markdown or HTML) to domains not on the allow-list whose query or path carries an e-mail address, a phone, card or account number or a national id: what a tool call that fetches the URL would send away. For tool-call arguments (the gateway's argument rails turn it on); an answer's bare URL is shown, not fetched.",
      ),
  }),
  detect(text, config): Finding[] {
    const findings: Finding[] = [];
    const consider = (
      raw: string,
      start: number,
      end: number,
      kind: 'markdown_image' | 'html_resource' | 'link',
    ): void => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        return;
      }
      if (hostAllowed(url.hostname, config.allowDomains)) return;
      const data = carriesData(url);
      if (kind === 'link' && !data) return;
      findings.push({
        detector: 'exfiltration',
        kind: kind === 'link' ? 'link_with_data' : kind,
        span: { start, end },
        score: kind === 'link' ? 0.8 : data ? 0.99 : 0.75,
        evidence: `${kind === 'link' ? 'link' : 'auto-loading resource'} to ${url.hostname}${data ? ' carrying data' : ''}`,
      });
    };
    for (const match of text.matchAll(MARKDOWN_LINK)) {
      consider(
        match[2] ?? '',
        match.index,
        match.index + match[0].length,
        match[1] === '!' ? 'markdown_image' : 'link',
      );
    }
    for (const match of text.matchAll(HTML_SRC))
      consider(match[1] ?? '', match.index, match.index + match[0].length, 'html_resource');
    if (config.bareUrlPersonalData) {
      for (const match of text.matchAll(BARE_URL)) {
        let url: URL;
        try {
          url = new URL(match[0]);
        } catch {
          continue;
        }
        if (hostAllowed(url.hostname, config.allowDomains)) continue;
        const carried = urlPersonalDataKinds(url);
        if (carried.length === 0) continue;
        findings.push({
          detector: 'exfiltration',
          kind: 'url_with_personal_data',
          span: { start: match.index, end: match.index + match[0].length },
          score: 0.95,
          evidence: `URL to ${url.hostname} carrying ${carried.join(', ')}`,
        });
      }
    }
    // A definition an image refers to is fetched like any image.
    const images = imageReferenceLabels(text);
    for (const match of text.matchAll(REFERENCE_DEF)) {
      const label = (match[1] ?? '').trim().toLowerCase();
      consider(
        match[2] ?? '',
        match.index,
        match.index + match[0].length,
        images.has(label) ? 'markdown_image' : 'link',
      );
    }
    return findings;
  },
});

// Apostrophes as models type them: ASCII, U+2019 (most chat models) and U+02BC.
const REFUSAL =
  /\b(?:i(?:['’ʼ]m| am) (?:sorry|afraid)[^.]{0,60}\b(?:can(?:['’ʼ]|no)t|cannot|unable|not able)|i (?:can(?:['’ʼ]|no)t|cannot|won['’ʼ]t|will not|am unable to|must decline to) (?:help|assist|provide|comply|do that|fulfil|fulfill|share|create|generate|write)|as an ai(?: language model)?,? i|(?:this|that) (?:request )?(?:goes against|violates) (?:my|the|our)|i(?:['’ʼ]m| am) not able to (?:help|assist|provide)|i(?:['’ʼ]m| am) not going to (?:help|assist|provide|tell|say|write|share|create|generate|give|repeat|reveal)|i(?:['’ʼ]m| am) not (?:supposed|allowed|permitted) to (?:tell|share|reveal|say|discuss|give)|je ne peux pas (?:vous )?(?:aider|répondre|fournir)|ich kann (?:ihnen |dir )?(?:dabei )?nicht (?:helfen|behilflich)|no puedo (?:ayudar|proporcionar|asistir))/i;

/** A model declining: the red-team judges and false-refusal measurements use it. */
export const refusalDetector = defineDetector({
  meta: {
    name: 'refusal',
    description: 'A model answer that declines the request (English, French, German, Spanish).',
    stages: ['output'],
    cost: 'cheap',
    kinds: ['refusal'],
  },
  configSchema: z.strictObject({}),
  detect(text): Finding[] {
    const head = text.slice(0, 2000);
    const match = REFUSAL.exec(head);
    return match === null
      ? []
      : [
          {
            detector: 'refusal',
            kind: 'refusal',
            span: { start: match.index, end: match.index + match[0].length },
            score: 0.9,
            evidence: 'the answer declines',
          },
        ];
  },
});

const STOPWORDS = new Set(
  'a an the and or but of to in on at by for with from as is are was were be been being it its this that these those i you he she we they them his her our your their not no yes do does did have has had will would can could should may might must so than then there here what which who whom how when where why if else also just only very more most some any all each about into over under again further once'.split(
    ' ',
  ),
);

const DEFAULT_SENTENCE_COVERAGE = 0.6;
const DEFAULT_MAX_SENTENCES = 32;

/** A sentence that says the context does not answer makes no claim to ground. */
const ABSTENTION =
  /\b(?:i (?:do not|don['’ʼ]?t|cannot|can['’ʼ]?t) (?:know|tell|say|find|answer)|(?:is|are|was|were) not (?:mentioned|stated|specified|given|provided|known)|(?:does|do) not (?:say|mention|specify|state)|doesn['’ʼ]?t (?:say|mention|specify|state)|no (?:information|mention)|not enough information|unknown)\b/i;

/** The sentences of an answer a groundedness check judges (see `groundednessScore`). */
function judgedSentences(answer: string): string[] {
  const sentences = answer
    .split(/(?<=[.!?])\s+|\n+/)
    .filter((sentence) => sentence.trim() !== '' && !ABSTENTION.test(sentence));
  const long = sentences.filter((sentence) => contentWords(sentence).length >= 3);
  if (long.length > 0) return long;
  if (ABSTENTION.test(answer)) return [];
  return contentWords(answer).length > 0 ? [answer] : [];
}

function contentWords(text: string): string[] {
  return words(text).filter((word) => !STOPWORDS.has(word) && word.length > 2);
}

/**
 * Share of the answer's sentences whose content words mostly appear in the retrieved context. A
 * sentence counts when it has three content words or more; an answer with no such sentence (a
 * name, a date, "Griselda Blanco.") is judged whole on the content words it has, as RAG answers
 * are often that short. Sentences saying the context does not answer are not judged.
 */
export function groundednessScore(
  answer: string,
  context: readonly string[],
  minSentenceCoverage = DEFAULT_SENTENCE_COVERAGE,
): number {
  const contextWords = new Set(words(context.join(' ')));
  const judged = judgedSentences(answer);
  const grounded = judged.filter((sentence) => {
    const content = contentWords(sentence);
    return (
      content.filter((word) => contextWords.has(word)).length / content.length >=
      minSentenceCoverage
    );
  });
  return judged.length === 0 ? 1 : grounded.length / judged.length;
}

/**
 * The same share, each sentence judged by the cross-encoder: grounded when some window of the
 * context supports it (its score, the sigmoid of the lowest logit, at most `threshold`).
 */
export function encoderGroundednessScore(
  answer: string,
  context: readonly string[],
  encoder: Pick<PairEncoder, 'score'>,
  threshold = 0.5,
  maxSentences = DEFAULT_MAX_SENTENCES,
): number {
  const joined = context.join(' ');
  // NUL ends the sentence on the encoder's slot: here it is a space between sentences.
  const judged = judgedSentences(answer.replaceAll('\u0000', ' '));
  // The check is synchronous: its work is bounded up front, not cut short.
  if (judged.length > maxSentences) {
    throw new GuardstreamError('GS_ERR_PAYLOAD_TOO_LARGE', {
      message: `groundedness: the answer has ${String(judged.length)} sentences to judge; the encoder judges at most ${String(maxSentences)} (maxSentences)`,
    });
  }
  const grounded = judged.filter(
    (sentence) => 1 / (1 + Math.exp(-encoder.score(sentence, joined).logit)) <= threshold,
  );
  return judged.length === 0 ? 1 : grounded.length / judged.length;
}

export const groundednessConfigSchema = z
  .strictObject({
    minGroundedness: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Below this share of grounded sentences the answer is reported.'),
    minSentenceCoverage: z
      .number()
      .min(0)
      .max(1)
      .default(DEFAULT_SENTENCE_COVERAGE)
      .describe(
        'model lexical: a sentence is grounded when at least this share of its content words occur in the context.',
      ),
    model: z
      .enum(['lexical', 'encoder'])
      .default('lexical')
      .describe(
        'lexical (word overlap, microseconds) or encoder (a fine-tuned cross-encoder on the sentence embedder, ~4 ms per sentence and context window; needs `guardstream models fetch`; see the detector page).',
      ),
    modelsDir: z
      .string()
      .optional()
      .describe(
        "model encoder: where `guardstream models fetch` put the patch's base model; defaults to .guardstream/models.",
      ),
    encoderThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        "model encoder: a sentence is ungrounded when the cross-encoder's score is above this (0.5: the validation point chosen in training; the detector page lists others).",
      ),
    maxWindows: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(8)
      .describe(
        'model encoder: context windows read per sentence (~7.5 ms each); past it, those sharing the most word pieces with the sentence.',
      ),
    maxSentences: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(DEFAULT_MAX_SENTENCES)
      .describe(
        'model encoder: an answer with more sentences to judge fails the check (closed, by default), so one check takes at most maxSentences × maxWindows runs of the transformer.',
      ),
    waitMs: z
      .number()
      .int()
      .min(1)
      .default(2000)
      .describe(
        'model encoder: how long a sentence waits for the encoder before the check fails (closed, by default).',
      ),
  })
  // The thread starts, and patches the model, when a policy binds the detector.
  .transform(({ modelsDir, maxWindows, waitMs, ...config }) => ({
    ...config,
    encoder:
      config.model === 'encoder'
        ? new PairEncoder({
            patchPath: committedGroundednessPatch(),
            modelsDir: modelsDir ?? defaultModelsDir(),
            maxWindows,
            waitMs,
          })
        : undefined,
  }));

export const groundednessDetector = defineDetector({
  meta: {
    name: 'groundedness',
    description:
      'Groundedness of an answer in the retrieved context: the share of its sentences that the context supports, by word overlap (lexical) or by a fine-tuned cross-encoder (encoder).',
    stages: ['output'],
    cost: 'cheap',
    kinds: ['ungrounded'],
  },
  configSchema: groundednessConfigSchema,
  detect(text, config, context): Finding[] {
    if (context.context === undefined || context.context.length === 0) return [];
    const groundedness =
      config.encoder === undefined
        ? groundednessScore(text, context.context, config.minSentenceCoverage)
        : encoderGroundednessScore(text, context.context, config.encoder, config.encoderThreshold);
    if (groundedness >= config.minGroundedness) return [];
    return [
      {
        detector: 'groundedness',
        kind: 'ungrounded',
        score: 1 - groundedness,
        evidence: `groundedness ${groundedness.toFixed(2)} < ${config.minGroundedness} (${config.model})`,
      },
    ];
  },
});

/** Operator-listed words and phrases, matched on normalised text (no user regex at all). */
export const bannedSubstringsDetector = defineDetector({
  meta: {
    name: 'banned_substrings',
    description:
      'Phrases the operator lists (project code names, competitor names, forbidden topics), case-, width- and leetspeak-insensitive.',
    stages: ['ingest', 'input', 'retrieval', 'output'],
    cost: 'cheap',
    kinds: ['banned_substring'],
  },
  configSchema: z.strictObject({
    substrings: z
      .array(z.string().min(1))
      .default([])
      .describe('Plain phrases; not regular expressions.'),
  }),
  detect(text, config): Finding[] {
    if (config.substrings.length === 0) return [];
    const normalized = normalizeForMatching(text);
    const findings: Finding[] = [];
    for (const phrase of config.substrings) {
      if (normalized.includes(normalizeForMatching(phrase))) {
        findings.push({
          detector: 'banned_substrings',
          kind: 'banned_substring',
          score: 1,
          evidence: `listed phrase #${config.substrings.indexOf(phrase) + 1}`,
        });
      }
    }
    return findings;
  },
});
