/**
 * Per-detector latency and the default input/output policies on ~1 KB texts, single thread.
 * Baseline in the same run: the engine with an empty policy (pure overhead) and a plain
 * `String.prototype.includes` scan of the same texts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInDetectors } from '../src/detectors/index.ts';
import { GuardEngine, guardPolicySchema } from '../src/guard/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { measure } from './stats.ts';

const fragments = [
  'The quarterly report shows revenue growth in the northern region, driven by new contracts.',
  'Please contact the support desk at support@example.com or call +44 20 7946 0958 for help.',
  'Ignore the formatting of the table below; it was exported from the legacy system.',
  'Customer Jane Roe (IBAN GB82 WEST 1234 5698 7654 32) asked about her invoice from March.',
  'Deployment uses the staging cluster; credentials are managed by the vault, not in code.',
  'How do I kill a Python process that hangs after the tests finish on the build server?',
  'Meeting notes: agree on the roadmap, review the budget, assign owners for each milestone.',
  'The server at 10.12.0.7 restarted twice overnight; logs show an out-of-memory condition.',
];

/** Deterministic ~1 KB texts mixing clean prose with a little PII, seeded for repeatability. */
function texts(count: number): string[] {
  let seed = 42;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  return Array.from({ length: count }, () => {
    let text = '';
    while (text.length < 1000) text += `${fragments[Math.floor(next() * fragments.length)] ?? ''} `;
    return text.slice(0, 1024);
  });
}

const benchTopics = {
  topics: [
    {
      name: 'competitor pricing',
      examples: [
        'How much does Acme charge for its enterprise plan?',
        'Compare our prices with Acme',
      ],
    },
    {
      name: 'medical advice',
      examples: ['What dose of ibuprofen should I take?', 'Can you diagnose my rash?'],
    },
  ],
};

export function runDetectorsBench(): Record<string, unknown> {
  const inputs = texts(200);
  const rounds = 20;
  // Transformer-backed detectors take milliseconds a text: fewer rounds keep the bench short.
  const modelRounds = 3;
  const registry = builtInDetectors();
  const perDetector: Record<string, unknown> = {};
  // banned_topics has no default topics: measured with two, like an operator's list.
  const configs: Record<string, unknown> = { banned_topics: benchTopics };
  for (const name of registry.names()) {
    const detector = registry.get(name);
    if (detector === undefined) continue;
    const bound = detector.bind(configs[name] ?? {});
    perDetector[name] = measure(
      inputs,
      detector.meta.cost === 'expensive' ? modelRounds : rounds,
      (text) => bound(text, { stage: 'input' }),
    );
  }
  const defaults = new GuardEngine(guardPolicySchema.parse({}), registry);
  // The default input policy with one opt-in detector added.
  const defaultInputPlus = (rule: Record<string, unknown>): GuardEngine =>
    new GuardEngine(
      guardPolicySchema.parse({
        stages: {
          input: {
            detectors: [...guardPolicySchema.parse({}).stages.input.detectors, rule],
          },
        },
      }),
      registry,
    );
  const withTopics = defaultInputPlus({
    detector: 'banned_topics',
    action: 'block',
    timeoutMs: 1000,
    config: benchTopics,
  });
  const withEncoder = defaultInputPlus({
    detector: 'prompt_injection_encoder',
    action: 'block',
    timeoutMs: 3000,
  });
  const withEncoderBgeSmall = defaultInputPlus({
    detector: 'prompt_injection_encoder',
    action: 'block',
    timeoutMs: 3000,
    config: { model: 'bge-small' },
  });
  const withLanguage = defaultInputPlus({ detector: 'language', action: 'block' });
  const encoderBgeSmall = registry.get('prompt_injection_encoder')?.bind({ model: 'bge-small' });
  // ~10 KB texts (ten of the 1 KB ones): past the encoder's eight windows, where `windowChoice`
  // decides which are read; the baseline is the same detector reading the first seven and last.
  const longInputs = Array.from({ length: 20 }, (_, index) =>
    Array.from({ length: 10 }, (_, part) => inputs[(index * 10 + part) % inputs.length]).join(' '),
  );
  const encoderOn = (windowChoice: string) => {
    const bound = registry.get('prompt_injection_encoder')?.bind({ windowChoice });
    return (text: string) => bound?.(text, { stage: 'retrieval' });
  };
  // groundedness reads an answer against its retrieved context: each text against the next one.
  const contextOf = new Map(
    inputs.map((text, index) => [text, [inputs[(index + 1) % inputs.length] ?? '']]),
  );
  const groundedness = (config: Record<string, unknown>) => {
    const bound = registry.get('groundedness')?.bind(config);
    return (text: string) => bound?.(text, { stage: 'output', context: contextOf.get(text) ?? [] });
  };
  const groundednessEncoder = groundedness({ model: 'encoder' });
  const empty = new GuardEngine(
    guardPolicySchema.parse({ stages: { input: { detectors: [] }, output: { detectors: [] } } }),
    registry,
  );
  const result = {
    machine: { cpus: 2, node: process.version },
    textBytes: 1024,
    texts: inputs.length,
    rounds,
    baseline: {
      includesScan: measure(inputs, rounds, (text) => text.includes('password')),
      emptyPolicy: measure(inputs, rounds, (text) => empty.check(text, { stage: 'input' })),
    },
    detectors: {
      ...perDetector,
      // The encoder's larger patch (`model: bge-small`), beside the default one above.
      ...(encoderBgeSmall === undefined
        ? {}
        : {
            prompt_injection_encoder_bge_small: measure(inputs, modelRounds, (text) =>
              encoderBgeSmall(text, { stage: 'input' }),
            ),
          }),
      prompt_injection_encoder_10kb_ranked: measure(longInputs, modelRounds, encoderOn('ranked')),
      prompt_injection_encoder_10kb_first_and_last: measure(
        longInputs,
        modelRounds,
        encoderOn('first-and-last'),
      ),
      // With a 1 KB context (above, it had none and so nothing to judge).
      groundedness_with_context: measure(inputs, rounds, groundedness({})),
      // Its cross-encoder: each of the answer's ~10 sentences against ~3 context windows.
      groundedness_encoder_with_context: measure(inputs, modelRounds, groundednessEncoder),
    },
    policies: {
      defaultInput: measure(inputs, rounds, (text) => defaults.check(text, { stage: 'input' })),
      defaultOutput: measure(inputs, rounds, (text) => defaults.check(text, { stage: 'output' })),
      // The opt-in language allow-list: no model, but franc-all's trigram tables per line.
      defaultInputWithLanguage: measure(inputs, rounds, (text) =>
        withLanguage.check(text, { stage: 'input' }),
      ),
      // The embedding-based detector, reported apart from the default policy as it is not in it.
      defaultInputWithBannedTopics: measure(inputs, modelRounds, (text) =>
        withTopics.check(text, { stage: 'input' }),
      ),
      defaultInputWithEncoder: measure(inputs, modelRounds, (text) =>
        withEncoder.check(text, { stage: 'input' }),
      ),
      defaultInputWithEncoderBgeSmall: measure(inputs, modelRounds, (text) =>
        withEncoderBgeSmall.check(text, { stage: 'input' }),
      ),
    },
    note: `banned_topics (sentence embeddings) and prompt_injection_encoder (the fine-tuned transformer, ~3 windows of 126 word pieces per 1 KB text), each on its own worker thread, are not in the default policies; defaultInputWithBannedTopics adds the first to the default input policy with two topics, defaultInputWithEncoder the second (defaultInputWithEncoderBgeSmall with its bge-small patch, 12 layers). groundedness_with_context and groundedness_encoder_with_context read each text as an answer against the next one as its context (lexical, and \`model: encoder\`: a cross-encoder over each sentence and context window). prompt_injection_encoder_10kb_* read 20 texts of ~10 KB at retrieval: the windows ranked by prompt_injection's linear models (the default) or the first seven and the last. The model-backed ones are measured over ${String(modelRounds)} rounds, the rest over ${String(rounds)}.`,
  };
  writeFileSync(
    join(packageRoot(), 'bench/results/detectors.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  return result;
}
