import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { GuardstreamError } from '../errors/index.ts';
import type { ProviderConfig } from './config.ts';

/** A function call the model asked for; `arguments` is the model's JSON text, unparsed. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** An image part of a user message, sent on as OpenAI's `image_url` part. */
export interface UpstreamImage {
  url: string;
  detail?: 'auto' | 'low' | 'high';
  /** The text read in it (read mode), kept for the sovereignty check; never sent. */
  text?: string;
}

export interface UpstreamMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** On user messages: images, after the message's text. */
  images?: UpstreamImage[];
  /** On assistant messages of the history: the calls the model made. */
  toolCalls?: ToolCall[];
  /** On tool messages: the call this is the result of. */
  toolCallId?: string;
}

/** A function the model may call, in OpenAI's wire form (validated by the request schema). */
export interface FunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string | undefined;
    parameters?: Record<string, unknown> | undefined;
    strict?: boolean | null | undefined;
  };
}

export type ToolChoice =
  'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

/** OpenAI's `response_format`, validated by the request schema and passed on as it is. */
export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: {
        name: string;
        description?: string | undefined;
        schema?: Record<string, unknown> | undefined;
        strict?: boolean | null | undefined;
      };
    };

export interface UpstreamRequest {
  model: string;
  messages: UpstreamMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  tools?: FunctionTool[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /** Choices to generate (OpenAI's `n`); only sent when above 1. */
  n?: number;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** One answer of a completion. */
export interface CompletionChoice {
  content: string;
  toolCalls: ToolCall[];
  finishReason: string;
}

/** The first choice's fields, and the others when the request asked for `n` > 1. */
export interface Completion extends CompletionChoice {
  usage: TokenUsage | undefined;
  otherChoices?: CompletionChoice[];
}

export type StreamEvent =
  | { type: 'delta'; text: string }
  /** A piece of a streamed tool call: `index` says which; later pieces carry more arguments. */
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments?: string }
  | { type: 'finish'; finishReason: string }
  | { type: 'usage'; usage: TokenUsage };

/** A model backend: an OpenAI-compatible HTTP API or the embedded local model. */
export interface ChatProvider {
  readonly config: ProviderConfig;
  /** Whether requests with tools (and histories with tool calls) may be sent to it. */
  readonly callsTools: boolean;
  /** Whether messages with image parts may be sent to it. */
  readonly readsImages: boolean;
  /** Most choices (`n`) one request may ask it for. */
  readonly maxChoices: number;
  complete(request: UpstreamRequest, signal: AbortSignal): Promise<Completion>;
  stream(request: UpstreamRequest, signal: AbortSignal): AsyncIterable<StreamEvent>;
  close(): Promise<void>;
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

interface OpenAiToolCall {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface OpenAiCompletion {
  choices?: {
    message?: { content?: string | null; tool_calls?: OpenAiToolCall[] | null };
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage | null;
}

interface OpenAiChunk {
  choices?: {
    delta?: { content?: string | null; tool_calls?: OpenAiToolCall[] | null };
    finish_reason?: string | null;
  }[];
  usage?: OpenAiUsage | null;
}

/** A message in OpenAI's wire form. */
function wireMessage(message: UpstreamMessage): Record<string, unknown> {
  if (message.role === 'tool') {
    return { role: 'tool', content: message.content, tool_call_id: message.toolCallId ?? '' };
  }
  if (message.role === 'assistant' && message.toolCalls !== undefined) {
    return {
      role: 'assistant',
      content: message.content === '' ? null : message.content,
      tool_calls: message.toolCalls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments },
      })),
    };
  }
  if (message.images !== undefined && message.images.length > 0) {
    return {
      role: message.role,
      content: [
        ...(message.content === '' ? [] : [{ type: 'text', text: message.content }]),
        ...message.images.map((image) => ({
          type: 'image_url',
          image_url:
            image.detail === undefined
              ? { url: image.url }
              : { url: image.url, detail: image.detail },
        })),
      ],
    };
  }
  return { role: message.role, content: message.content };
}

/** The complete tool calls of a non-streamed answer; malformed entries are kept as far as read. */
function toolCallsOf(calls: OpenAiToolCall[] | null | undefined): ToolCall[] {
  return (calls ?? []).map((call, index) => ({
    id: typeof call.id === 'string' ? call.id : `call_${String(index)}`,
    name: typeof call.function?.name === 'string' ? call.function.name : '',
    arguments: typeof call.function?.arguments === 'string' ? call.function.arguments : '',
  }));
}

function usageOf(usage: OpenAiUsage | null | undefined): TokenUsage | undefined {
  if (usage === null || usage === undefined) return undefined;
  return {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
  };
}

/** An answer larger than this is refused rather than held in memory (a chat answer is KBs). */
export const MAX_UPSTREAM_ANSWER_BYTES = 16 * 1024 * 1024;
/** Longest line of a streamed answer; server-sent events are short lines. */
const MAX_STREAM_LINE_CHARS = 1024 * 1024;

/**
 * Any OpenAI-compatible chat completions API (OpenAI, vLLM, llama.cpp server, Ollama, …), over
 * Node's own HTTP client with a keep-alive pool per provider. `fetch` was measured first: its
 * web streams, finalisation registry and `AbortSignal.any` cost ~30 KB of objects per request
 * that lived long enough to be promoted, and the gateway's tail latency was its collections.
 */
export class OpenAiCompatibleProvider implements ChatProvider {
  readonly callsTools = true;
  readonly readsImages = true;
  readonly maxChoices = 8;
  private readonly agent: HttpAgent;
  private readonly endpoint: URL;

  constructor(
    readonly config: ProviderConfig,
    private readonly apiKey: string | undefined,
  ) {
    this.endpoint = new URL(`${(config.baseUrl ?? '').replace(/\/+$/, '')}/chat/completions`);
    const options = { keepAlive: true, maxSockets: 256, scheduling: 'lifo' as const };
    this.agent =
      this.endpoint.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
  }

  /**
   * One upstream exchange. The caller's signal and the provider timeout destroy it; `release`
   * (called once the body is read or abandoned) clears the timer and the listener, so nothing
   * of a finished request outlives it.
   */
  private post(
    request: UpstreamRequest,
    stream: boolean,
    signal: AbortSignal,
  ): Promise<{ response: IncomingMessage; release: () => void; timedOut: () => boolean }> {
    const payload = JSON.stringify({
      model: request.model,
      messages: request.messages.map(wireMessage),
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.topP === undefined ? {} : { top_p: request.topP }),
      ...(request.stop === undefined ? {} : { stop: request.stop }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(request.tools === undefined ? {} : { tools: request.tools }),
      ...(request.toolChoice === undefined ? {} : { tool_choice: request.toolChoice }),
      ...(request.parallelToolCalls === undefined
        ? {}
        : { parallel_tool_calls: request.parallelToolCalls }),
      ...(request.responseFormat === undefined ? {} : { response_format: request.responseFormat }),
      ...(request.n === undefined || request.n <= 1 ? {} : { n: request.n }),
    });
    const send = this.endpoint.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(this.endpoint, {
      method: 'POST',
      agent: this.agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        ...(this.apiKey === undefined ? {} : { authorization: `Bearer ${this.apiKey}` }),
      },
    });
    let timedOut = false;
    let received: IncomingMessage | undefined;
    // Before the answer starts, the request is destroyed; after, the answer is (destroying the
    // request then would reach a socket that may already be back in the keep-alive pool).
    const cut = (reason: Error): void => {
      if (received === undefined) outgoing.destroy(reason);
      else if (!received.complete) received.destroy(reason);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      cut(new DOMException('The upstream did not answer in time', 'TimeoutError'));
    }, this.config.timeoutMs);
    const forward = (): void => {
      cut(new DOMException('The client went away', 'AbortError'));
    };
    const release = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', forward);
    };
    if (signal.aborted) forward();
    else signal.addEventListener('abort', forward, { once: true });
    return new Promise((resolve, reject) => {
      // `on`, not `once`: a socket can fail again after the first error was reported.
      outgoing.on('error', (cause) => {
        release();
        reject(upstreamFailure(this.config.name, cause, timedOut));
      });
      outgoing.once('response', (response) => {
        received = response;
        // Errors reach the reader through its async iterator (a destroyed stream rethrows them);
        // this keeps one that arrives before reading starts from being an uncaught exception.
        response.on('error', () => undefined);
        // Once the answer is in (or gone), nothing may destroy the request any more: its socket
        // is back in the keep-alive pool, possibly serving another exchange.
        response.once('close', release);
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) {
          // The upstream's own message may echo the prompt; only its status is passed on.
          response.resume();
          release();
          reject(
            new GuardstreamError('GS_ERR_UPSTREAM', {
              message: `Provider ${this.config.name} answered HTTP ${String(status)}`,
            }),
          );
          return;
        }
        resolve({ response, release, timedOut: () => timedOut });
      });
      outgoing.end(payload);
    });
  }

  async complete(request: UpstreamRequest, signal: AbortSignal): Promise<Completion> {
    const { response, release, timedOut } = await this.post(request, false, signal);
    let body: OpenAiCompletion;
    try {
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of response) {
        bytes += (chunk as Buffer).length;
        if (bytes > MAX_UPSTREAM_ANSWER_BYTES) {
          response.destroy();
          throw new GuardstreamError('GS_ERR_UPSTREAM', {
            message: `Provider ${this.config.name} sent more than ${String(MAX_UPSTREAM_ANSWER_BYTES)} bytes`,
          });
        }
        chunks.push(chunk as Buffer);
      }
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OpenAiCompletion;
      } catch (cause) {
        throw new GuardstreamError('GS_ERR_UPSTREAM', {
          message: `Provider ${this.config.name} sent an unreadable answer`,
          cause,
        });
      }
    } catch (cause) {
      if (cause instanceof GuardstreamError) throw cause;
      throw upstreamFailure(this.config.name, cause, timedOut());
    } finally {
      release();
    }
    const choices = (body.choices ?? []).map((choice) => ({
      content: choice.message?.content ?? '',
      toolCalls: toolCallsOf(choice.message?.tool_calls),
      finishReason: choice.finish_reason ?? 'stop',
    }));
    const [first, ...others] = choices;
    return {
      ...(first ?? { content: '', toolCalls: [], finishReason: 'stop' }),
      usage: usageOf(body.usage),
      ...(others.length > 0
        ? { otherChoices: others.slice(0, Math.max(0, (request.n ?? 1) - 1)) }
        : {}),
    };
  }

  async *stream(request: UpstreamRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const { response, release, timedOut } = await this.post(request, true, signal);
    const decoder = new TextDecoder();
    let buffer = '';
    let sawDone = false;
    try {
      for await (const bytes of response) {
        buffer += decoder.decode(bytes as Buffer, { stream: true });
        if (buffer.length > MAX_STREAM_LINE_CHARS && !buffer.includes('\n')) {
          throw new GuardstreamError('GS_ERR_UPSTREAM', {
            message: `Provider ${this.config.name} sent a stream line over ${String(MAX_STREAM_LINE_CHARS)} characters`,
          });
        }
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') {
            sawDone = true;
            return;
          }
          let chunk: OpenAiChunk;
          try {
            chunk = JSON.parse(data) as OpenAiChunk;
          } catch {
            continue;
          }
          const choice = chunk.choices?.[0];
          const text = choice?.delta?.content;
          if (typeof text === 'string' && text !== '') yield { type: 'delta', text };
          for (const call of choice?.delta?.tool_calls ?? []) {
            yield {
              type: 'tool_call',
              index: typeof call.index === 'number' ? call.index : 0,
              ...(typeof call.id === 'string' ? { id: call.id } : {}),
              ...(typeof call.function?.name === 'string' ? { name: call.function.name } : {}),
              ...(typeof call.function?.arguments === 'string'
                ? { arguments: call.function.arguments }
                : {}),
            };
          }
          if (typeof choice?.finish_reason === 'string') {
            yield { type: 'finish', finishReason: choice.finish_reason };
          }
          const usage = usageOf(chunk.usage);
          if (usage !== undefined) yield { type: 'usage', usage };
        }
      }
    } catch (cause) {
      if (cause instanceof GuardstreamError) throw cause;
      throw upstreamFailure(this.config.name, cause, timedOut());
    } finally {
      release();
      // After [DONE] (or once the whole answer has arrived), reading what is left keeps the
      // connection reusable; a stream abandoned early (a rail blocked it) is cut, so the
      // upstream stops generating.
      if (sawDone || response.complete) response.resume();
      else response.destroy();
    }
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

function upstreamFailure(provider: string, cause: unknown, timedOut: boolean): GuardstreamError {
  const isTimeout =
    timedOut || (cause instanceof Error && (cause.name === 'TimeoutError' || timedOut));
  return new GuardstreamError(isTimeout ? 'GS_ERR_UPSTREAM_TIMEOUT' : 'GS_ERR_UPSTREAM', {
    message: isTimeout
      ? `Provider ${provider} did not answer in time`
      : `Provider ${provider} could not be reached`,
    cause,
  });
}
