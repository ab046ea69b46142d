import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GuardstreamError } from '../../src/errors/index.ts';
import {
  MAX_UPSTREAM_ANSWER_BYTES,
  OpenAiCompatibleProvider,
  providerSchema,
} from '../../src/gateway/index.ts';
import { UpstreamDouble } from '../helpers/upstream-double.ts';

const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
/**
 * Timers of `durationMs` created while `run` runs and still pending afterwards (unref'd ones
 * included, which `process.getActiveResourcesInfo` does not list).
 */
async function timersLeftBy(durationMs: number, run: () => Promise<void>): Promise<number> {
  const pending = new Set<number>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      const idle = (resource as { _idleTimeout?: unknown })._idleTimeout;
      if (type === 'Timeout' && idle === durationMs) pending.add(id);
    },
    destroy(id) {
      pending.delete(id);
    },
  });
  hook.enable();
  try {
    await run();
    // Destroy hooks of cleared timers run on a later turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    hook.disable();
  }
  return pending.size;
}

describe('OpenAI-compatible provider', () => {
  const double = new UpstreamDouble();
  // An upstream that accepts the request and never answers.
  const silent: Server = createServer(() => undefined);
  let silentUrl = '';

  before(async () => {
    await double.start();
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentUrl = `http://127.0.0.1:${String((silent.address() as AddressInfo).port)}/v1`;
  });
  after(async () => {
    await double.stop();
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });

  const provider = (baseUrl: string, timeoutMs = 60_000): OpenAiCompatibleProvider =>
    new OpenAiCompatibleProvider(
      providerSchema.parse({ name: 'up', type: 'openai', baseUrl, timeoutMs }),
      undefined,
    );

  it('leaves no timer behind once an answer is read, streamed or not', async () => {
    double.behaviour = { mode: 'say', text: 'fine' };
    const signal = new AbortController().signal;
    let answers: string[] = [];
    let streamed = '';
    const timeoutMs = 45_678;
    const left = await timersLeftBy(timeoutMs, async () => {
      answers = (
        await Promise.all(
          Array.from({ length: 20 }, () =>
            provider(double.url, timeoutMs).complete(request, signal),
          ),
        )
      ).map((answer) => answer.content);
      for await (const event of provider(double.url, timeoutMs).stream(request, signal)) {
        if (event.type === 'delta') streamed += event.text;
      }
    });
    assert.deepEqual(new Set(answers), new Set(['fine']));
    assert.equal(streamed, 'fine');
    // Each exchange used to keep its 60 s timeout (and an AbortSignal.any) alive after answering.
    assert.equal(left, 0);
  });

  it('fails with GS_ERR_UPSTREAM_TIMEOUT when the upstream does not answer in time', async () => {
    const started = performance.now();
    await assert.rejects(
      provider(silentUrl, 150).complete(request, new AbortController().signal),
      (error: unknown) =>
        error instanceof GuardstreamError && error.code === 'GS_ERR_UPSTREAM_TIMEOUT',
    );
    assert.ok(performance.now() - started < 5_000);
  });

  it('lets a reader abandon a stream and abort without an uncaught error', async () => {
    // The double writes the whole stream at once, so it has arrived before the reader stops:
    // the abort then must not reach the socket, which is back in the keep-alive pool.
    double.behaviour = { mode: 'say', text: 'one two three four five six seven eight' };
    const upstream = provider(double.url);
    const caller = new AbortController();
    const events = upstream.stream(request, caller.signal)[Symbol.asyncIterator]();
    const first = await events.next();
    assert.equal(first.done, false);
    const closing = events.return?.(undefined);
    caller.abort();
    await closing;
    // The same provider still answers: its pooled connection was not broken by the abort.
    const again = await upstream.complete(request, new AbortController().signal);
    assert.equal(again.content, 'one two three four five six seven eight');
    await upstream.close();
  });

  it('refuses an answer too large to hold, streamed or not', async () => {
    const flood: Server = createServer((incoming, outgoing) => {
      incoming.resume();
      outgoing.writeHead(200, { 'content-type': 'application/json' });
      // More than the cap in 1 MB pieces, with no newline (so no stream line ever ends).
      const piece = Buffer.alloc(1024 * 1024, 'a');
      let sent = 0;
      const more = (): void => {
        while (sent <= MAX_UPSTREAM_ANSWER_BYTES && !outgoing.destroyed) {
          sent += piece.length;
          if (!outgoing.write(piece)) {
            outgoing.once('drain', more);
            return;
          }
        }
        outgoing.end();
      };
      more();
    });
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((flood.address() as AddressInfo).port)}/v1`;
    try {
      const upstream = provider(url);
      await assert.rejects(
        upstream.complete(request, new AbortController().signal),
        (error: unknown) =>
          error instanceof GuardstreamError &&
          error.code === 'GS_ERR_UPSTREAM' &&
          /more than/.test(error.message),
      );
      await assert.rejects(
        (async () => {
          for await (const event of upstream.stream(request, new AbortController().signal)) {
            assert.fail(`no event expected, got ${event.type}`);
          }
        })(),
        (error: unknown) =>
          error instanceof GuardstreamError && /stream line over/.test(error.message),
      );
      await upstream.close();
    } finally {
      flood.closeAllConnections();
      await new Promise((resolve) => flood.close(resolve));
    }
  });

  it("stops the exchange when the caller's signal aborts", async () => {
    const caller = new AbortController();
    const pending = provider(silentUrl).complete(request, caller.signal);
    setTimeout(() => {
      caller.abort();
    }, 50);
    await assert.rejects(
      pending,
      (error: unknown) => error instanceof GuardstreamError && error.code === 'GS_ERR_UPSTREAM',
    );
  });
});
