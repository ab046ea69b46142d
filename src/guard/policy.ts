import { z } from 'zod';

export const actionSchema = z.enum(['allow', 'flag', 'redact', 'block']);
export type Action = z.infer<typeof actionSchema>;

export const detectorRuleSchema = z.strictObject({
  detector: z.string().min(1).describe('Name of a registered detector.'),
  config: z
    .record(z.string(), z.unknown())
    .default({})
    .describe("The detector's own configuration."),
  threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('Findings scoring below this are ignored.'),
  action: actionSchema.default('block').describe('What a finding at or above the threshold does.'),
  kindActions: z
    .record(z.string().min(1), actionSchema)
    .default({})
    .describe(
      'Per finding kind, an action that replaces `action` for that kind: e.g. `pii` with `action: redact` and `{ us_ssn: block }`, or `invisible_text` with `{ control_character: flag }` for logs that carry terminal colours.',
    ),
  redaction: z
    .enum(['placeholder', 'mask', 'hash'])
    .default('placeholder')
    .describe(
      'How `redact` rewrites a span: [EMAIL_1], *****, or an unsalted sha256 prefix (use placeholder for low-entropy values).',
    ),
  timeoutMs: z
    .number()
    .int()
    .min(1)
    .max(60_000)
    .default(250)
    .describe(
      'Budget for this detector on one text. The default covers a maxChars-long text at ingest; 1 KB takes well under 1 ms.',
    ),
  onError: z
    .enum(['block', 'allow'])
    .default('block')
    .describe(
      'Fail closed (block) unless the policy says otherwise when a detector throws or overruns.',
    ),
});
export type DetectorRule = z.output<typeof detectorRuleSchema>;

export const stagePolicySchema = z.strictObject({
  maxChars: z
    .number()
    .int()
    .min(1)
    .max(50_000_000)
    .default(200_000)
    .describe('Longer texts are blocked before any detector runs (length limit).'),
  detectors: z.array(detectorRuleSchema).default([]),
});
export type StagePolicy = z.output<typeof stagePolicySchema>;

const rule = (
  detector: string,
  action: Action,
  threshold = 0.5,
): z.input<typeof detectorRuleSchema> => ({
  detector,
  action,
  threshold,
});

/**
 * `secrets` with gitleaks' rules, where a request waits on the check (they add ~13 µs to 1 KB);
 * at ingest they are off by default, as they cost the contract processor ~14% of its records a
 * second (docs/detectors/secrets.md).
 */
const secretsWithGitleaks = (action: Action): z.input<typeof detectorRuleSchema> => ({
  ...rule('secrets', action),
  config: { gitleaks: true },
});

/**
 * Defaults. Prompt injection blocks user input; on documents (ingest, retrieval) it flags, since
 * a wrongly dropped document costs more than a reviewed flag. Harmful requests and toxicity
 * flag rather than block until their false-positive rates allow it (docs/results.md).
 */
export const defaultStagePolicies: Readonly<Record<string, z.input<typeof stagePolicySchema>>> = {
  ingest: {
    detectors: [
      rule('invisible_text', 'block'),
      rule('prompt_injection', 'flag'),
      rule('secrets', 'redact'),
      rule('pii', 'redact'),
    ],
  },
  input: {
    maxChars: 32_000,
    detectors: [
      rule('invisible_text', 'block'),
      rule('prompt_injection', 'block'),
      rule('harmful_request', 'flag'),
      rule('toxicity', 'flag'),
      secretsWithGitleaks('redact'),
      rule('pii', 'flag'),
    ],
  },
  retrieval: {
    detectors: [
      rule('invisible_text', 'block'),
      rule('prompt_injection', 'flag'),
      rule('exfiltration', 'flag'),
      rule('active_content', 'flag'),
      rule('dangerous_command', 'flag'),
      secretsWithGitleaks('redact'),
      rule('pii', 'flag'),
    ],
  },
  output: {
    detectors: [
      rule('prompt_leak', 'block'),
      rule('exfiltration', 'block'),
      rule('active_content', 'redact'),
      rule('dangerous_command', 'redact'),
      secretsWithGitleaks('block'),
      rule('pii', 'redact'),
      rule('invisible_text', 'redact'),
      rule('toxicity', 'flag'),
    ],
  },
};

export const guardPolicySchema = z
  .strictObject({
    mode: z
      .enum(['enforce', 'monitor'])
      .default('enforce')
      .describe('monitor: decide and report, but let everything through (dry run).'),
    stages: z
      .strictObject({
        ingest: stagePolicySchema.prefault(defaultStagePolicies.ingest ?? {}),
        input: stagePolicySchema.prefault(defaultStagePolicies.input ?? {}),
        retrieval: stagePolicySchema.prefault(defaultStagePolicies.retrieval ?? {}),
        output: stagePolicySchema.prefault(defaultStagePolicies.output ?? {}),
      })
      .prefault({}),
  })
  .describe('Which detectors run at which stage, with thresholds, actions and budgets.');
export type GuardPolicy = z.output<typeof guardPolicySchema>;
