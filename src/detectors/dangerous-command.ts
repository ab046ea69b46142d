import { z } from 'zod';
import { agentCommandPatterns, hiddenExecutionPatterns } from './commands.ts';
import type { CommandKind } from './commands.ts';
import { scanVisible } from './spans.ts';
import { defineDetector } from './types.ts';
import type { Finding } from './types.ts';

const kinds = [
  'secret_exposure',
  'exfiltration',
  'wipe',
  'hidden_execution',
] as const satisfies readonly CommandKind[];

/** Case-insensitive copies, every match: an answer may carry several commands to redact. */
const patterns = [...agentCommandPatterns, ...hiddenExecutionPatterns].map((entry) => ({
  ...entry,
  pattern: new RegExp(entry.pattern.source, [...new Set(`${entry.pattern.flags}gi`)].join('')),
}));

const SCORE: Record<CommandKind, number> = {
  secret_exposure: 0.9,
  exfiltration: 0.97,
  wipe: 0.95,
  hidden_execution: 0.95,
};

export const dangerousCommandConfigSchema = z.strictObject({
  kinds: z
    .array(z.enum(kinds))
    .default([...kinds])
    .describe(
      'Which kinds to report: secret_exposure (printing a secret variable, dumping the environment, reading a key or credential file), exfiltration (sending them over the network), wipe (rm -rf of ~ or /), hidden_execution (encoded or hidden PowerShell, mshta/rundll32 with a URL, certutil/bitsadmin downloads, a bare IP address piped into a shell, base64 into a shell).',
    ),
});

/** The rest of a command line: up to a line break, a backtick, or punctuation closing a clause. */
const COMMAND_END = /[\n`]|[,;.!?](?=\s|$)/;
const MAX_COMMAND_TAIL = 300;

/**
 * Where the command a pattern matched the start of ends, so a redaction takes its arguments too
 * (`cat ~/.aws/credentials | curl -d @- https://…` entire, not its first half). Looks at most
 * `MAX_COMMAND_TAIL` characters ahead: a text of thousands of matches and no line break must
 * not cost a scan to its end for each (810 ms on 199,000 characters before this bound).
 */
function commandEnd(text: string, from: number): number {
  const tail = text.slice(from, from + MAX_COMMAND_TAIL + 1);
  const stop = tail.search(COMMAND_END);
  return from + (stop < 0 ? Math.min(tail.length, MAX_COMMAND_TAIL) : stop);
}

function findCommands(text: string, enabled: ReadonlySet<string>): Finding[] {
  const lowered = text.toLowerCase();
  const findings: Finding[] = [];
  for (const { kind, pattern, needs, what, part } of patterns) {
    if (!enabled.has(kind)) continue;
    if (!needs.some((literal) => lowered.includes(literal))) continue;
    for (const match of text.matchAll(pattern))
      findings.push({
        detector: 'dangerous_command',
        kind,
        span: { start: match.index, end: commandEnd(text, match.index + match[0].length) },
        score: SCORE[kind],
        evidence: `${part}: ${what}`,
      });
  }
  return findings;
}

export const dangerousCommandDetector = defineDetector({
  meta: {
    name: 'dangerous_command',
    description:
      'Commands a reader is told to run that expose or send secrets, wipe a home directory, or run code unseen (the ClickFix vocabulary): in model answers, and in documents an agent with a terminal reads.',
    stages: ['output', 'retrieval', 'ingest'],
    cost: 'cheap',
    kinds,
  },
  configSchema: dangerousCommandConfigSchema,
  detect(text, config): Finding[] {
    const enabled = new Set<string>(config.kinds);
    return scanVisible(text, (visible) => findCommands(visible, enabled));
  },
});
