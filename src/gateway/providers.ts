import { GuardstreamError } from '../errors/index.ts';
import type { ProviderConfig } from './config.ts';

export interface UpstreamMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface UpstreamRequest {
  model: string;
  messages: UpstreamMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface Completion {
  content: string;
  finishReason: string;
  usage: TokenUsage | undefined;
}

export type StreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'finish'; finishReason: string }
  | { type: 'usage'; usage: TokenUsage };

/** A model backend: an OpenAI-compatible HTTP API or the embedded local model. */
export interface ChatProvider {
  readonly config: ProviderConfig;
  complete(request: UpstreamRequest, signal: AbortSignal): Promise<Completion>;
  stream(request: UpstreamRequest, signal: AbortSignal): AsyncIterable<StreamEvent>;
  close(): Promise<void>;
}

interface OpenAiUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

interface OpenAiCompletion {
  choices?: { message?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: OpenAiUsage | null;
}

interface OpenAiChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: OpenAiUsage | null;
}

function usageOf(usage: OpenAiUsage | null | undefined): TokenUsage | undefined {
  if (usage === null || usage === undefined) return undefined;
  return {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
  };
}

/** Any OpenAI-compatible chat completions API (OpenAI, vLLM, llama.cpp server, Ollama, …). */
export class OpenAiCompatibleProvider implements ChatProvider {
  constructor(
    readonly config: ProviderConfig,
    private readonly apiKey: string | undefined,
  ) {}

  private async post(
    request: UpstreamRequest,
    stream: boolean,
    signal: AbortSignal,
  ): Promise<Response> {
    const base = (this.config.baseUrl ?? '').replace(/\/+$/, '');
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const body = {
      model: request.model,
      messages: request.messages,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.topP === undefined ? {} : { top_p: request.topP }),
      ...(request.stop === undefined ? {} : { stop: request.stop }),
      ...(request.seed === undefined ? {} : { seed: request.seed }),
    };
    let response: Response;
    try {
      response = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.apiKey === undefined ? {} : { authorization: `Bearer ${this.apiKey}` }),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (cause) {
      throw upstreamFailure(this.config.name, cause, timeout.aborted);
    }
    if (!response.ok) {
      // The upstream's own message may echo the prompt; only its status is passed on.
      await response.body?.cancel().catch(() => undefined);
      throw new GuardstreamError('GS_ERR_UPSTREAM', {
        message: `Provider ${this.config.name} answered HTTP ${String(response.status)}`,
      });
    }
    return response;
  }

  async complete(request: UpstreamRequest, signal: AbortSignal): Promise<Completion> {
    const response = await this.post(request, false, signal);
    let body: OpenAiCompletion;
    try {
      body = (await response.json()) as OpenAiCompletion;
    } catch (cause) {
      throw new GuardstreamError('GS_ERR_UPSTREAM', {
        message: `Provider ${this.config.name} sent an unreadable answer`,
        cause,
      });
    }
    const choice = body.choices?.[0];
    return {
      content: choice?.message?.content ?? '',
      finishReason: choice?.finish_reason ?? 'stop',
      usage: usageOf(body.usage),
    };
  }

  async *stream(request: UpstreamRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const response = await this.post(request, true, signal);
    const body = response.body;
    if (body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const bytes of body) {
        buffer += decoder.decode(bytes as Uint8Array, { stream: true });
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') return;
          let chunk: OpenAiChunk;
          try {
            chunk = JSON.parse(data) as OpenAiChunk;
          } catch {
            continue;
          }
          const choice = chunk.choices?.[0];
          const text = choice?.delta?.content;
          if (typeof text === 'string' && text !== '') yield { type: 'delta', text };
          if (typeof choice?.finish_reason === 'string') {
            yield { type: 'finish', finishReason: choice.finish_reason };
          }
          const usage = usageOf(chunk.usage);
          if (usage !== undefined) yield { type: 'usage', usage };
        }
      }
    } catch (cause) {
      if (cause instanceof GuardstreamError) throw cause;
      throw upstreamFailure(this.config.name, cause, false);
    }
  }

  async close(): Promise<void> {
    // Nothing to release: fetch keeps no per-provider state.
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
