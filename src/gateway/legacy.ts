import { GuardstreamError } from '../errors/index.ts';

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

/** The legacy form of an answer's message: its first call as `function_call`. */
export function toLegacyMessage(message: JsonObject): JsonObject {
  const { tool_calls: calls, ...others } = message;
  const first = Array.isArray(calls) ? (calls[0] as JsonObject | undefined) : undefined;
  return first === undefined ? others : { ...others, function_call: first.function };
}

/** The legacy finish reason: `function_call` where the tools form says `tool_calls`. */
export const toLegacyFinish = (reason: string): string =>
  reason === 'tool_calls' ? 'function_call' : reason;
