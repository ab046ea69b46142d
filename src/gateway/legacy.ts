import { GuardstreamError, isGuardstreamError } from '../errors/index.ts';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A request in OpenAI's deprecated function-calling form (`functions`, `function_call`,
 * `role: "function"` messages, assistant `function_call`), rewritten in the tools form the rest of
 * the gateway rails, so older clients get the same rails; `legacy` says to answer in their form.
 * Shapes are not checked here: the request schema checks the rewritten request.
 */
export function fromLegacyFunctions(raw: unknown): { body: unknown; legacy: boolean } {
  if (!isObject(raw)) return { body: raw, legacy: false };
  const messages = Array.isArray(raw.messages) ? (raw.messages as unknown[]) : undefined;
  const legacy =
    'functions' in raw ||
    'function_call' in raw ||
    (messages?.some(
      (message) => isObject(message) && (message.role === 'function' || 'function_call' in message),
    ) ??
      false);
  if (!legacy) return { body: raw, legacy: false };
  if ('tools' in raw || 'tool_choice' in raw || 'parallel_tool_calls' in raw) {
    throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
      message: 'functions / function_call cannot be mixed with tools / tool_choice',
      param: 'functions',
    });
  }
  const { functions, function_call: choice, ...rest } = raw;
  const body: JsonObject = { ...rest };
  if (functions !== undefined) {
    body.tools = Array.isArray(functions)
      ? (functions as unknown[]).map((definition) => ({ type: 'function', function: definition }))
      : functions;
    // The legacy answer carries one call.
    body.parallel_tool_calls = false;
  }
  if (choice !== undefined) {
    body.tool_choice = isObject(choice) ? { type: 'function', function: choice } : choice;
  }
  if (messages !== undefined) {
    // Legacy calls have no ids: each gets one, and a function result answers the latest call
    // of its name.
    const idsByName = new Map<string, string>();
    let latest: string | undefined;
    body.messages = messages.map((message, index) => {
      if (!isObject(message)) return message;
      if (message.role === 'assistant' && 'function_call' in message) {
        const { function_call: call, ...others } = message;
        const id = `call_fn_${String(index)}`;
        if (isObject(call) && typeof call.name === 'string') idsByName.set(call.name, id);
        latest = id;
        return { ...others, tool_calls: [{ id, type: 'function', function: call }] };
      }
      if (message.role === 'function') {
        const { name, ...others } = message;
        const id = (typeof name === 'string' ? idsByName.get(name) : undefined) ?? latest;
        if (id === undefined) {
          throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
            message: 'A function message must follow the assistant message that called it',
            param: `messages[${String(index)}]`,
          });
        }
        return { ...others, role: 'tool', tool_call_id: id };
      }
      return message;
    });
  }
  return { body, legacy: true };
}

// Indexes are written `[0]` by the rails and `.0` by the schema's paths; both are kept as sent.
const INDEX = String.raw`(?:\[\d+\]|\.\d+)`;
const LEGACY_PARAMS: readonly (readonly [RegExp, string])[] = [
  [new RegExp(String.raw`^tools(${INDEX})\.function(?=\.|$)`), 'functions$1'],
  [/^tools(?=\[|\.\d|$)/, 'functions'],
  [/^tool_choice\.function(?=\.|$)/, 'function_call'],
  [/^tool_choice(?=\.|$)/, 'function_call'],
  [/^parallel_tool_calls$/, 'functions'],
  [
    new RegExp(String.raw`^(messages${INDEX})\.tool_calls${INDEX}\.function(?=\.|$)`),
    '$1.function_call',
  ],
  [new RegExp(String.raw`^(messages${INDEX})\.tool_calls(?=\[|\.|$)`), '$1.function_call'],
  [new RegExp(String.raw`^(messages${INDEX})\.tool_call_id$`), '$1.name'],
];

/**
 * A request field as the legacy client wrote it: errors found on the rewritten request (a
 * malformed or poisoned function definition, a bad `function_call`) name the client's own
 * field, not the `tools[i]` it never sent.
 */
export function toLegacyParam(param: string): string {
  for (const [pattern, replacement] of LEGACY_PARAMS) {
    const rewritten = param.replace(pattern, replacement);
    if (rewritten !== param) return rewritten;
  }
  return param;
}

/** The same error with the fields it names written as the legacy client wrote them. */
export function toLegacyError(error: unknown): unknown {
  if (!isGuardstreamError(error) || error.param === null) return error;
  const param = toLegacyParam(error.param);
  if (param === error.param) return error;
  return new GuardstreamError(error.code, {
    message: error.message.split(error.param).join(param),
    param,
    details: error.details,
    cause: error,
  });
}

/** The legacy form of an answer's message: its first call as `function_call`. */
export function toLegacyMessage(message: JsonObject): JsonObject {
  const { tool_calls: calls, ...others } = message;
  const first = Array.isArray(calls) ? (calls[0] as JsonObject | undefined) : undefined;
  return first === undefined ? others : { ...others, function_call: first.function };
}

/** The legacy finish reason: `function_call` where the tools form says `tool_calls`. */
export const toLegacyFinish = (reason: string): string =>
  reason === 'tool_calls' ? 'function_call' : reason;
