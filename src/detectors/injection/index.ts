import { z } from 'zod';
import { wordCount } from '../classifiers.ts';
import { defineDetector } from '../types.ts';
import type { Finding } from '../types.ts';
import { decodeEmbedded, rereadings } from './decode.ts';
import { bundledModelPath, featurize, loadLinearModel, score } from '../linear-model.ts';
import { normalizeForMatching } from './normalize.ts';
import { matchDocumentRules, matchRules } from './rules.ts';

export { normalizeForMatching } from './normalize.ts';
export { atbash, caesar, decodeEmbedded, rereadings, rot13 } from './decode.ts';
export { matchDocumentRules, matchRules } from './rules.ts';

export const injectionConfigSchema = z
  .strictObject({
    modelPath: z
      .string()
      .optional()
      .describe('Weights for prompts (input stage); defaults to the committed model.'),
    documentModelPath: z
      .string()
      .optional()
      .describe(
        'Weights for documents (ingest and retrieval stages), trained with documentation as negatives; defaults to the committed model.',
      ),
    useModel: z
      .boolean()
      .default(true)
      .describe('Score with the learned model as well as the rules.'),
    documentRules: z
      .boolean()
      .default(true)
      .describe(
        'At the ingest and retrieval stages, also flag text that addresses the reader\'s reply ("add … to your response", "integrate the following code into your solution"): normal in a prompt, an indirect injection in a document.',
      ),
    embeddedDocuments: z
      .boolean()
      .default(true)
      .describe(
        'At the input stage, check text pasted after a leading request ("Summarise this e-mail:" then a blank line or a line break) with the document rules too: pasted e-mails and web pages are untrusted data.',
      ),
    ruleScore: z.number().min(0).max(1).default(0.9).describe('Score of a rule match.'),
    minWords: z
      .number()
      .int()
      .min(1)
      .default(4)
      .describe('Shorter texts are checked by the rules only: too little evidence for the model.'),
  })
  // The weights are read once, when a policy binds the detector, never per text.
  .transform((config) => ({
    ...config,
    model: config.useModel
      ? loadLinearModel(config.modelPath ?? bundledModelPath('prompt-injection'))
      : undefined,
    documentModel: config.useModel
      ? loadLinearModel(config.documentModelPath ?? bundledModelPath('prompt-injection-documents'))
      : undefined,
  }));

/**
 * The part of a prompt that is pasted data rather than the user's own words: what follows a
 * short leading request that ends in a colon and a line break, or in a blank line, when it is
 * long enough to be a document (80+ characters). "Summarise this e-mail:\n\n<e-mail>" is how
 * untrusted content reaches a model through the user (Greshake et al. 2023).
 */
export function pastedDocument(text: string): string | undefined {
  const lead = /^[^\n]{0,300}?(?::[ \t]*\n|\n[ \t]*\n)/.exec(text);
  if (lead === null) return undefined;
  const rest = text.slice(lead[0].length);
  return rest.length >= 80 ? rest : undefined;
}

export const injectionDetector = defineDetector({
  meta: {
    name: 'prompt_injection',
    description:
      'Prompt injection and jailbreaks: normalisation (NFKC, confusables, invisible characters, leetspeak, spaced-out text), decoding of embedded base64/hex/URL/rot13 payloads, multilingual rules, and a learned linear model on hashed n-grams.',
    stages: ['ingest', 'input', 'retrieval'],
    cost: 'cheap',
    kinds: ['rule', 'model', 'encoded_payload'],
  },
  configSchema: injectionConfigSchema,
  detect(text, config, context): Finding[] {
    const findings: Finding[] = [];
    const isDocument = context.stage === 'ingest' || context.stage === 'retrieval';
    const model = isDocument ? config.documentModel : config.model;
    const scan = (candidate: string, via: string | undefined): void => {
      const normalized = normalizeForMatching(candidate);
      const hits = matchRules(normalized);
      if (config.documentRules) {
        if (isDocument) hits.push(...matchDocumentRules(normalized));
        else if (config.embeddedDocuments) {
          const pasted = pastedDocument(candidate);
          if (pasted !== undefined) hits.push(...matchDocumentRules(normalizeForMatching(pasted)));
        }
      }
      for (const hit of hits) {
        findings.push({
          detector: 'prompt_injection',
          kind: via === undefined ? 'rule' : 'encoded_payload',
          score: config.ruleScore,
          evidence:
            via === undefined ? `rule ${hit.rule}` : `rule ${hit.rule} in ${via}-decoded text`,
        });
      }
      if (model !== undefined && wordCount(normalized) >= config.minWords) {
        const probability = score(model, featurize(normalized));
        if (probability >= 0.05) {
          findings.push({
            detector: 'prompt_injection',
            kind: via === undefined ? 'model' : 'encoded_payload',
            score: probability,
            evidence: `${model.name} ${probability.toFixed(2)}${via === undefined ? '' : ` on ${via}-decoded text`}`,
          });
        }
      }
    };
    scan(text, undefined);
    for (const decoded of decodeEmbedded(text)) {
      scan(decoded.text, decoded.encoding);
      // Spelling a request one hidden character at a time has no purpose but to get it past
      // whatever reads the text: the disguise is the attack, whatever it spells.
      if (decoded.encoding === 'acrostic') {
        findings.push({
          detector: 'prompt_injection',
          kind: 'encoded_payload',
          span: { start: decoded.start, end: decoded.end },
          score: config.ruleScore,
          evidence: `${decoded.text.length} characters in parentheses spell a hidden text`,
        });
      }
    }
    // Rereadings (rot13, reversed, other shifts when a cipher is named) are only checked
    // against the rules: the model was not trained on their letter soup.
    for (const reading of rereadings(text)) {
      for (const hit of matchRules(normalizeForMatching(reading.text))) {
        findings.push({
          detector: 'prompt_injection',
          kind: 'encoded_payload',
          score: config.ruleScore,
          evidence: `rule ${hit.rule} in ${reading.encoding}-decoded text`,
        });
      }
    }
    return findings;
  },
});
