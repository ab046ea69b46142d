import type {
  ChatHistoryItem,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
} from 'node-llama-cpp';
import { GuardstreamError } from '../errors/index.ts';
import type { ProviderConfig } from './config.ts';
import type { ChatProvider, Completion, StreamEvent, UpstreamRequest } from './providers.ts';

export interface LocalProviderOptions {
  /** Path of the GGUF file (from `guardstream models fetch`). */
  modelPath: string;
  /** Conversations served at once; more wait for a free slot. */
  sequences?: number;
  contextSize?: number;
  threads?: number;
  /** Answer length when the request does not say (small models ramble). */
  defaultMaxTokens?: number;
}

/**
 * The embedded model (SmolLM2-135M-Instruct by default) through node-llama-cpp on the CPU: no
 * data leaves the process. Each request gets one context sequence from a small pool.
 */
export class LocalLlamaProvider implements ChatProvider {
  /** SmolLM2-135M was not trained to call functions. */
  readonly callsTools = false;
  readonly readsImages = false;
  readonly maxChoices = 1;
  private readonly free: LlamaContextSequence[];
  private readonly waiting: ((sequence: LlamaContextSequence) => void)[] = [];

  private constructor(
    readonly config: ProviderConfig,
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
    private readonly defaultMaxTokens: number,
  ) {
    this.free = [];
    for (let index = 0; index < context.totalSequences; index += 1) {
      this.free.push(context.getSequence());
    }
  }

  static async load(
    config: ProviderConfig,
    options: LocalProviderOptions,
  ): Promise<LocalLlamaProvider> {
    // Imported on demand: only deployments that use the local model pay for loading it.
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    try {
      const llama = await getLlama({
        gpu: false,
        build: 'never',
        progressLogs: false,
        logLevel: LlamaLogLevel.error,
      });
      const model = await llama.loadModel({ modelPath: options.modelPath });
      const context = await model.createContext({
        contextSize: options.contextSize ?? 2048,
        sequences: options.sequences ?? 2,
        ...(options.threads === undefined ? {} : { threads: options.threads }),
      });
      return new LocalLlamaProvider(config, llama, model, context, options.defaultMaxTokens ?? 256);
    } catch (cause) {
      throw new GuardstreamError('GS_ERR_MODEL_INTEGRITY', {
        message: `Could not load the local model ${options.modelPath}`,
        cause,
      });
    }
  }

  private async acquire(): Promise<LlamaContextSequence> {
    const sequence = this.free.pop();
    if (sequence !== undefined) return sequence;
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(sequence: LlamaContextSequence): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(sequence);
    else this.free.push(sequence);
  }

  private async generate(
    request: UpstreamRequest,
    signal: AbortSignal,
    onText: (text: string) => void,
  ): Promise<Completion> {
    const { LlamaChatSession } = await import('node-llama-cpp');
    const sequence = await this.acquire();
    try {
      await sequence.clearHistory();
      const system = request.messages.filter((message) => message.role === 'system');
      const rest = request.messages.filter((message) => message.role !== 'system');
      const last = rest.at(-1);
      const prompt = last?.role === 'user' ? last.content : '';
      const history: ChatHistoryItem[] = [
        { type: 'system', text: system.map((message) => message.content).join('\n\n') },
        ...(last?.role === 'user' ? rest.slice(0, -1) : rest).map((message): ChatHistoryItem =>
          message.role === 'user'
            ? { type: 'user', text: message.content }
            : { type: 'model', response: [message.content] },
        ),
      ];
      const session = new LlamaChatSession({
        contextSequence: sequence,
        autoDisposeSequence: false,
      });
      session.setChatHistory(history);
      const maxTokens = request.maxTokens ?? this.defaultMaxTokens;
      const { response, stopReason } = await session.promptWithMeta(prompt, {
        maxTokens,
        temperature: request.temperature ?? 0,
        ...(request.topP === undefined ? {} : { topP: request.topP }),
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(request.stop === undefined ? {} : { customStopTriggers: request.stop }),
        signal,
        stopOnAbortSignal: true,
        onTextChunk: onText,
      });
      session.dispose({ disposeSequence: false });
      const content = response.filter((part): part is string => typeof part === 'string').join('');
      const promptTokens = request.messages.reduce(
        (sum, message) => sum + this.model.tokenize(message.content).length,
        0,
      );
      return {
        content,
        toolCalls: [],
        finishReason: stopReason === 'maxTokens' ? 'length' : 'stop',
        usage: { promptTokens, completionTokens: this.model.tokenize(content).length },
      };
    } catch (cause) {
      throw new GuardstreamError('GS_ERR_UPSTREAM', {
        message: `The local model ${this.config.name} failed`,
        cause,
      });
    } finally {
      this.release(sequence);
    }
  }

  async complete(request: UpstreamRequest, signal: AbortSignal): Promise<Completion> {
    return this.generate(request, signal, () => undefined);
  }

  async *stream(request: UpstreamRequest, signal: AbortSignal): AsyncIterable<StreamEvent> {
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    const state: { done: boolean; failure?: Error; completion?: Completion } = { done: false };
    const generation = this.generate(request, signal, (text) => {
      queue.push(text);
      wake?.();
    }).then(
      (completion) => {
        state.completion = completion;
        state.done = true;
        wake?.();
      },
      (error: unknown) => {
        state.failure = error instanceof Error ? error : new Error(String(error));
        state.done = true;
        wake?.();
      },
    );
    for (;;) {
      const text = queue.shift();
      if (text !== undefined) {
        yield { type: 'delta', text };
        continue;
      }
      if (state.done) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    await generation;
    if (state.failure !== undefined) throw state.failure;
    if (state.completion !== undefined) {
      yield { type: 'finish', finishReason: state.completion.finishReason };
      if (state.completion.usage !== undefined)
        yield { type: 'usage', usage: state.completion.usage };
    }
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }
}
