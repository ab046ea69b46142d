import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { GuardstreamError } from '../errors/index.ts';
import type { GuardEngine, GuardResult } from '../guard/index.ts';
import { PlaceholderVault } from '../guard/index.ts';
import type { CollectionConfig } from '../rag/config.ts';
import type { SearchHit } from '../rag/index.ts';
import type { AuditEvent } from './audit.ts';
import { allows } from './auth.ts';
import type { CallerPrincipal } from './auth.ts';
import type { GatewayConfig, ProviderConfig, TenantPolicy } from './config.ts';
import type { ChatProvider, TokenUsage, UpstreamMessage, UpstreamRequest } from './providers.ts';
import { mergeReports, railReport, StreamingOutputGuard } from './rails.ts';
import type { RailReport } from './rails.ts';

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });

export const chatMessageSchema = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart).max(256)]),
  name: z.string().max(256).optional(),
});

/** The OpenAI chat request fields Guardstream understands; anything else is a 400. */
export const chatRequestSchema = z.strictObject({
  model: z.string().min(1).max(256),
  messages: z.array(chatMessageSchema).min(1).max(512),
  stream: z.boolean().optional(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  max_tokens: z.number().int().min(1).max(131_072).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).max(131_072).nullable().optional(),
  n: z.literal(1).nullable().optional(),
  stop: z
    .union([z.string(), z.array(z.string()).max(4)])
    .nullable()
    .optional(),
  seed: z.number().int().nullable().optional(),
  user: z.string().max(256).optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
});
export type ChatRequest = z.output<typeof chatRequestSchema>;

/** What retrieval needs: hybrid search as a caller. */
export interface Retriever {
  search(
    text: string,
    principal: {
      tenant: string;
      groups: readonly string[];
      user?: string;
      collections: readonly string[];
    },
    k: number,
  ): Promise<SearchHit[]>;
}

export interface ChatServices {
  config: GatewayConfig;
  guard: GuardEngine;
  /** PII and secrets to placeholders, for pseudonymised requests and audit excerpts. */
  pseudonymizer: GuardEngine;
  providers: ReadonlyMap<string, ChatProvider>;
  retriever?: Retriever;
  topK: number;
  collections: readonly CollectionConfig[];
  /** Detectors whose finding on a retrieved chunk drops it (besides a block). */
  dropChunksOn: readonly string[];
  audit?: (event: AuditEvent) => void;
}

/** State of one request, filled in as it goes and turned into its audit event at the end. */
export class ChatTrace {
  readonly id = `chatcmpl-${randomUUID()}`;
  readonly created = Math.floor(Date.now() / 1000);
  readonly started = performance.now();
  readonly rails: RailReport[] = [];
  readonly results: GuardResult[] = [];
  retrieved: AuditEvent['retrieved'] = [];
  provider: string | null = null;
  pseudonymised = false;
  usage: TokenUsage | undefined;

  record(result: GuardResult): void {
    this.results.push(result);
    this.rails.push(railReport(result));
  }

  summary(): RailReport[] {
    return mergeReports(this.rails);
  }

  detectorTimings(): AuditEvent['detectors'] {
    return this.results.flatMap((result) =>
      result.outcomes.map((outcome) => ({
        stage: result.stage,
        detector: outcome.detector,
        status: outcome.status,
        ms: Math.round(outcome.ms * 1000) / 1000,
        findings: outcome.findings,
        maxScore: Math.max(
          0,
          ...result.findings
            .filter((finding) => finding.detector === outcome.detector)
            .map((finding) => finding.score),
        ),
      })),
    );
  }
}

export function messageText(content: ChatRequest['messages'][number]['content']): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('\n');
}

/** Everything decided before the provider is called. */
export interface PreparedChat {
  provider: ChatProvider;
  request: UpstreamRequest;
  /** Output rail context. */
  canary: string;
  systemPrompt: string;
  contextTexts: string[];
  /** Restores pseudonymised values in the answer (identity when not pseudonymised). */
  restore: (text: string) => string;
}

function tenantPolicy(config: GatewayConfig, tenant: string): TenantPolicy {
  return (
    config.tenants.find((policy) => policy.name === tenant) ?? {
      name: tenant,
      allowedJurisdictions: ['*'],
      allowExternal: false,
      onDisallowed: 'refuse',
    }
  );
}

function providerAllowed(
  provider: ProviderConfig,
  policy: { allowedJurisdictions: readonly string[]; allowExternal: boolean },
): boolean {
  return (
    allows(policy.allowedJurisdictions, provider.jurisdiction) &&
    (!provider.leavesOrganisation || policy.allowExternal)
  );
}

/**
 * Input rails, retrieval with the caller's entitlements, retrieval rails, provider choice under
 * the sovereignty rules, prompt assembly with a canary. Throws the 4xx that stops a request.
 */
export async function prepareChat(
  services: ChatServices,
  principal: CallerPrincipal,
  body: ChatRequest,
  trace: ChatTrace,
): Promise<PreparedChat> {
  const { config, guard } = services;
  const route = config.models.find((model) => model.name === body.model);
  if (route === undefined) {
    throw new GuardstreamError('GS_ERR_NOT_FOUND', {
      message: `The model ${body.model} does not exist`,
      param: 'model',
    });
  }
  if (!allows(principal.models, route.name)) {
    throw new GuardstreamError('GS_ERR_FORBIDDEN', {
      message: `This caller may not use the model ${route.name}`,
      param: 'model',
    });
  }

  // Input rails on every message the client wrote (it can forge history too).
  const messages: UpstreamMessage[] = [];
  for (const [index, message] of body.messages.entries()) {
    const result = guard.check(messageText(message.content), { stage: 'input' });
    trace.record(result);
    if (result.effective === 'block') {
      const rails = [
        ...new Set(result.findings.filter((f) => f.action === 'block').map((f) => f.detector)),
      ];
      const named = rails.length > 0 ? rails.join(', ') : 'input policy';
      throw new GuardstreamError('GS_ERR_GUARD_BLOCKED', {
        message: `Blocked by the input rail: ${named}`,
        param: `messages[${String(index)}]`,
        details: { stage: 'input', rails: rails.length > 0 ? rails : ['input_policy'] },
      });
    }
    messages.push({
      role: message.role === 'developer' ? 'system' : message.role,
      content: result.text,
    });
  }

  // Retrieval as the caller, then retrieval rails on each chunk.
  const kept: SearchHit[] = [];
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  if (
    services.retriever !== undefined &&
    lastUser !== undefined &&
    lastUser.content.trim() !== ''
  ) {
    const hits = await services.retriever.search(
      lastUser.content,
      {
        tenant: principal.tenant,
        groups: principal.groups,
        ...(principal.user === undefined ? {} : { user: principal.user }),
        collections: principal.collections,
      },
      services.topK,
    );
    for (const hit of hits) {
      const result = guard.check(hit.text, { stage: 'retrieval' });
      trace.record(result);
      // In monitor mode (a dry run) the finding is reported in the trace, the chunk still goes.
      const dropped =
        result.effective === 'block' ||
        (guard.policy.mode !== 'monitor' &&
          result.findings.some((finding) => services.dropChunksOn.includes(finding.detector)));
      trace.retrieved.push({
        documentId: hit.documentId,
        collection: hit.collection,
        chunkId: hit.chunkId,
        score: Math.round(hit.score * 1e6) / 1e6,
        dropped,
      });
      if (!dropped) kept.push({ ...hit, text: result.text });
    }
  }

  // Sovereignty: the tenant's rule and the rule of every collection whose chunks go along.
  const tenant = tenantPolicy(config, principal.tenant);
  const usedCollections = [...new Set(kept.map((hit) => hit.collection))].map(
    (name) =>
      services.collections.find((collection) => collection.topic === name) ?? {
        topic: name,
        allowedJurisdictions: ['*'],
        allowExternal: true,
      },
  );
  const candidates = route.providers.flatMap((choice) => {
    const provider = services.providers.get(choice.provider);
    return provider === undefined
      ? []
      : [{ provider, upstreamModel: choice.upstreamModel ?? route.name }];
  });
  const allowed = candidates.find(
    ({ provider }) =>
      providerAllowed(provider.config, tenant) &&
      usedCollections.every((collection) => providerAllowed(provider.config, collection)),
  );
  const chosen = allowed ?? (tenant.onDisallowed === 'pseudonymise' ? candidates[0] : undefined);
  if (chosen === undefined) {
    throw new GuardstreamError('GS_ERR_SOVEREIGNTY', {
      message: `No provider of ${route.name} may receive this request's data`,
      param: 'model',
    });
  }
  trace.provider = chosen.provider.config.name;

  const canary = `gs-canary-${randomBytes(8).toString('hex')}`;
  const contextBlock =
    kept.length === 0
      ? ''
      : `\n\nContext documents:\n${kept
          .map((hit, index) => `[${String(index + 1)}] ${hit.title}\n${hit.text}`)
          .join('\n\n')}`;
  // The leak rail compares answers with the instructions only: quoting a context document is
  // an answer, not a leak.
  const systemPrompt = `${config.systemPrompt}\nCanary: ${canary}`;
  let upstreamMessages: UpstreamMessage[] = [
    { role: 'system', content: `${systemPrompt}${contextBlock}` },
    ...messages,
  ];
  let restore = (text: string): string => text;
  if (allowed === undefined) {
    // Pseudonymise: PII and secrets leave as placeholders and come back in the answer.
    const vault = new PlaceholderVault();
    upstreamMessages = upstreamMessages.map((message) => ({
      role: message.role,
      content: services.pseudonymizer.check(message.content, { stage: 'input' }, vault).text,
    }));
    trace.pseudonymised = true;
    restore = (text) => vault.restore(text);
  }
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const stop = body.stop === null || body.stop === undefined ? undefined : [body.stop].flat();
  const request: UpstreamRequest = {
    model: chosen.upstreamModel,
    messages: upstreamMessages,
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(body.temperature === null || body.temperature === undefined
      ? {}
      : { temperature: body.temperature }),
    ...(body.top_p === null || body.top_p === undefined ? {} : { topP: body.top_p }),
    ...(stop === undefined ? {} : { stop }),
    ...(body.seed === null || body.seed === undefined ? {} : { seed: body.seed }),
  };
  return {
    provider: chosen.provider,
    request,
    canary,
    systemPrompt,
    contextTexts: kept.map((hit) => hit.text),
    restore,
  };
}

export const WITHHELD_ANSWER = 'The answer was withheld by the output rails.';

/** Output rails on a whole answer. */
export function guardAnswer(
  services: ChatServices,
  prepared: PreparedChat,
  answer: string,
  trace: ChatTrace,
): { content: string; finishReason: 'stop' | 'content_filter' } {
  const result = services.guard.check(prepared.restore(answer), {
    stage: 'output',
    canary: prepared.canary,
    systemPrompt: prepared.systemPrompt,
    context: prepared.contextTexts,
  });
  trace.record(result);
  if (result.effective === 'block')
    return { content: WITHHELD_ANSWER, finishReason: 'content_filter' };
  return { content: result.text, finishReason: 'stop' };
}

export function streamingGuard(
  services: ChatServices,
  prepared: PreparedChat,
): StreamingOutputGuard {
  return new StreamingOutputGuard(
    services.guard,
    {
      stage: 'output',
      canary: prepared.canary,
      systemPrompt: prepared.systemPrompt,
      context: prepared.contextTexts,
    },
    services.config.streamHoldBackChars,
    prepared.restore,
  );
}
