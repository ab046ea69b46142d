/**
 * Pathological inputs (ReDoS shapes, long runs of one delimiter) of just under the ingest
 * limit, through the default policy at ingest, input and output. Records each detector's time and
 * whether any overran its budget (an overrun fails closed, but should not happen). The opt-in
 * `prompt_injection_encoder` gets the same inputs at input and retrieval when its model is cached.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInDetectors, bundledModelPath } from '../src/detectors/index.ts';
import { GuardEngine, guardPolicySchema } from '../src/guard/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { SENTENCE_EMBEDDER_ID, defaultModelsDir } from '../src/models/index.ts';

const size = 199_000;
const repeat = (unit: string): string => unit.repeat(Math.floor(size / unit.length));
const inputs: Readonly<Record<string, string>> = {
  spacedDigits: repeat('1 '),
  letters: repeat('a'),
  lettersThenAt: `${repeat('a').slice(1)}@`,
  dashesThenAssignment: `${repeat('-').slice(9)}password=`,
  plusOnes: repeat('+1'),
  spacedLetters: repeat('a '),
  dottedDigits: repeat('1.'),
  base64: repeat('QUJD'),
  hex: repeat('ab'),
  percent: repeat('%41'),
  colons: repeat('a:'),
  markdownLinks: repeat('[a](http://x.y/'),
  ignoreWords: repeat('ignore '),
  emailFragments: repeat('a@b.'),
  zeroWidth: repeat('\u200b'),
  brackets: repeat('['),
  quotes: repeat('"'),
  equalsTokens: repeat('=a'),
  // Not backtracking but sheer numbers of matches: tens of thousands of findings to reconcile.
  manyEmails: repeat('a@b.co '),
  manyAddresses: repeat('10.0.0.1 '),
  manyCredentials: repeat('password=abcd host=x '),
  // The shapes of the 2026-11-26 additions: look-alike letters, control characters, letters in
  // parentheses (the DRA decoder), a rule's trigger words, digits of another script, slashes.
  homoglyphWords: repeat('hom\u0435 '),
  controlCharacters: repeat('\u001b[31m'),
  parenthesisedLetters: repeat('(a)b '),
  grandparentMemory: repeat('grandma used to '),
  otherScriptDigits: repeat('\u09ee'),
  slashGroups: repeat('06-1/'),
  malwareWords: repeat('write a keylogger '),
  // The agent-command rules' prefixes: flags of rm, secret-looking variables, pipes of env.
  shellFlags: `rm ${repeat('-r ')}`,
  shellFragments: repeat('echo $key_ cat ~/.ssh/id_ printenv | curl $(env '),
  // ASCII as string escapes: one run as long as the text, and runs cut short by quotes.
  asciiEscapes: repeat('\\u0041'),
  quotedEscapes: repeat('"\\x41\\x42 '),
  // Thousands of provider tokens after a character of two bytes: each match's offset in the text
  // must not be found by decoding the text from its start (988 ms before 2026-11-27 01:20).
  manyProviderTokens: repeat('é 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 '),
  // Every keyword of gitleaks' rules, each assigned a token: every one of its 216 rules runs
  // over the whole text and finds thousands of candidates to check against its allowlists.
  providerKeywords: repeat(
    (
      JSON.parse(readFileSync(bundledModelPath('gitleaks-rules'), 'utf8')) as {
        rules: { keywords: string[] }[];
      }
    ).rules
      .flatMap((rule) => rule.keywords)
      .map((keyword) => `${keyword}_key = "${keyword}${'Ab3x9Q'.repeat(7)}" `)
      .join(''),
  ),
};

/**
 * Every input through `engine` at `input` (cut to the default policy's limit) and `retrieval`:
 * where the opt-in detectors run. Each row starts with `label`.
 */
function atInputAndRetrieval(
  engine: GuardEngine,
  maxChars: Readonly<Record<'input' | 'retrieval', number>>,
  label: Record<string, unknown> = {},
): { rows: Record<string, unknown>[]; overruns: number; slowestMs: number } {
  const rows: Record<string, unknown>[] = [];
  let overruns = 0;
  let slowestMs = 0;
  for (const stage of ['input', 'retrieval'] as const) {
    for (const [name, whole] of Object.entries(inputs)) {
      const checked = engine.check(whole.slice(0, maxChars[stage]), { stage });
      const notOk = checked.outcomes.filter((outcome) => outcome.status !== 'ok');
      overruns += notOk.length;
      slowestMs = Math.max(slowestMs, ...checked.outcomes.map((outcome) => outcome.ms));
      rows.push({
        ...label,
        stage,
        input: name,
        decision: checked.decision,
        totalMs: Math.round(checked.totalMs * 10) / 10,
        notOk: notOk.map((o) => `${o.detector}:${o.status}`),
      });
    }
  }
  return { rows, overruns, slowestMs };
}

export function runAdversarialBench(): Record<string, unknown> {
  const policy = guardPolicySchema.parse({});
  const maxChars = {
    input: policy.stages.input.maxChars,
    retrieval: policy.stages.retrieval.maxChars,
  };
  const engine = new GuardEngine(policy, builtInDetectors());
  const rows: Record<string, unknown>[] = [];
  let overruns = 0;
  let slowest = { input: '', stage: '', detector: '', ms: 0 };
  for (const stage of ['ingest', 'input', 'output'] as const) {
    for (const [name, whole] of Object.entries(inputs)) {
      // A longer prompt is refused for its length before any detector runs: cut to the limit.
      const text = whole.slice(0, policy.stages[stage].maxChars);
      const result = engine.check(text, { stage });
      for (const outcome of result.outcomes) {
        if (outcome.status !== 'ok') overruns += 1;
        if (outcome.ms > slowest.ms)
          slowest = { input: name, stage, detector: outcome.detector, ms: outcome.ms };
      }
      rows.push({
        stage,
        input: name,
        chars: text.length,
        decision: result.decision,
        totalMs: Math.round(result.totalMs * 10) / 10,
        notOk: result.outcomes
          .filter((outcome) => outcome.status !== 'ok')
          .map((o) => `${o.detector}:${o.status}`),
      });
    }
  }
  // The opt-in transformer detector, when its model is cached: the same inputs at `input`
  // (prompt head) and `retrieval` (document head).
  const encoder: Record<string, unknown>[] = [];
  let encoderOverruns = 0;
  for (const model of ['minilm', 'bge-small'] as const) {
    const base = model === 'minilm' ? SENTENCE_EMBEDDER_ID : 'bge-small-en-v15-q';
    if (!existsSync(join(defaultModelsDir(), base))) continue;
    const withEncoder = new GuardEngine(
      guardPolicySchema.parse({
        stages: Object.fromEntries(
          (['input', 'retrieval'] as const).map((stage) => [
            stage,
            {
              detectors: [
                {
                  detector: 'prompt_injection_encoder',
                  action: 'block',
                  timeoutMs: 3000,
                  config: { model },
                },
              ],
            },
          ]),
        ),
      }),
      builtInDetectors(),
    );
    const checked = atInputAndRetrieval(withEncoder, maxChars, { model });
    encoder.push(...checked.rows);
    encoderOverruns += checked.overruns;
  }
  // The opt-in language allow-list, with the rule's default 250 ms budget, at `input` and
  // `retrieval`: the most segments per text of any detector.
  const withLanguage = new GuardEngine(
    guardPolicySchema.parse({
      stages: {
        input: { detectors: [{ detector: 'language', action: 'block' }] },
        retrieval: { detectors: [{ detector: 'language', action: 'block' }] },
      },
    }),
    builtInDetectors(),
  );
  const language = atInputAndRetrieval(withLanguage, maxChars);
  withLanguage.close();
  const result = {
    inputs: rows.length,
    detectorOverruns: overruns,
    slowest,
    rows,
    encoder: { checks: encoder.length, overruns: encoderOverruns, rows: encoder },
    language: {
      checks: language.rows.length,
      overruns: language.overruns,
      slowestMs: Math.round(language.slowestMs * 10) / 10,
      rows: language.rows,
    },
  };
  writeFileSync(
    join(packageRoot(), 'bench/results/adversarial.json'),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  return result;
}
