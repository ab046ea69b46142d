import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { stages } from '../detectors/index.ts';
import { dataUrlBytes } from '../vision/index.ts';
import { GuardstreamError, isGuardstreamError } from '../errors/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { AuditEvent } from './audit.ts';
import { fromLegacyFunctions, toLegacyError, toLegacyFinish, toLegacyMessage } from './legacy.ts';
import type { Authenticator, CallerPrincipal, RateLimiter } from './auth.ts';
import { allows } from './auth.ts';
import {
  ChatTrace,
  WITHHELD_ANSWER,
  chatRequestSchema,
  guardAnswer,
  guardToolCalls,
  prepareChat,
  streamingGuard,
  servicesFor,
} from './chat.ts';
import type { ChatRequest, ChatServices, PreparedChat } from './chat.ts';
import { MAX_UPSTREAM_ANSWER_BYTES } from './providers.ts';
import type { StreamEvent, TokenUsage, ToolCall } from './providers.ts';
import { guardJsonText, ToolCallAccumulator } from './tools.ts';

export const guardRequestSchema = z.strictObject({
  stage: z.enum(stages as [string, ...string[]]).default('input'),
  text: z.string(),
  target: z
    .enum(['text', 'tool_arguments', 'image'])
    .default('text')
    .describe(
      'tool_arguments: `text` is the JSON arguments of a tool call the model made, checked by gateway.tools.argumentRails at the output stage (as the chat endpoint checks them); `stage` is then not used. image: `text` is a data:image/…;base64, URL; the text read in the image (gateway.images.mode read) is checked at `stage`, and returned (rewritten) as `text`.',
    ),
  canary: z.string().max(200).optional(),
  systemPrompt: z.string().max(100_000).optional(),
  context: z.array(z.string()).max(100).optional(),
});

export interface ApiDependencies {
  services: ChatServices;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  metrics?: Metrics;
}

/** A zod failure as a 400 naming the first offending field, OpenAI style. */
function invalid(error: z.ZodError): GuardstreamError {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const message =
    issue?.code === 'unrecognized_keys'
      ? `Unrecognized request argument(s): ${issue.keys.join(', ')}`
      : `${path === '' ? 'body' : path}: ${issue?.message ?? 'invalid'}`;
  return new GuardstreamError('GS_ERR_INVALID_REQUEST', {
    message,
    ...(path === '' ? {} : { param: path }),
  });
}

function usageBody(usage: TokenUsage | undefined): {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
} {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

/** The `/v1` routes: chat completions, models, and the guard endpoint. */
export function registerApi(app: FastifyInstance, deps: ApiDependencies): void {
  const { services, authenticator, rateLimiter, metrics } = deps;

  const authorise = async (request: FastifyRequest): Promise<CallerPrincipal> => {
    const principal = await authenticator.authenticate(request.headers);
    rateLimiter.take(principal);
    return principal;
  };

  const observe = (trace: ChatTrace): void => {
    for (const rail of trace.rails)
      metrics?.gateway.railActions.inc({ stage: rail.stage, action: rail.action });
  };

  const audit = (
    trace: ChatTrace,
    fields: Pick<AuditEvent, 'route' | 'status' | 'outcome' | 'stream'> & {
      principal: CallerPrincipal | undefined;
      model: string | null;
      errorCode?: string;
    },
  ): void => {
    if (services.audit === undefined) return;
    const principal = fields.principal;
    services.audit({
      id: trace.id,
      time: new Date().toISOString(),
      route: fields.route,
      principal:
        principal === undefined
          ? null
          : {
              id: principal.id,
              tenant: principal.tenant,
              ...(principal.user === undefined ? {} : { user: principal.user }),
              groups: principal.groups,
              via: principal.via,
            },
      model: fields.model,
      provider: trace.provider,
      stream: fields.stream,
      status: fields.status,
      outcome: fields.outcome,
      ...(fields.errorCode === undefined ? {} : { errorCode: fields.errorCode }),
      rails: trace.summary(),
      detectors: trace.detectorTimings(),
      retrieved: trace.retrieved,
      tools: trace.tools,
      images: trace.images,
      pseudonymised: trace.pseudonymised,
      policyVersion: trace.policyVersion,
      latencyMs: Math.round((performance.now() - trace.started) * 1000) / 1000,
      usage: trace.usage ?? null,
    });
  };

  app.post('/v1/chat/completions', async (request, reply) => {
    // Reassigned once the caller is known: its tenant's rails, if it has its own policy.
    let services = deps.services;
    const trace = new ChatTrace(services.policyVersion);
    let response: Record<string, unknown> | undefined;
    let principal: CallerPrincipal | undefined;
    let body: ChatRequest | undefined;
    let legacy = false;
    try {
      principal = await authorise(request);
      services = servicesFor(services, principal.tenant);
      trace.policyVersion = services.policyVersion;
      const rewrite = fromLegacyFunctions(request.body);
      const rewritten = rewrite.body;
      legacy = rewrite.legacy;
      const parsed = chatRequestSchema.safeParse(rewritten);
      if (!parsed.success) throw invalid(parsed.error);
      body = parsed.data;
      const prepared = await prepareChat(services, principal, body, trace);
      if (body.stream === true) {
        await streamChat(request, reply, services, prepared, body, trace, legacy);
        observe(trace);
        const blocked = trace.rails.some(
          (rail) => rail.stage === 'output' && rail.action === 'block',
        );
        audit(trace, {
          route: 'chat',
          status: 200,
          outcome: blocked ? 'blocked' : 'answered',
          stream: true,
          principal,
          model: body.model,
        });
        return;
      }
      const abort = abortOnDisconnect(reply);
      const completion = await prepared.provider.complete(prepared.request, abort.signal);
      trace.usage = completion.usage;
      // Each choice is railed on its own: one choice withheld does not withhold the others.
      const answers = [completion, ...(completion.otherChoices ?? [])].map((choice) => {
        const text = guardAnswer(services, prepared, choice.content, trace);
        const toolCalls =
          choice.toolCalls.length === 0
            ? []
            : guardToolCalls(
                services,
                prepared,
                choice.toolCalls,
                trace,
                text.finishReason === 'content_filter',
              );
        const answer =
          toolCalls === undefined
            ? { content: WITHHELD_ANSWER, finishReason: 'content_filter' as const }
            : text;
        return { choice, answer, toolCalls };
      });
      observe(trace);
      audit(trace, {
        route: 'chat',
        status: 200,
        outcome: answers.some(({ answer }) => answer.finishReason === 'content_filter')
          ? 'blocked'
          : 'answered',
        stream: false,
        principal,
        model: body.model,
      });
      const rails = trace.summary();
      void reply.header('x-guardstream-rails', railsHeader(rails));
      response = {
        id: trace.id,
        object: 'chat.completion',
        created: trace.created,
        model: body.model,
        choices: answers.map(({ choice, answer, toolCalls }, index) => {
          const message: Record<string, unknown> = {
            role: 'assistant',
            // A call without text is `null` content, as OpenAI sends it.
            content:
              answer.content === '' && toolCalls !== undefined && toolCalls.length > 0
                ? null
                : answer.content,
            refusal: null,
            ...(answer.finishReason === 'content_filter' ||
            toolCalls === undefined ||
            toolCalls.length === 0
              ? {}
              : { tool_calls: toolCalls.map(wireToolCall) }),
          };
          const finish = answer.finishReason === 'stop' ? choice.finishReason : answer.finishReason;
          return {
            index,
            message: legacy ? toLegacyMessage(message) : message,
            finish_reason: legacy ? toLegacyFinish(finish) : finish,
            logprobs: null,
          };
        }),
        usage: usageBody(completion.usage),
        guardstream: { rails, documents: usedDocuments(trace) },
      };
    } catch (error) {
      observe(trace);
      const status = isGuardstreamError(error) ? error.httpStatus : 500;
      audit(trace, {
        route: 'chat',
        status,
        outcome:
          isGuardstreamError(error) && error.code === 'GS_ERR_GUARD_BLOCKED'
            ? 'blocked'
            : status < 500
              ? 'refused'
              : 'error',
        stream: body?.stream === true,
        principal,
        model: body?.model ?? null,
        ...(isGuardstreamError(error) ? { errorCode: error.code } : {}),
      });
      throw legacy ? toLegacyError(error) : error;
    }
    return response;
  });

  app.get('/v1/models', async (request) => {
    const principal = await authorise(request);
    return {
      object: 'list',
      data: services.config.models
        .filter((model) => allows(principal.models, model.name))
        .map((model) => ({ id: model.name, object: 'model', created: 0, owned_by: 'guardstream' })),
    };
  });

  app.post('/v1/guard', async (request) => {
    const services = servicesFor(deps.services, (await authorise(request)).tenant);
    const parsed = guardRequestSchema.safeParse(request.body);
    if (!parsed.success) throw invalid(parsed.error);
    const { stage, text, target, canary, systemPrompt, context } = parsed.data;
    const extras = {
      ...(canary === undefined ? {} : { canary }),
      ...(systemPrompt === undefined ? {} : { systemPrompt }),
      ...(context === undefined ? {} : { context }),
    };
    let result;
    let rewritten: string;
    if (target === 'tool_arguments') {
      const checked = guardJsonText(services.toolArguments, text, {
        stage: 'output',
        ...extras,
      });
      result = checked.result;
      rewritten = checked.blocked ? text : checked.arguments;
    } else {
      const read = target === 'image' ? await readImage(services, text) : text;
      result = services.guard.check(read, { stage: stage as (typeof stages)[number], ...extras });
      rewritten = result.text;
    }
    metrics?.gateway.railActions.inc({ stage: result.stage, action: result.effective });
    return {
      stage: result.stage,
      decision: result.decision,
      effective: result.effective,
      text: rewritten,
      findings: result.findings,
      reasons: result.reasons,
      detectors: result.outcomes,
      totalMs: result.totalMs,
    };
  });
}

/** The text in the image a `/v1/guard` request carries as a data URL. */
async function readImage(services: ChatServices, url: string): Promise<string> {
  if (services.images === undefined) {
    throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
      message: 'This gateway does not read images (gateway.images.mode is not read)',
      param: 'target',
    });
  }
  const bytes = dataUrlBytes(url);
  if (bytes === undefined) {
    throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
      message: 'With target image, text must be a data:image/…;base64, URL',
      param: 'text',
    });
  }
  try {
    return await services.images.read(bytes);
  } catch (error) {
    if (!(error instanceof GuardstreamError)) throw error;
    throw new GuardstreamError(error.code, { message: error.message, param: 'text', cause: error });
  }
}

function wireToolCall(call: ToolCall): Record<string, unknown> {
  return {
    id: call.id,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  };
}

/** Ids of the documents whose chunks went into the prompt (the caller was entitled to them). */
function usedDocuments(trace: ChatTrace): string[] {
  return [...new Set(trace.retrieved.filter((hit) => !hit.dropped).map((hit) => hit.documentId))];
}

/** Aborts the provider call when the client goes away before the response is finished. */
function abortOnDisconnect(reply: FastifyReply): AbortController {
  const abort = new AbortController();
  // The request's own 'close' fires once its body is read; the response's fires on disconnect.
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  return abort;
}

function railsHeader(
  rails: readonly { stage: string; action: string; detectors: string[] }[],
): string {
  return rails
    .map(
      (rail) =>
        `${rail.stage}=${rail.action}${rail.detectors.length > 0 ? `(${rail.detectors.join(' ')})` : ''}`,
    )
    .join('; ');
}

/**
 * Server-sent events in the OpenAI chunk format. The first upstream event is awaited before
 * any byte is written, so a provider that fails at once still gets a proper HTTP error.
 */
async function streamChat(
  request: FastifyRequest,
  reply: FastifyReply,
  services: ChatServices,
  prepared: PreparedChat,
  body: ChatRequest,
  trace: ChatTrace,
  legacy: boolean,
): Promise<void> {
  const abort = abortOnDisconnect(reply);
  const events = prepared.provider.stream(prepared.request, abort.signal)[Symbol.asyncIterator]();
  const first = await events.next();
  const guard = streamingGuard(services, prepared);
  const raw = reply.raw;
  reply.hijack();
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-guardstream-rails': railsHeader(trace.summary()),
  });
  const chunk = (
    delta: Record<string, unknown>,
    finishReason: string | null,
    extra: Record<string, unknown> = {},
  ): void => {
    raw.write(
      `data: ${JSON.stringify({
        id: trace.id,
        object: 'chat.completion.chunk',
        created: trace.created,
        model: body.model,
        choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
        ...extra,
      })}\n\n`,
    );
  };
  chunk({ role: 'assistant', content: '' }, null);
  // Written inside `handle`, hence an object rather than narrowed locals.
  const state = { upstreamFinish: 'stop', blocked: false };
  // Tool calls are held whole until the answer ends: arguments are only judged complete.
  const toolCalls = new ToolCallAccumulator(prepared.provider.config.name);
  // A JSON answer is held whole too: redacting it value by value keeps it JSON.
  const json = { text: '' };
  const handle = (event: StreamEvent): void => {
    if (event.type === 'finish') state.upstreamFinish = event.finishReason;
    else if (event.type === 'usage') trace.usage = event.usage;
    else if (event.type === 'tool_call') toolCalls.add(event);
    else if (prepared.jsonAnswer) {
      json.text += event.text;
      if (json.text.length > MAX_UPSTREAM_ANSWER_BYTES) {
        throw new GuardstreamError('GS_ERR_UPSTREAM', {
          message: `Provider ${prepared.provider.config.name} streamed a JSON answer over ${String(MAX_UPSTREAM_ANSWER_BYTES)} characters`,
        });
      }
    } else {
      const step = guard.push(event.text);
      if ('blocked' in step) state.blocked = true;
      else if (step.emit !== '') chunk({ content: step.emit }, null);
    }
  };
  try {
    if (first.done !== true) handle(first.value);
    while (!state.blocked) {
      const next = await events.next();
      if (next.done === true) break;
      handle(next.value);
    }
    if (state.blocked) {
      // Stop reading first, then cancel the upstream call; its failure no longer matters.
      const closing = events.return?.(undefined);
      abort.abort();
      await closing?.catch(() => undefined);
    } else if (prepared.jsonAnswer) {
      const answer = guardAnswer(services, prepared, json.text, trace);
      if (answer.finishReason === 'content_filter') state.blocked = true;
      else if (answer.content !== '') chunk({ content: answer.content }, null);
    } else {
      const step = guard.finish();
      if ('blocked' in step) state.blocked = true;
      else if (step.emit !== '') chunk({ content: step.emit }, null);
    }
  } catch (error) {
    // Mid-stream failure: an OpenAI-style error event, then the end of the stream.
    const failure = isGuardstreamError(error)
      ? error
      : new GuardstreamError('GS_ERR_UPSTREAM', { cause: error });
    raw.write(`data: ${JSON.stringify(failure.toBody())}\n\n`);
    raw.end();
    return;
  }
  if (guard.last !== undefined) trace.record(guard.last);
  const calls =
    toolCalls.size === 0
      ? []
      : guardToolCalls(services, prepared, toolCalls.toolCalls(), trace, state.blocked);
  if (calls === undefined) state.blocked = true;
  else {
    const [first] = calls;
    if (legacy && first !== undefined)
      chunk({ function_call: { name: first.name, arguments: first.arguments } }, null);
    else
      for (const [index, call] of calls.entries()) {
        chunk({ tool_calls: [{ index, ...wireToolCall(call) }] }, null);
      }
  }
  if (state.blocked) chunk({ content: `\n\n${WITHHELD_ANSWER}` }, 'content_filter');
  else chunk({}, legacy ? toLegacyFinish(state.upstreamFinish) : state.upstreamFinish);
  const rails = trace.summary();
  if (body.stream_options?.include_usage === true) {
    raw.write(
      `data: ${JSON.stringify({
        id: trace.id,
        object: 'chat.completion.chunk',
        created: trace.created,
        model: body.model,
        choices: [],
        usage: usageBody(trace.usage),
        guardstream: { rails, documents: usedDocuments(trace) },
      })}\n\n`,
    );
  }
  raw.write('data: [DONE]\n\n');
  raw.end();
}
