import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { GuardstreamError } from '../errors/index.ts';
import type { GuardEngine, GuardResult } from '../guard/index.ts';
import { PlaceholderVault } from '../guard/index.ts';
import type { CollectionConfig } from '../rag/config.ts';
import type { SearchHit } from '../rag/index.ts';
import { dataUrlBytes } from '../vision/index.ts';
import type { ImageTextReader } from '../vision/index.ts';
import type { AuditEvent } from './audit.ts';
import type { CheckCache } from './check-cache.ts';
import { allows } from './auth.ts';
import type { CallerPrincipal } from './auth.ts';
import type { GatewayConfig, ProviderConfig, TenantPolicy } from './config.ts';
import type {
  ChatProvider,
  TokenUsage,
  ToolCall,
  UpstreamImage,
  UpstreamMessage,
  UpstreamRequest,
} from './providers.ts';
import { mergeReports, railReport, StreamingOutputGuard } from './rails.ts';
import type { RailReport } from './rails.ts';
import {
  guardJsonText,
  functionToolSchema,
  mapJsonStrings,
  toolCallSchema,
  toolChoiceSchema,
  toolDefinitionText,
} from './tools.ts';

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });
const messageContent = z.union([z.string(), z.array(textPart).max(256)]);
const imagePart = z.strictObject({
  type: z.literal('image_url'),
  image_url: z.strictObject({
    url: z.string().min(1),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});
// Only users send images, as in OpenAI's API.
const userContent = z.union([
  z.string(),
  z.array(z.discriminatedUnion('type', [textPart, imagePart])).max(256),
]);

export const chatMessageSchema = z.discriminatedUnion('role', [
  z.strictObject({
    role: z.enum(['system', 'developer']),
    content: messageContent,
    name: z.string().max(256).optional(),
  }),
  z.strictObject({
    role: z.literal('user'),
    content: userContent,
    name: z.string().max(256).optional(),
  }),
  z
    .strictObject({
      role: z.literal('assistant'),
      content: messageContent.nullable().optional(),
      name: z.string().max(256).optional(),
      tool_calls: z.array(toolCallSchema).max(128).optional(),
      // Present when a client sends back the message object it was given.
      refusal: z.string().nullable().optional(),
    })
    .refine(
      (message) =>
        (message.content !== null && message.content !== undefined) ||
        (message.tool_calls?.length ?? 0) > 0,
      { message: 'an assistant message needs content or tool_calls', path: ['content'] },
    ),
  z.strictObject({
    role: z.literal('tool'),
    content: messageContent,
    tool_call_id: z.string().min(1).max(256),
  }),
]);

/** The OpenAI chat request fields Guardstream understands; anything else is a 400. */
export const chatRequestSchema = z.strictObject({
  model: z.string().min(1).max(256),
  messages: z.array(chatMessageSchema).min(1).max(512),
  tools: z.array(functionToolSchema).max(128).optional(),
  tool_choice: toolChoiceSchema.optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('text') }),
      z.strictObject({ type: z.literal('json_object') }),
      z.strictObject({
        type: z.literal('json_schema'),
        json_schema: z.strictObject({
          name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of a-z, A-Z, 0-9, _, -'),
          description: z.string().max(100_000).optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullable().optional(),
        }),
      }),
    ])
    .optional(),
  stream: z.boolean().optional(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  max_tokens: z.number().int().min(1).max(131_072).nullable().optional(),
  max_completion_tokens: z.number().int().min(1).max(131_072).nullable().optional(),
  n: z.number().int().min(1).max(8).nullable().optional(),
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
  /** The version of the guard policy in force (`policyVersion`), named in audit events. */
  policyVersion: string;
  /** PII and secrets to placeholders, for pseudonymised requests and audit excerpts. */
  pseudonymizer: GuardEngine;
  providers: ReadonlyMap<string, ChatProvider>;
  retriever?: Retriever;
  topK: number;
  collections: readonly CollectionConfig[];
  /** Detectors whose finding on a retrieved chunk drops it (besides a block). */
  dropChunksOn: readonly string[];
  /** Reads the text in image parts (`gateway.images.mode: read`). */
  images?: ImageTextReader;
  /** The output rails that read the arguments of the model's tool calls. */
  toolArguments: GuardEngine;
  /** `guard`'s input and retrieval checks, remembered by text so history is not re-read. */
  checks: CheckCache;
  /** The rails of tenants with a guard policy of their own (`gateway.tenants[].guard`). */
  tenantRails?: ReadonlyMap<string, TenantRails>;
  audit?: (event: AuditEvent) => void;
}

/** What a guard policy puts in the gateway: the rails, their check cache and the version. */
export type TenantRails = Pick<
  ChatServices,
  'guard' | 'checks' | 'toolArguments' | 'policyVersion'
>;

/**
 * The services as `tenant`'s requests see them: its own guard policy's rails when it has one,
 * the policy in force otherwise. Taken once per request, so a request runs under one policy.
 */
export function servicesFor(services: ChatServices, tenant: string): ChatServices {
  const rails = services.tenantRails?.get(tenant);
  return rails === undefined ? services : { ...services, ...rails };
}

/** State of one request, filled in as it goes and turned into its audit event at the end. */
export class ChatTrace {
  /**
   * @param policyVersion the guard policy in force when the request started; set again to the
   * caller's tenant's once it is known
   */
  constructor(public policyVersion = '') {}
  readonly id = `chatcmpl-${randomUUID()}`;
  readonly created = Math.floor(Date.now() / 1000);
  readonly started = performance.now();
  readonly rails: RailReport[] = [];
  readonly results: GuardResult[] = [];
  retrieved: AuditEvent['retrieved'] = [];
  provider: string | null = null;
  tools: AuditEvent['tools'] = null;
  images: AuditEvent['images'] = null;
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
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
}

/** What a tool result is replaced by when the rails withhold it (the call still gets an answer). */
export function withheldToolResult(detectors: readonly string[]): string {
  return `[Guardstream withheld this tool result: ${detectors.join(', ')}]`;
}

/** The detectors behind a block, or behind a quarantine when nothing blocked. */
function railNames(result: GuardResult, quarantineOn: readonly string[]): string[] {
  const blocking = result.findings.filter((finding) => finding.action === 'block');
  const named = (blocking.length > 0 ? blocking : result.findings).filter(
    (finding) => finding.action === 'block' || quarantineOn.includes(finding.detector),
  );
  return [...new Set(named.map((finding) => finding.detector))];
}

function noToolsError(model: string, providers: string, body: ChatRequest): GuardstreamError {
  return new GuardstreamError('GS_ERR_INVALID_REQUEST', {
    message: `The model ${model} is served by ${providers}, which does not call tools`,
    param: (body.tools?.length ?? 0) > 0 ? 'tools' : 'messages',
  });
}

function tooManyChoicesError(model: string, providers: string): GuardstreamError {
  return new GuardstreamError('GS_ERR_INVALID_REQUEST', {
    message: `The model ${model} is served by ${providers}, which does not give that many choices (n)`,
    param: 'n',
  });
}

function noImagesError(model: string, providers: string, param: string): GuardstreamError {
  return new GuardstreamError('GS_ERR_INVALID_REQUEST', {
    message: `The model ${model} is served by ${providers}, which does not read images`,
    param,
  });
}

/** Where the request's first image part is, for errors about images in general. */
function firstImageParam(body: ChatRequest): string | undefined {
  for (const [index, message] of body.messages.entries()) {
    if (message.role !== 'user' || typeof message.content === 'string') continue;
    const part = message.content.findIndex((candidate) => candidate.type === 'image_url');
    if (part >= 0) return `messages[${String(index)}].content[${String(part)}]`;
  }
  return undefined;
}

/**
 * A user message's image parts, railed as `gateway.images` says: in read mode the text in each
 * image goes through the input rails, and an image whose text would be blocked or redacted
 * refuses the request (pixels cannot be redacted).
 */
async function railImages(
  services: ChatServices,
  content: ChatRequest['messages'][number]['content'],
  messageIndex: number,
  trace: ChatTrace,
): Promise<UpstreamImage[]> {
  if (content === null || content === undefined || typeof content === 'string') return [];
  const settings = services.config.images;
  const counts = (trace.images ??= { parts: 0, read: 0, unchecked: 0 });
  const images: UpstreamImage[] = [];
  for (const [partIndex, part] of content.entries()) {
    if (part.type !== 'image_url') continue;
    counts.parts += 1;
    const param = `messages[${String(messageIndex)}].content[${String(partIndex)}]`;
    const { url, detail } = part.image_url;
    const image: UpstreamImage = detail === undefined ? { url } : { url, detail };
    const bytes = dataUrlBytes(url);
    if (bytes === undefined && !/^https?:\/\//i.test(url)) {
      throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
        message: 'An image URL must be https:// or a data:image/…;base64, URL',
        param,
      });
    }
    if (settings.mode === 'pass' || (bytes === undefined && settings.remote === 'pass')) {
      counts.unchecked += 1;
      images.push(image);
      continue;
    }
    if (bytes === undefined || services.images === undefined) {
      throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
        message:
          'This gateway reads images before sending them on and does not fetch URLs: send the image as a data: URL',
        param,
      });
    }
    let text: string;
    try {
      text = await services.images.read(bytes);
    } catch (error) {
      if (!(error instanceof GuardstreamError)) throw error;
      throw new GuardstreamError(error.code, { message: error.message, param, cause: error });
    }
    const result = services.checks.check(text, 'input');
    trace.record(result);
    if (result.effective === 'block') throw blockedError('input', param, railNames(result, []));
    if (result.text !== text) {
      const redacting = [
        ...new Set(
          result.findings
            .filter((finding) => finding.action === 'redact')
            .map((finding) => finding.detector),
        ),
      ];
      throw new GuardstreamError('GS_ERR_GUARD_BLOCKED', {
        message: `The input rail would redact text in this image (${redacting.join(', ')}), and an image cannot be redacted`,
        param,
        details: { stage: 'input', rails: redacting },
      });
    }
    counts.read += 1;
    images.push({ ...image, text });
  }
  return images;
}

function blockedError(stage: string, param: string, rails: readonly string[]): GuardstreamError {
  const named = rails.length > 0 ? rails.join(', ') : `${stage} policy`;
  return new GuardstreamError('GS_ERR_GUARD_BLOCKED', {
    message: `Blocked by the ${stage} rail: ${named}`,
    param,
    details: { stage, rails: rails.length > 0 ? rails : [`${stage}_policy`] },
  });
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
  /** The client asked for a JSON answer: redactions must leave it JSON. */
  jsonAnswer: boolean;
  /** The functions the request declared: a call to any other is withheld. */
  declaredTools: ReadonlySet<string>;
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

  // Several choices are railed one by one, which a stream of interleaved choices would not allow.
  const choices = body.n ?? 1;
  if (choices > 1) {
    if (body.stream === true) {
      throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
        message: 'n > 1 is served without streaming only',
        param: 'n',
      });
    }
    if (
      !route.providers.some(
        (choice) => (services.providers.get(choice.provider)?.maxChoices ?? 1) >= choices,
      )
    ) {
      throw tooManyChoicesError(route.name, route.providers.map((c) => c.provider).join(', '));
    }
  }

  const toolsInPlay =
    (body.tools?.length ?? 0) > 0 ||
    body.messages.some(
      (message) =>
        message.role === 'tool' ||
        (message.role === 'assistant' && (message.tool_calls?.length ?? 0) > 0),
    );
  const quarantineOn = config.tools.quarantineOn;
  if (toolsInPlay) {
    trace.tools = {
      declared: (body.tools ?? []).map((tool) => tool.function.name),
      results: [],
      calls: [],
    };
  }
  const enforcing = guard.policy.mode !== 'monitor';
  const quarantined = (result: GuardResult): boolean =>
    result.effective === 'block' ||
    (enforcing && result.findings.some((finding) => quarantineOn.includes(finding.detector)));

  for (const [index, tool] of (body.tools ?? []).entries()) {
    if (!allows(principal.tools, tool.function.name)) {
      throw new GuardstreamError('GS_ERR_FORBIDDEN', {
        message: `This caller may not use the tool ${tool.function.name}`,
        param: `tools[${String(index)}]`,
      });
    }
  }

  // Tool definitions come from whoever wrote the tool (an MCP server, a plugin): documents, read
  // at retrieval. One that carries instructions refuses the request, as a tool cannot be dropped
  // from a conversation that may call it.
  for (const [index, tool] of (body.tools ?? []).entries()) {
    const result = services.checks.check(toolDefinitionText(tool), 'retrieval');
    trace.record(result);
    if (quarantined(result)) {
      throw blockedError('retrieval', `tools[${String(index)}]`, railNames(result, quarantineOn));
    }
  }

  // Refused before the input rails and retrieval when no provider of the model could take it
  // (after the definitions: a poisoned tool is worth its audit line whatever the model).
  if (
    toolsInPlay &&
    !route.providers.some((choice) => services.providers.get(choice.provider)?.callsTools === true)
  ) {
    throw noToolsError(
      route.name,
      route.providers.map((choice) => choice.provider).join(', '),
      body,
    );
  }

  // Images are refused before any reading when the gateway or every provider of the model
  // would refuse them anyway.
  const imageParam = firstImageParam(body);
  if (imageParam !== undefined) {
    if (config.images.mode === 'refuse') {
      throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
        message: 'This gateway does not accept image parts (gateway.images.mode is refuse)',
        param: imageParam,
      });
    }
    const count = body.messages.reduce(
      (sum, message) =>
        sum +
        (message.role === 'user' && typeof message.content !== 'string'
          ? message.content.filter((part) => part.type === 'image_url').length
          : 0),
      0,
    );
    if (count > config.images.maxPerRequest) {
      throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
        message: `The request carries ${String(count)} images; at most ${String(config.images.maxPerRequest)} are accepted (gateway.images.maxPerRequest)`,
        param: 'messages',
      });
    }
    if (
      !route.providers.some(
        (choice) => services.providers.get(choice.provider)?.readsImages === true,
      )
    ) {
      throw noImagesError(
        route.name,
        route.providers.map((choice) => choice.provider).join(', '),
        imageParam,
      );
    }
  }

  // Input rails on every message the client wrote (it can forge history too); tool results are
  // what tools fetched (web pages, e-mails, files): documents, read at retrieval.
  const messages: UpstreamMessage[] = [];
  for (const [index, message] of body.messages.entries()) {
    if (message.role === 'tool') {
      const result = services.checks.check(messageText(message.content), 'retrieval');
      trace.record(result);
      const withheld = quarantined(result);
      trace.tools?.results.push({ toolCallId: message.tool_call_id, withheld });
      messages.push({
        role: 'tool',
        toolCallId: message.tool_call_id,
        content: withheld ? withheldToolResult(railNames(result, quarantineOn)) : result.text,
      });
      continue;
    }
    const result = services.checks.check(messageText(message.content), 'input');
    trace.record(result);
    if (result.effective === 'block') {
      throw blockedError('input', `messages[${String(index)}]`, railNames(result, []));
    }
    if (message.role !== 'assistant' || message.tool_calls === undefined) {
      const images =
        message.role === 'user' ? await railImages(services, message.content, index, trace) : [];
      messages.push({
        role: message.role === 'developer' ? 'system' : message.role,
        content: result.text,
        ...(images.length > 0 ? { images } : {}),
      });
      continue;
    }
    // The calls a client sends back are checked as the model's calls are (it can forge them).
    const toolCalls: ToolCall[] = [];
    for (const [callIndex, call] of message.tool_calls.entries()) {
      const checked = guardJsonText(services.toolArguments, call.function.arguments, {
        stage: 'output',
      });
      trace.record({ ...checked.result, stage: 'input' });
      if (checked.blocked) {
        throw blockedError(
          'input',
          `messages[${String(index)}].tool_calls[${String(callIndex)}].function.arguments`,
          railNames(checked.result, []),
        );
      }
      toolCalls.push({ id: call.id, name: call.function.name, arguments: checked.arguments });
    }
    messages.push({ role: 'assistant', content: result.text, toolCalls });
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
      const result = services.checks.check(hit.text, 'retrieval');
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
  if (toolsInPlay && !chosen.provider.callsTools) {
    throw noToolsError(route.name, chosen.provider.config.name, body);
  }
  if (choices > chosen.provider.maxChoices) {
    throw tooManyChoicesError(route.name, chosen.provider.config.name);
  }
  if (imageParam !== undefined && !chosen.provider.readsImages) {
    throw noImagesError(route.name, chosen.provider.config.name, imageParam);
  }

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
    const pseudonymise = (text: string): string =>
      services.pseudonymizer.check(text, { stage: 'input' }, vault).text;
    // Pixels cannot be pseudonymised: an image goes only if it was read and holds no PII.
    for (const image of messages.flatMap((message) => message.images ?? [])) {
      if (image.text === undefined || pseudonymise(image.text) !== image.text) {
        throw new GuardstreamError('GS_ERR_SOVEREIGNTY', {
          message:
            image.text === undefined
              ? `No provider of ${route.name} may receive this request's data, and an unread image cannot be pseudonymised`
              : `No provider of ${route.name} may receive this request's data, and an image holds personal data that cannot be pseudonymised`,
          param: imageParam ?? 'messages',
        });
      }
    }
    upstreamMessages = upstreamMessages.map((message) => ({
      ...message,
      content: pseudonymise(message.content),
      ...(message.toolCalls === undefined
        ? {}
        : {
            toolCalls: message.toolCalls.map((call) => ({
              ...call,
              arguments: mapJsonStrings(call.arguments, pseudonymise),
            })),
          }),
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
    ...(body.tools === undefined ? {} : { tools: body.tools }),
    ...(body.tool_choice === undefined ? {} : { toolChoice: body.tool_choice }),
    ...(body.parallel_tool_calls === undefined
      ? {}
      : { parallelToolCalls: body.parallel_tool_calls }),
    ...(body.response_format === undefined ? {} : { responseFormat: body.response_format }),
    ...(choices > 1 ? { n: choices } : {}),
  };
  return {
    provider: chosen.provider,
    request,
    canary,
    systemPrompt,
    contextTexts: kept.map((hit) => hit.text),
    restore,
    jsonAnswer: body.response_format !== undefined && body.response_format.type !== 'text',
    declaredTools: new Set((body.tools ?? []).map((tool) => tool.function.name)),
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
  const restored = prepared.restore(answer);
  const context = {
    stage: 'output' as const,
    canary: prepared.canary,
    systemPrompt: prepared.systemPrompt,
    context: prepared.contextTexts,
  };
  if (prepared.jsonAnswer) {
    // A JSON answer is read value by value and rewritten so that it stays JSON for the app (one
    // that is not JSON after all is read whole, as any text).
    const checked = guardJsonText(services.guard, restored, context);
    trace.record(checked.result);
    if (checked.blocked) return { content: WITHHELD_ANSWER, finishReason: 'content_filter' };
    return { content: checked.arguments, finishReason: 'stop' };
  }
  const result = services.guard.check(restored, context);
  trace.record(result);
  if (result.effective === 'block')
    return { content: WITHHELD_ANSWER, finishReason: 'content_filter' };
  return { content: result.text, finishReason: 'stop' };
}

function recordCalls(trace: ChatTrace, calls: readonly ToolCall[], delivered: boolean): void {
  trace.tools ??= { declared: [], results: [], calls: [] };
  for (const call of calls) trace.tools.calls.push({ id: call.id, name: call.name, delivered });
}

/**
 * Output rails on the tool calls of an answer: placeholders restored first (the tool needs the
 * real address), then the argument rails with the canary, system prompt and context, as for
 * text. `undefined` when any call is blocked: the whole answer is then withheld, since running
 * the other calls of a turn the rails stopped could still do what the blocked one would have.
 */
export function guardToolCalls(
  services: ChatServices,
  prepared: PreparedChat,
  calls: readonly ToolCall[],
  trace: ChatTrace,
  /** The answer's text was already withheld: the calls go with it, unchecked. */
  answerWithheld = false,
): ToolCall[] | undefined {
  if (answerWithheld) {
    recordCalls(trace, calls, false);
    return undefined;
  }
  // A call to a function the request did not declare is the model acting beyond what it was
  // given (or what a caller's allow-list let it be given): the turn is withheld.
  // In monitor mode (a dry run) it is reported and let through, like a detector's block.
  if (calls.some((call) => !prepared.declaredTools.has(call.name))) {
    const enforcing = services.guard.policy.mode !== 'monitor';
    trace.rails.push({
      stage: 'output',
      action: enforcing ? 'block' : 'flag',
      detectors: ['undeclared_tool'],
    });
    if (enforcing) {
      recordCalls(trace, calls, false);
      return undefined;
    }
  }
  const guarded: ToolCall[] = [];
  for (const call of calls) {
    // Re-serialised only when a placeholder is restored, so the model's JSON stays as it was.
    const restored =
      prepared.restore(call.arguments) === call.arguments
        ? call.arguments
        : mapJsonStrings(call.arguments, prepared.restore);
    const checked = guardJsonText(services.toolArguments, restored, {
      stage: 'output',
      canary: prepared.canary,
      systemPrompt: prepared.systemPrompt,
      context: prepared.contextTexts,
    });
    trace.record(checked.result);
    if (checked.blocked) {
      recordCalls(trace, calls, false);
      return undefined;
    }
    guarded.push({ ...call, arguments: checked.arguments });
  }
  recordCalls(trace, calls, true);
  return guarded;
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
