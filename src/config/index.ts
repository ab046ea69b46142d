import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GuardstreamError } from '../errors/index.ts';
import { applyEnvOverrides } from './env.ts';
import { configSchema } from './schema.ts';
import type { GuardstreamConfig } from './schema.ts';

export { configSchema, embeddedKafkaSchema, kafkaSchema, serverSchema } from './schema.ts';
export type { GuardstreamConfig, GuardstreamConfigInput } from './schema.ts';
export { envOverrides, applyEnvOverrides } from './env.ts';
export type { EnvOverride } from './env.ts';

export const DEFAULT_CONFIG_FILE = 'guardstream.yaml';

export interface ConfigIssue {
  /** Dotted path to the offending key, e.g. `kafka.embedded.port`; empty for the document. */
  path: string;
  message: string;
  /** 1-based line in the file, when the key can be located there. */
  line?: number;
}

export type ConfigResult =
  { ok: true; config: GuardstreamConfig } | { ok: false; issues: ConfigIssue[] };

export interface LoadConfigOptions {
  /** A YAML file. When omitted, `guardstream.yaml` in `cwd` is used if it exists, else defaults. */
  file?: string;
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
}

/** The JSON Schema of guardstream.yaml, for editors, users and the console. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://guardstream.dev/schemas/guardstream.schema.json',
    title: 'Guardstream configuration',
    ...z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }),
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((segment) => String(segment)).join('.');
}

/**
 * Validates a parsed document (plus environment overrides). Collects every issue rather than
 * stopping at the first, because fixing a config one error per run is miserable.
 */
export function validateConfig(
  document: unknown,
  env: Readonly<Record<string, string | undefined>> = {},
): ConfigResult {
  const parsed = configSchema.safeParse(applyEnvOverrides(document ?? {}, env));
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, issues: flattenIssues(parsed.error.issues) };
}

function flattenIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  const flat: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      // One issue per unknown key, at the key's own path, so each can be located and fixed.
      for (const key of issue.keys) {
        flat.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
      }
      continue;
    }
    flat.push({ path: formatPath(issue.path), message: issue.message });
  }
  return flat;
}

/** Parses and validates YAML text. `source` names the file in messages. */
export function parseConfigText(
  text: string,
  env: Readonly<Record<string, string | undefined>> = {},
): ConfigResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((error) => {
        const line = lineCounter.linePos(error.pos[0]).line;
        return {
          path: '',
          message: `YAML: ${error.message.split('\n')[0] ?? error.code}`,
          line,
        };
      }),
    };
  }
  const result = validateConfig(doc.toJS() as unknown, env);
  if (result.ok) return result;
  return {
    ok: false,
    issues: result.issues.map((issue) => {
      const line = locate(doc, issue.path, lineCounter);
      return line === undefined ? issue : { ...issue, line };
    }),
  };
}

function locate(
  doc: ReturnType<typeof parseDocument>,
  path: string,
  lineCounter: LineCounter,
): number | undefined {
  if (path === '') return undefined;
  const segments = path.split('.');
  for (let depth = segments.length; depth > 0; depth -= 1) {
    const parentPath = segments.slice(0, depth - 1).map(segmentKey);
    const parent: unknown = parentPath.length === 0 ? doc.contents : doc.getIn(parentPath, true);
    const last = segments[depth - 1];
    if (last === undefined) continue;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => {
        const key: unknown = item.key;
        return (
          typeof key === 'object' && key !== null && 'value' in key && String(key.value) === last
        );
      });
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    if (isSeq(parent)) {
      const item = parent.items[Number(last)] as { range?: [number, number, number] } | undefined;
      if (item?.range) return lineCounter.linePos(item.range[0]).line;
    }
  }
  return undefined;
}

function segmentKey(segment: string): string | number {
  return /^\d+$/.test(segment) ? Number(segment) : segment;
}

export function describeIssues(issues: readonly ConfigIssue[], source?: string): string {
  return issues
    .map((issue) => {
      const where = [source, issue.line === undefined ? undefined : `line ${issue.line}`]
        .filter((part) => part !== undefined)
        .join(':');
      const path = issue.path === '' ? '(document)' : issue.path;
      return `${where === '' ? '' : `${where}: `}${path}: ${issue.message}`;
    })
    .join('\n');
}

/**
 * Loads the configuration once at start-up. Throws GS_ERR_CONFIG_* with every issue listed.
 */
export function loadConfig(options: LoadConfigOptions = {}): GuardstreamConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file !== undefined;
  const file = resolve(cwd, options.file ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (explicit) {
      throw new GuardstreamError('GS_ERR_CONFIG_NOT_FOUND', {
        message: `Configuration file not found: ${file}`,
        details: { file },
      });
    }
    const result = validateConfig({}, env);
    if (result.ok) return result.config;
    throw configError(result.issues, 'environment');
  }
  const result = parseConfigText(readFileSync(file, 'utf8'), env);
  if (result.ok) return result.config;
  throw configError(result.issues, file);
}

function configError(issues: readonly ConfigIssue[], source: string): GuardstreamError {
  return new GuardstreamError('GS_ERR_CONFIG_INVALID', {
    message: `Invalid configuration (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n${describeIssues(issues, source)}`,
    details: { source, issues },
  });
}
