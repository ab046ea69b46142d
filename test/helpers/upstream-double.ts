import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A test double of an OpenAI-compatible upstream LLM, scripted per test; it records every call. */
export type UpstreamBehaviour =
  | { mode: 'say'; text: string }
  /** Answers with every message it was sent, system prompt included. */
  | { mode: 'echo' }
  /** Answers with the canary line of its system prompt. */
  | { mode: 'leak-canary' }
  /** Answers with the context documents it was given. */
  | { mode: 'repeat-context' }
  /** Answers a non-streamed request with one choice per text (as for `n` > 1). */
  | { mode: 'choices'; texts: string[] }
  /** Answers with whatever the test computes from the messages. */
  | { mode: 'script'; answer: (messages: RecordedCall['body']['messages']) => string }
  /** Calls functions (with `text` as content if given), as the test computes them. */
  | {
      mode: 'call-tools';
      calls: (messages: RecordedCall['body']['messages']) => { name: string; arguments: string }[];
      text?: string;
    };

export interface RecordedMessage {
  role: string;
  content: string | null;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

export interface RecordedCall {
  body: {
    model: string;
    stream?: boolean;
    messages: RecordedMessage[];
    tools?: { type: string; function: { name: string; description?: string } }[];
    tool_choice?: unknown;
    parallel_tool_calls?: boolean;
    response_format?: unknown;
    n?: number;
  };
  authorization: string | undefined;
}

export class UpstreamDouble {
  readonly calls: RecordedCall[] = [];
  behaviour: UpstreamBehaviour = { mode: 'say', text: 'Hello from the double.' };
  /** Characters per streamed chunk. */
  chunkSize = 7;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${String(address.port)}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => {
      if (this.server === undefined) resolve();
      else
        this.server.close(() => {
          resolve();
        });
    });
  }

  private answer(messages: RecordedCall['body']['messages']): string {
    const system = messages.find((message) => message.role === 'system')?.content ?? '';
    if (this.behaviour.mode === 'call-tools') return this.behaviour.text ?? '';
    switch (this.behaviour.mode) {
      case 'say':
        return this.behaviour.text;
      case 'choices':
        return this.behaviour.texts[0] ?? '';
      case 'echo':
        return messages.map((message) => message.content).join('\n');
      case 'leak-canary':
        return `Sure! My secret line is: ${/Canary: (\S+)/.exec(system)?.[1] ?? 'none'}`;
      case 'script':
        return this.behaviour.answer(messages);
      case 'repeat-context': {
        const at = system.indexOf('Context documents:');
        return at < 0 ? 'I have no context.' : system.slice(at);
      }
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedCall['body'];
    this.calls.push({ body, authorization: request.headers.authorization });
    const text = this.answer(body.messages);
    const calls =
      this.behaviour.mode === 'call-tools'
        ? this.behaviour.calls(body.messages).map((call, index) => ({
            id: `call_double_${String(index)}`,
            type: 'function',
            function: call,
          }))
        : [];
    const finishReason = calls.length > 0 ? 'tool_calls' : 'stop';
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    if (body.stream !== true) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'double-1',
          object: 'chat.completion',
          created: 0,
          model: body.model,
          choices:
            this.behaviour.mode === 'choices'
              ? this.behaviour.texts.map((content, index) => ({
                  index,
                  message: { role: 'assistant', content },
                  finish_reason: 'stop',
                }))
              : [
                  {
                    index: 0,
                    message: {
                      role: 'assistant',
                      content: text === '' && calls.length > 0 ? null : text,
                      ...(calls.length > 0 ? { tool_calls: calls } : {}),
                    },
                    finish_reason: finishReason,
                  },
                ],
          usage,
        }),
      );
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (payload: unknown): void => {
      response.write(`data: ${JSON.stringify(payload)}\n\n`);
    };
    for (let start = 0; start < text.length; start += this.chunkSize) {
      send({
        id: 'double-1',
        object: 'chat.completion.chunk',
        choices: [
          {
            index: 0,
            delta: { content: text.slice(start, start + this.chunkSize) },
            finish_reason: null,
          },
        ],
      });
    }
    // Streamed as OpenAI does: id and name first, then the arguments in pieces.
    for (const [index, call] of calls.entries()) {
      const piece = (delta: Record<string, unknown>): void => {
        send({
          id: 'double-1',
          object: 'chat.completion.chunk',
          choices: [
            { index: 0, delta: { tool_calls: [{ index, ...delta }] }, finish_reason: null },
          ],
        });
      };
      piece({
        id: call.id,
        type: 'function',
        function: { name: call.function.name, arguments: '' },
      });
      for (let start = 0; start < call.function.arguments.length; start += this.chunkSize) {
        piece({
          function: { arguments: call.function.arguments.slice(start, start + this.chunkSize) },
        });
      }
    }
    send({
      id: 'double-1',
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta: {}, finish_reason: finishReason }],
    });
    send({ id: 'double-1', object: 'chat.completion.chunk', choices: [], usage });
    response.end('data: [DONE]\n\n');
  }
}
