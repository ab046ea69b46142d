import { z } from 'zod';
import { decodeEmbedded } from './injection/decode.ts';
import { defineDetector } from './types.ts';
import type { Finding } from './types.ts';

/**
 * Runs of the base64 alphabet that are words, identifiers (`allowImportExportEverywhere`) or
 * paths (`com/juliangruber/brace`), common in documentation. Base64 of 16 characters or more is
 * letters only about once in a hundred times, and its `/`-separated pieces are rarely lower-case
 * words.
 */
const WORDS_OR_PATH = /^(?:[A-Za-z]+|[A-Za-z][a-z0-9]*(?:\/[A-Za-z][a-z0-9]*)+\/?)$/;

/**
 * Text hidden in base64, hex, percent-encoding or Unicode tag characters that decodes to readable
 * text. On its own
 * this is only suspicious (data URIs and tokens are ordinary); `prompt_injection` scans the
 * decoded text for instructions.
 */
export const encodedPayloadDetector = defineDetector({
  meta: {
    name: 'encoded_payload',
    description:
      'Base64, hex, percent-encoded, Unicode-tag, variation-selector or string-escaped runs that decode to readable text.',
    stages: ['ingest', 'input', 'retrieval', 'output'],
    cost: 'cheap',
    kinds: [
      'base64',
      'hex',
      'url',
      'unicode-tags',
      'variation-selectors',
      'acrostic',
      'morse',
      'escapes',
    ],
  },
  configSchema: z.strictObject({
    minDecodedChars: z
      .number()
      .int()
      .min(1)
      .default(16)
      .describe('Shorter decoded texts are ignored.'),
  }),
  detect(text, config): Finding[] {
    return decodeEmbedded(text)
      .filter((decoded) => decoded.text.length >= config.minDecodedChars)
      .filter(
        (decoded) =>
          decoded.encoding !== 'base64' ||
          !WORDS_OR_PATH.test(text.slice(decoded.start, decoded.end)),
      )
      .map((decoded) => ({
        detector: 'encoded_payload',
        kind: decoded.encoding,
        span: { start: decoded.start, end: decoded.end },
        score: 0.6,
        evidence: `${decoded.encoding} run decoding to ${decoded.text.length} readable characters`,
      }));
  },
});
