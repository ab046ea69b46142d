import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadConfig } from '../config/index.ts';
import { Keyring, compileContract, decryptValue } from '../contracts/index.ts';
import { builtInDetectors, stages } from '../detectors/index.ts';
import type { Stage } from '../detectors/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import { GuardEngine } from '../guard/index.ts';
import type { CliIo, Flags } from './index.ts';

function stageOf(values: Flags): Stage {
  const stage = values.stage ?? 'input';
  if (!(stages as readonly string[]).includes(stage)) {
    throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
      message: `--stage must be one of ${stages.join(', ')}, not "${stage}"`,
    });
  }
  return stage as Stage;
}

function configFor(values: Flags, io: CliIo): ReturnType<typeof loadConfig> {
  return loadConfig({
    ...(values.config === undefined ? {} : { file: values.config }),
    env: io.env,
    cwd: io.cwd,
  });
}

/** `guardstream contracts test NAME --record JSON [--key K]`: one record, no Kafka. */
export async function contractsCommand(
  subcommand: string | undefined,
  rest: readonly string[],
  values: Flags,
  io: CliIo,
): Promise<number> {
  const [name] = rest;
  if (subcommand !== 'test' || name === undefined || values.record === undefined) {
    io.err('Usage: guardstream contracts test NAME --record JSON [--key KEY]\n');
    return 2;
  }
  const config = configFor(values, io);
  const contract = config.contracts.find((candidate) => candidate.name === name);
  if (contract === undefined) {
    io.err(
      `No contract named ${name} (configured: ${config.contracts.map((c) => c.name).join(', ') || 'none'})\n`,
    );
    return 2;
  }
  const evaluate = compileContract(contract, {
    guard: await GuardEngine.start(config.guard, builtInDetectors()),
    hashSalt: io.env.GUARDSTREAM_HASH_SALT ?? '',
    keyring: keyringFor(values, io),
  });
  // A record is typed as its JSON; a contract reading Confluent's framing gets it framed with
  // schema id 0.
  const json = Buffer.from(values.record);
  const outcome = evaluate({
    key: values.key ?? null,
    value:
      contract.valueFormat === 'confluent-json' ? Buffer.concat([Buffer.alloc(5), json]) : json,
    headers: {},
  });
  io.out(
    `${JSON.stringify(outcome.ok ? { ...outcome, target: contract.target } : { ...outcome, dlq: contract.dlq })}\n`,
  );
  return outcome.ok ? 0 : 1;
}

export async function scanTextCommand(text: string, values: Flags, io: CliIo): Promise<number> {
  const stage = stageOf(values);
  const result = (await GuardEngine.start(configFor(values, io).guard, builtInDetectors())).check(
    text,
    { stage },
  );
  if (values.json === true) {
    io.out(`${JSON.stringify(result)}\n`);
  } else {
    io.out(
      `decision: ${result.decision}${result.effective === result.decision ? '' : ` (monitor mode: ${result.effective})`}\n`,
    );
    for (const finding of result.findings) {
      const where =
        finding.span === undefined ? '' : ` [${finding.span.start}, ${finding.span.end})`;
      io.out(
        `  ${finding.action.padEnd(6)} ${finding.detector}/${finding.kind}${where} score ${finding.score.toFixed(2)}: ${finding.evidence}\n`,
      );
    }
    for (const reason of result.reasons) io.out(`  reason: ${reason}\n`);
    if (result.text !== text) io.out(`redacted: ${result.text}\n`);
  }
  return result.effective === 'block' ? 1 : 0;
}

interface EvalLine {
  text: string;
  label: 0 | 1;
  source?: string;
  /** Overrides --stage for this line: documents are checked where documents are. */
  stage?: Stage;
  /** What the output detectors compare an answer with: prompt_leak, groundedness. */
  systemPrompt?: string;
  canary?: string;
  context?: string[];
}

const EVAL_LINE_SHAPE =
  '{"text": string, "label": 0|1, "source"?: string, "stage"?: STAGE, "systemPrompt"?: string, "canary"?: string, "context"?: string[]}';

function parseLine(line: string, number: number): EvalLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new GuardstreamError('GS_ERR_INVALID_REQUEST', { message: `line ${number}: not JSON` });
  }
  const record = parsed as {
    text?: unknown;
    label?: unknown;
    source?: unknown;
    stage?: unknown;
    systemPrompt?: unknown;
    canary?: unknown;
    context?: unknown;
  } | null;
  const optionalString = (value: unknown): boolean =>
    value === undefined || typeof value === 'string';
  if (
    record === null ||
    typeof record.text !== 'string' ||
    (record.label !== 0 && record.label !== 1) ||
    (record.stage !== undefined && !(stages as readonly unknown[]).includes(record.stage)) ||
    !optionalString(record.systemPrompt) ||
    !optionalString(record.canary) ||
    (record.context !== undefined &&
      !(Array.isArray(record.context) && record.context.every((item) => typeof item === 'string')))
  ) {
    throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
      message: `line ${number}: expected ${EVAL_LINE_SHAPE.replace('STAGE', stages.map((stage) => `"${stage}"`).join('|'))}`,
    });
  }
  return {
    text: record.text,
    label: record.label,
    ...(typeof record.source === 'string' ? { source: record.source } : {}),
    ...(record.stage === undefined ? {} : { stage: record.stage as Stage }),
    ...(typeof record.systemPrompt === 'string' ? { systemPrompt: record.systemPrompt } : {}),
    ...(typeof record.canary === 'string' ? { canary: record.canary } : {}),
    ...(Array.isArray(record.context)
      ? { context: record.context.filter((item): item is string => typeof item === 'string') }
      : {}),
  };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const rate = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : numerator / denominator;

export async function evalCommand(values: Flags, io: CliIo): Promise<number> {
  if (values.data === undefined) {
    io.err('Usage: guardstream eval --data FILE.jsonl [--stage STAGE] [--json]\n');
    return 2;
  }
  const stage = stageOf(values);
  const engine = await GuardEngine.start(configFor(values, io).guard, builtInDetectors());
  const lines = createInterface({
    input: createReadStream(resolve(io.cwd, values.data)),
    crlfDelay: Infinity,
  });
  const latencies: number[] = [];
  const bySource = new Map<
    string,
    { n: number; tp: number; fp: number; positives: number; negatives: number }
  >();
  let n = 0;
  let tp = 0;
  let fp = 0;
  let positives = 0;
  let negatives = 0;
  let number = 0;
  for await (const raw of lines) {
    number += 1;
    if (raw.trim() === '') continue;
    const line = parseLine(raw, number);
    const started = performance.now();
    const result = engine.check(line.text, {
      stage: line.stage ?? stage,
      ...(line.systemPrompt === undefined ? {} : { systemPrompt: line.systemPrompt }),
      ...(line.canary === undefined ? {} : { canary: line.canary }),
      ...(line.context === undefined ? {} : { context: line.context }),
    });
    latencies.push(performance.now() - started);
    const predicted = result.decision !== 'allow';
    const source = bySource.get(line.source ?? 'unknown') ?? {
      n: 0,
      tp: 0,
      fp: 0,
      positives: 0,
      negatives: 0,
    };
    n += 1;
    source.n += 1;
    if (line.label === 1) {
      positives += 1;
      source.positives += 1;
      if (predicted) {
        tp += 1;
        source.tp += 1;
      }
    } else {
      negatives += 1;
      source.negatives += 1;
      if (predicted) {
        fp += 1;
        source.fp += 1;
      }
    }
    bySource.set(line.source ?? 'unknown', source);
    if (values.json !== true && n % 500 === 0) io.err(`\r${n} lines…`);
  }
  latencies.sort((a, b) => a - b);
  const tpr = rate(tp, positives);
  const precision = rate(tp, tp + fp);
  const report = {
    n,
    tpr,
    fpr: rate(fp, negatives),
    precision,
    f1:
      tpr === null || precision === null || tpr + precision === 0
        ? null
        : (2 * tpr * precision) / (tpr + precision),
    latency_ms: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) },
    by_source: Object.fromEntries(
      [...bySource].map(([name, s]) => [
        name,
        { n: s.n, tpr: rate(s.tp, s.positives), fpr: rate(s.fp, s.negatives) },
      ]),
    ),
  };
  if (values.json === true) {
    io.out(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const show = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(3));
  io.out(
    `\nstage ${stage} (unless a line names its own): n ${n}  TPR ${show(report.tpr)}  FPR ${show(report.fpr)}  precision ${show(report.precision)}  F1 ${show(report.f1)}  latency p50 ${report.latency_ms.p50.toFixed(3)} ms  p99 ${report.latency_ms.p99.toFixed(3)} ms\n`,
  );
  for (const [name, s] of Object.entries(report.by_source)) {
    io.out(
      `  ${name.padEnd(24)} n ${String(s.n).padStart(6)}  TPR ${show(s.tpr)}  FPR ${show(s.fpr)}\n`,
    );
  }
  return 0;
}

/** Keys from `--keyring FILE` when given, else from GUARDSTREAM_KEY_<ID> variables. */
function keyringFor(values: Flags, io: CliIo): Keyring {
  return values.keyring === undefined
    ? Keyring.fromEnv(io.env)
    : Keyring.fromFile(resolve(io.cwd, values.keyring));
}

/** `guardstream decrypt VALUE [--keyring FILE]`: for consumers entitled to an encrypted field. */
export function decryptCommand(value: string | undefined, values: Flags, io: CliIo): number {
  if (value === undefined) {
    io.err(
      'Usage: guardstream decrypt VALUE [--keyring FILE]  (or keys in GUARDSTREAM_KEY_<ID>)\n',
    );
    return 2;
  }
  io.out(`${JSON.stringify(decryptValue(value, keyringFor(values, io)))}\n`);
  return 0;
}
