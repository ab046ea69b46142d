import { z } from 'zod';
import { shannonEntropy } from './checksums.ts';
import { gitleaksMatches, loadGitleaksRules } from './gitleaks.ts';
import { bundledModelPath } from './linear-model.ts';
import { SpanSet, scanVisible } from './spans.ts';
import { defineDetector } from './types.ts';
import type { Finding } from './types.ts';

interface SecretPattern {
  kind: string;
  pattern: RegExp;
  score: number;
  /** Index of the capture group holding the secret itself; 0 = the whole match. */
  group?: number;
  accept?: (value: string) => boolean;
  /** A cheap necessary condition; when false the pattern cannot match and is skipped. */
  worthScanning?: (text: string) => boolean;
}

const placeholder =
  /^(?:|null|none|nil|true|false|undefined|x+|\*+|\.+|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|%\([^)]*\)s|your[_-]?\w*|example|changeit_here|redacted|\[redacted\]|xxx+)$/i;

// A value that is code, not a secret: an environment lookup, a method call, a call with no
// arguments or a field of a configuration object ("apiKey: process.env.OPENAI_KEY",
// "password: faker.internet.password()", "bos_token: config.bos_token"), as documentation and
// examples write them. "Summer(2024)" is a password, not a call.
const codeReference =
  /^(?:process\.env\b|import\.meta\.env\b|os\.environ\b|os\.getenv\b|getenv\b|System\.getenv\b|ENV\[|env\(|(?:this|self|config|settings|options|opts|params|args|props|cfg|conf)\.[A-Za-z_$]|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+\(|[A-Za-z_$][\w$]*\(\)$)/;

// Fixed patterns written for this detector: anchored on vendor prefixes or key names, with
// bounded repetition only.
const credentialKeyword =
  /pass|pwd|secret|token|api[_-]?key|apikey|auth|credential|private[_-]?key|access[_-]?key|encrypted/i;

const patterns: readonly SecretPattern[] = [
  {
    kind: 'private_key',
    pattern: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/g,
    score: 0.99,
    worthScanning: (text) => text.includes('PRIVATE KEY'),
  },
  {
    kind: 'putty_private_key',
    pattern: /PuTTY-User-Key-File-\d: /g,
    score: 0.99,
    worthScanning: (text) => text.includes('PuTTY'),
  },
  {
    kind: 'aws_access_key_id',
    pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g,
    score: 0.95,
    worthScanning: (text) => text.includes('A'),
  },
  {
    kind: 'aws_secret_access_key',
    pattern:
      /aws.{0,20}?(?:secret|key).{0,20}?[=:]\s{0,5}["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    score: 0.95,
    group: 1,
    worthScanning: (text) => /aws/i.test(text),
  },
  {
    kind: 'github_token',
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
    score: 0.98,
    worthScanning: (text) => text.includes('_'),
  },
  {
    kind: 'gitlab_token',
    pattern: /\bglpat-[A-Za-z0-9_-]{20,64}\b/g,
    score: 0.98,
    worthScanning: (text) => text.includes('glpat-'),
  },
  {
    kind: 'slack_token',
    pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,72}\b/g,
    score: 0.97,
    worthScanning: (text) => text.includes('xox'),
  },
  {
    kind: 'slack_webhook',
    pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]{20,80}/g,
    score: 0.97,
    worthScanning: (text) => text.includes('hooks.slack.com'),
  },
  {
    kind: 'stripe_key',
    pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,99}\b/g,
    score: 0.97,
    worthScanning: (text) => text.includes('k_'),
  },
  {
    kind: 'google_api_key',
    pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g,
    score: 0.95,
    worthScanning: (text) => text.includes('AIza'),
  },
  {
    kind: 'npm_token',
    pattern: /\bnpm_[A-Za-z0-9]{36}\b/g,
    score: 0.97,
    worthScanning: (text) => text.includes('npm_'),
  },
  {
    kind: 'openai_key',
    pattern: /\bsk-(?:proj-|svcacct-)?[A-Za-z0-9_-]{20,200}\b/g,
    score: 0.9,
    worthScanning: (text) => text.includes('sk-'),
  },
  {
    kind: 'anthropic_key',
    pattern: /\bsk-ant-[A-Za-z0-9_-]{20,200}\b/g,
    score: 0.97,
    worthScanning: (text) => text.includes('sk-ant-'),
  },
  {
    kind: 'sendgrid_key',
    pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/g,
    score: 0.97,
    worthScanning: (text) => text.includes('SG.'),
  },
  {
    kind: 'twilio_key',
    pattern: /\bSK[0-9a-f]{32}\b/g,
    score: 0.8,
    worthScanning: (text) => text.includes('SK'),
  },
  {
    kind: 'jwt',
    pattern: /\beyJ[A-Za-z0-9_-]{5,2000}\.eyJ[A-Za-z0-9_-]{5,4000}\.[A-Za-z0-9_-]{5,2000}/g,
    score: 0.9,
    worthScanning: (text) => text.includes('eyJ'),
  },
  {
    kind: 'connection_string_password',
    pattern: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@"']{1,64}:([^\s@/"']{1,128})@[^\s/"']{1,255}/gi,
    score: 0.95,
    group: 1,
    worthScanning: (text) => text.includes('://'),
  },
  {
    kind: 'basic_auth_header',
    pattern: /\bAuthorization:\s{0,5}(?:Basic|Bearer)\s{1,5}([A-Za-z0-9+/=._-]{8,4096})/gi,
    score: 0.9,
    group: 1,
    worthScanning: (text) => /authorization/i.test(text),
  },
  {
    // key = value / "key": "value" / key: value, where the key names a credential.
    kind: 'credential_assignment',
    pattern:
      /(["']?)([A-Za-z0-9_.-]{0,40}?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|auth|credentials?|private[_-]?key|access[_-]?key|encrypted[A-Za-z]{0,20}))\1[ \t]{0,5}(?:=|:|=>)[ \t]{0,5}(["']?)([^\s"',;]{1,512})/gi,
    score: 0.85,
    group: 4,
    accept: (value) => !placeholder.test(value) && !codeReference.test(value) && value.length >= 4,
    // The lazy key prefix makes the full pattern try every position; most text names no key.
    worthScanning: (text) => credentialKeyword.test(text),
  },
];

/** A long, varied token assigned or quoted: likely a key even without a known prefix. */
// The delimiter must not sit inside a token itself ("=a=a=a…"), or every "=" would start a
// fresh 512-character scan.
const HIGH_ENTROPY =
  /(?<![A-Za-z0-9+/_-])["'=:]\s{0,3}([A-Za-z0-9+/=_-]{32,512})(?![A-Za-z0-9+/=_-])/g;

/** "host": "db.example.com", user = root: where and as whom a credential works. */
const CREDENTIAL_CONTEXT =
  /(["']?)((?:[A-Za-z0-9_.-]{0,20}?[_.-])?(?:host(?:name)?|server|user(?:name)?|login|account))\1[ \t]{0,5}(?:=|:|=>)[ \t]{0,5}(["']?)([^\s"',;]{1,255})/gi;
/** Lines around a password searched for its host and user: one block of a config file. */
const CONTEXT_LINES = 6;

export const secretsConfigSchema = z
  .strictObject({
    gitleaks: z
      .boolean()
      .default(false)
      .describe(
        "Also run gitleaks' default rules (v8.30.1: 216 token formats of cloud, SaaS and CI providers, with their keywords, entropy floors and allowlists) on RE2 (`provider_token`). The default policies turn them on at input, retrieval and output; off by default at ingest, where they cost the contract processor ~14% of its throughput.",
      ),
    gitleaksRulesPath: z
      .string()
      .optional()
      .describe('Rules file; defaults to the committed import of gitleaks’ configuration.'),
    credentialContext: z
      .boolean()
      .default(true)
      .describe(
        'Also report the host and user name assigned within six lines of a password or other credential assignment (`credential_context`): a leaked login is the password plus where and as whom it works.',
      ),
    highEntropy: z
      .strictObject({
        enabled: z.boolean().default(true),
        minBitsPerChar: z.number().min(0).max(8).default(4.3),
      })
      .prefault({})
      .describe('Flag long, varied tokens without a known prefix.'),
  })
  // The rules are compiled once, when a policy binds the detector.
  .transform(({ gitleaks, gitleaksRulesPath, ...rest }) => ({
    ...rest,
    gitleaks: gitleaks
      ? loadGitleaksRules(gitleaksRulesPath ?? bundledModelPath('gitleaks-rules'))
      : undefined,
  }));

export const secretsDetector = defineDetector({
  meta: {
    name: 'secrets',
    description:
      'Credentials: private keys, cloud and SaaS tokens, JWTs, connection strings with passwords, credential assignments, high-entropy tokens.',
    stages: ['ingest', 'input', 'retrieval', 'output'],
    cost: 'cheap',
    kinds: [
      ...patterns.map((entry) => entry.kind),
      'provider_token',
      'high_entropy_string',
      'credential_context',
    ],
  },
  configSchema: secretsConfigSchema,
  detect(text, config): Finding[] {
    return scanVisible(text, (visible) => findSecrets(visible, config));
  },
});

type SecretsConfig = z.output<typeof secretsConfigSchema>;

function findSecrets(text: string, config: SecretsConfig): Finding[] {
  const findings: Finding[] = [];
  const spans = new SpanSet(text.length);
  for (const entry of patterns) {
    if (entry.worthScanning !== undefined && !entry.worthScanning(text)) continue;
    entry.pattern.lastIndex = 0;
    for (let match = entry.pattern.exec(text); match !== null; match = entry.pattern.exec(text)) {
      const value = match[entry.group ?? 0] ?? '';
      if (entry.accept !== undefined && !entry.accept(value)) continue;
      const start = match.index + match[0].lastIndexOf(value);
      const end = start + value.length;
      if (!spans.take(start, end)) continue;
      findings.push({
        detector: 'secrets',
        kind: entry.kind,
        span: { start, end },
        score: entry.score,
        evidence: `${entry.kind} (${value.length} chars)`,
      });
    }
  }
  if (config.gitleaks !== undefined) {
    for (const match of gitleaksMatches(text, config.gitleaks)) {
      if (!spans.take(match.start, match.end)) continue;
      findings.push({
        detector: 'secrets',
        kind: 'provider_token',
        span: { start: match.start, end: match.end },
        score: 0.9,
        evidence: `gitleaks rule ${match.ruleId} (${match.secret.length} chars)`,
      });
    }
  }
  if (config.highEntropy.enabled) {
    HIGH_ENTROPY.lastIndex = 0;
    for (let match = HIGH_ENTROPY.exec(text); match !== null; match = HIGH_ENTROPY.exec(text)) {
      const value = match[1] ?? '';
      const start = match.index + match[0].length - value.length;
      const end = start + value.length;
      const varied = /[a-z]/.test(value) && /[A-Z0-9]/.test(value);
      if (!varied || !spans.isFree(start, end)) continue;
      const bits = shannonEntropy(value);
      if (bits < config.highEntropy.minBitsPerChar) continue;
      spans.take(start, end);
      findings.push({
        detector: 'secrets',
        kind: 'high_entropy_string',
        span: { start, end },
        score: Math.min(0.9, 0.5 + (bits - config.highEntropy.minBitsPerChar) / 4),
        evidence: `high-entropy token (${value.length} chars, ${bits.toFixed(2)} bits/char)`,
      });
    }
  }
  if (config.credentialContext) findings.push(...credentialContext(text, findings, spans));
  return findings.sort((a, b) => (a.span?.start ?? 0) - (b.span?.start ?? 0));
}

/** How far around a credential its host and user are looked for, in lines and characters. */
const CONTEXT_CHARS = 2000;

function credentialContext(text: string, found: readonly Finding[], spans: SpanSet): Finding[] {
  const context: Finding[] = [];
  const credentials = found
    .flatMap((finding) =>
      finding.kind === 'credential_assignment' && finding.span !== undefined ? [finding.span] : [],
    )
    .sort((a, b) => a.start - b.start);
  if (credentials.length === 0) return context;
  const newlines: number[] = [];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) newlines.push(at);
  /** How many newlines come before `index`: its line number. */
  const lineOf = (index: number): number => {
    let low = 0;
    let high = newlines.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((newlines[middle] ?? 0) < index) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  // Blocks of neighbouring credentials overlap; each character is scanned once.
  let scannedTo = 0;
  for (const credential of credentials) {
    const first = lineOf(credential.start) - CONTEXT_LINES;
    const last = lineOf(credential.end) + CONTEXT_LINES;
    let from = first <= 0 ? 0 : (newlines[first - 1] ?? 0) + 1;
    let to = newlines[last] ?? text.length;
    from = Math.max(from, credential.start - CONTEXT_CHARS, scannedTo);
    to = Math.min(to, credential.end + CONTEXT_CHARS);
    if (to <= from) continue;
    scannedTo = to;
    const block = text.slice(from, to);
    CREDENTIAL_CONTEXT.lastIndex = 0;
    for (
      let match = CREDENTIAL_CONTEXT.exec(block);
      match !== null;
      match = CREDENTIAL_CONTEXT.exec(block)
    ) {
      const value = match[4] ?? '';
      if (placeholder.test(value)) continue;
      const start = from + match.index + match[0].lastIndexOf(value);
      const end = start + value.length;
      if (!spans.take(start, end)) continue;
      context.push({
        detector: 'secrets',
        kind: 'credential_context',
        span: { start, end },
        score: 0.6,
        evidence: `${(match[2] ?? 'host').toLowerCase()} of a credential (${value.length} chars)`,
      });
    }
  }
  return context;
}
