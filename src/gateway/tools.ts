import { z } from 'zod';
import type { DetectionContext, DetectorRegistry } from '../detectors/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import { GuardEngine } from '../guard/index.ts';
import type {
  DetectorBindings,
  DetectorRule,
  GuardPolicy,
  GuardResult,
  PlaceholderVault,
} from '../guard/index.ts';
import type { ToolCall } from './providers.ts';

/** OpenAI's function names: what its API accepts, so nothing else reaches an upstream. */
const functionName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of a-z, A-Z, 0-9, _, -');

export const functionToolSchema = z.strictObject({
  type: z.literal('function'),
  function: z.strictObject({
    name: functionName,
    description: z.string().max(100_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

export const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: functionName }) }),
]);

export const toolCallSchema = z.strictObject({
  id: z.string().min(1).max(256),
  type: z.literal('function'),
  function: z.strictObject({ name: functionName, arguments: z.string().max(1_000_000) }),
});

/** Arguments text of one streamed answer's tool calls kept in memory (a call's JSON is KBs). */
export const MAX_TOOL_ARGUMENT_CHARS = 1_000_000;
/** Tool calls of one streamed answer (a request may declare at most 128 tools). */
export const MAX_TOOL_CALLS = 128;
/** A JSON text to be redacted value by value may hold this many string values; more blocks. */
export const MAX_REDACTED_JSON_VALUES = 10_000;
/** JSON nesting past this is not walked (and such arguments are checked as raw text). */
const MAX_JSON_DEPTH = 64;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function parseJson(text: string): { value: Json } | undefined {
  try {
    return { value: JSON.parse(text) as Json };
  } catch {
    return undefined;
  }
}

function depthWithin(value: Json, depth: number): boolean {
  if (depth > MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => depthWithin(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    return Object.values(value).every((item) => depthWithin(item, depth + 1));
  }
  return true;
}

function collectStrings(value: Json, into: string[]): void {
  if (typeof value === 'string') into.push(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      collectStrings(item, into);
    }
  }
}

/**
 * What the rails read of a JSON text (tool-call arguments, a parameters schema): its keys and
 * string values, one per line, with JSON's escapes undone, so `"cat ~/.ssh/id_rsa"` reads as the
 * command it is. Text that is not JSON (or nested past reason) is read as it is.
 */
export function readableJson(text: string): string {
  const parsed = parseJson(text);
  if (parsed === undefined || !depthWithin(parsed.value, 0)) return text;
  const strings: string[] = [];
  collectStrings(parsed.value, strings);
  return strings.join('\n');
}

/** JSON's whitespace, which may stand between a key and its colon. */
function isJsonSpace(character: string | undefined): boolean {
  return character === ' ' || character === '\t' || character === '\n' || character === '\r';
}

/**
 * The JSON text with every string value passed through `map` (keys kept), or `map(text)` for
 * text that is not JSON. Only the string literals whose value changed are rewritten, in place:
 * numbers past 2^53 (ids), spacing and key order stay as the model wrote them, and the result
 * is still JSON.
 */
export function mapJsonStrings(text: string, map: (value: string) => string): string {
  const parsed = parseJson(text);
  if (parsed === undefined || !depthWithin(parsed.value, 0)) return map(text);
  const parts: string[] = [];
  let copiedTo = 0;
  let at = 0;
  while (at < text.length) {
    if (text[at] !== '"') {
      at += 1;
      continue;
    }
    // The text parsed, so every literal is well formed: a backslash always escapes one more.
    let end = at + 1;
    while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    let next = end + 1;
    while (isJsonSpace(text[next])) next += 1;
    if (text[next] !== ':') {
      const literal = text.slice(at, end + 1);
      const value = JSON.parse(literal) as string;
      const mapped = map(value);
      if (mapped !== value) {
        parts.push(text.slice(copiedTo, at), JSON.stringify(mapped));
        copiedTo = end + 1;
      }
    }
    at = end + 1;
  }
  parts.push(text.slice(copiedTo));
  return parts.join('');
}

/**
 * A guard for tool-call arguments: the configured argument rules as the `output` stage of an
 * engine of their own, in the policy's mode (a dry run stays a dry run).
 */
export function toolArgumentGuard(
  policy: GuardPolicy,
  registry: DetectorRegistry,
  rules: readonly DetectorRule[],
  bindings?: DetectorBindings,
): GuardEngine {
  const none = { maxChars: policy.stages.output.maxChars, detectors: [] };
  return new GuardEngine(
    {
      mode: policy.mode,
      stages: {
        ingest: none,
        input: none,
        retrieval: none,
        output: { maxChars: policy.stages.output.maxChars, detectors: [...rules] },
      },
    },
    registry,
    bindings,
  );
}

export type ArgumentCheck =
  | { blocked: true; result: GuardResult }
  | { blocked: false; arguments: string; result: GuardResult };

/**
 * Rails on a JSON text: a tool call's arguments, or an answer the client asked to be JSON. The
 * readable text is checked whole; when the policy redacts, each string value is checked and
 * rewritten alone so the text stays valid JSON. If no value alone shows what the whole did (a
 * finding across values), the text is blocked: a redaction that cannot be placed must not let
 * it through. Text that is not JSON is checked and rewritten as it is.
 */
export function guardJsonText(
  guard: GuardEngine,
  argumentsText: string,
  context: DetectionContext,
  vault?: PlaceholderVault,
): ArgumentCheck {
  const readable = readableJson(argumentsText);
  const result = guard.check(readable, context, vault);
  if (result.effective === 'block') return { blocked: true, result };
  if (result.text === readable) return { blocked: false, arguments: argumentsText, result };
  const values = { checked: 0, changed: 0 };
  const rewritten = mapJsonStrings(argumentsText, (value) => {
    values.checked += 1;
    // Past this many values a hostile JSON text would cost a check each: it is blocked instead.
    if (values.checked > MAX_REDACTED_JSON_VALUES) return value;
    const text = guard.check(value, context, vault).text;
    if (text !== value) values.changed += 1;
    return text;
  });
  if (values.changed === 0 || values.checked > MAX_REDACTED_JSON_VALUES)
    return { blocked: true, result: { ...result, effective: 'block' } };
  return { blocked: false, arguments: rewritten, result };
}

/** The text of a tool definition the rails read: name, description, and its schema's strings. */
export function toolDefinitionText(tool: z.output<typeof functionToolSchema>): string {
  const schema =
    tool.function.parameters === undefined
      ? ''
      : readableJson(JSON.stringify(tool.function.parameters));
  return [tool.function.name, tool.function.description ?? '', schema]
    .filter((part) => part !== '')
    .join('\n');
}

/** Tool calls of a streamed answer, assembled from their pieces in the order they began. */
export class ToolCallAccumulator {
  private readonly calls = new Map<number, { id: string; name: string; arguments: string }>();
  private chars = 0;

  constructor(private readonly provider: string) {}

  get size(): number {
    return this.calls.size;
  }

  add(piece: { index: number; id?: string; name?: string; arguments?: string }): void {
    let call = this.calls.get(piece.index);
    if (call === undefined) {
      if (this.calls.size >= MAX_TOOL_CALLS) {
        throw new GuardstreamError('GS_ERR_UPSTREAM', {
          message: `Provider ${this.provider} streamed more than ${String(MAX_TOOL_CALLS)} tool calls`,
        });
      }
      call = { id: '', name: '', arguments: '' };
      this.calls.set(piece.index, call);
    }
    if (piece.id !== undefined && piece.id !== '') call.id = piece.id;
    // Names and arguments both count: a stream of endless name pieces is no better.
    this.chars += (piece.name?.length ?? 0) + (piece.arguments?.length ?? 0);
    if (this.chars > MAX_TOOL_ARGUMENT_CHARS) {
      throw new GuardstreamError('GS_ERR_UPSTREAM', {
        message: `Provider ${this.provider} streamed tool calls over ${String(MAX_TOOL_ARGUMENT_CHARS)} characters`,
      });
    }
    if (piece.name !== undefined) call.name += piece.name;
    if (piece.arguments !== undefined) call.arguments += piece.arguments;
  }

  toolCalls(): ToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({
        id: call.id === '' ? `call_${String(index)}` : call.id,
        name: call.name,
        arguments: call.arguments,
      }));
  }
}
