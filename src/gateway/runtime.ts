import { cpus } from 'node:os';
import type { GuardstreamConfig } from '../config/index.ts';
import { builtInDetectors } from '../detectors/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import { GuardEngine, guardPolicySchema } from '../guard/index.ts';
import type { DetectorBindings, GuardPolicy } from '../guard/index.ts';
import { policyVersion } from '../policies/index.ts';
import { TopicAdmin } from '../kafka/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { modelFilePath } from '../models/index.ts';
import type { Retriever } from '../rag/index.ts';
import type { ApiDependencies } from './api.ts';
import { KafkaAuditSink } from './audit.ts';
import { Authenticator, RateLimiter } from './auth.ts';
import type { ChatServices, TenantRails } from './chat.ts';
import { LocalLlamaProvider } from './local-provider.ts';
import { CheckCache } from './check-cache.ts';
import { OpenAiCompatibleProvider } from './providers.ts';
import type { ChatProvider } from './providers.ts';
import { toolArgumentGuard } from './tools.ts';
import { ImageTextReader } from '../vision/index.ts';

export const LOCAL_CHAT_MODEL = 'smollm2-135m-instruct';

/** A policy that turns PII and secrets into placeholders, for pseudonymised requests. */
export function pseudonymizerEngine(): GuardEngine {
  return new GuardEngine(
    guardPolicySchema.parse({
      stages: {
        ingest: { detectors: [] },
        input: {
          maxChars: 50_000_000,
          detectors: [
            { detector: 'secrets', action: 'redact' },
            { detector: 'pii', action: 'redact' },
          ],
        },
        retrieval: { detectors: [] },
        output: { detectors: [] },
      },
    }),
    builtInDetectors(),
  );
}

export interface GatewayRuntime {
  api: Omit<ApiDependencies, 'metrics'>;
  audit: KafkaAuditSink | undefined;
  /**
   * Puts another guard policy in force for the requests that start from now on (the policy
   * topic's follower calls it): the input, retrieval and output rails, the tool-argument rails'
   * mode, and an emptied check cache, as cached results belong to the old policy. Returns the
   * engines it replaced (the guard and the tool-argument guard), for the caller to close once
   * requests begun under them are done.
   */
  applyPolicy(engine: GuardEngine, version: string): GuardEngine[];
  /**
   * Puts a tenant's own policy in force for its requests from now on (the policy topic's
   * follower calls it with a tenant's published policy), or with undefined takes it back: the
   * tenant's file policy again (`gateway.tenants[].guard`), or the policy in force for all.
   * Returns the engines it replaced for the caller to close, never the file's.
   */
  applyTenantPolicy(
    tenant: string,
    engine: GuardEngine | undefined,
    version: string,
  ): GuardEngine[];
  close(): Promise<void>;
}

/** Builds providers, the authenticator, the audit sink and the chat services from the config. */
export async function startGatewayServices(
  config: GuardstreamConfig,
  dependencies: {
    connection?: KafkaConnection;
    retriever?: Retriever;
    metrics?: Metrics;
    env?: NodeJS.ProcessEnv;
    modelsDir?: string;
    /** Replaces the built providers (tests inject doubles by name). */
    providers?: ReadonlyMap<string, ChatProvider>;
    onAuditError?: (error: unknown) => void;
    /** Shares bound detectors (loaded models) with the process's other components. */
    bindings?: DetectorBindings;
  } = {},
): Promise<GatewayRuntime> {
  const gateway = config.gateway;
  const env = dependencies.env ?? process.env;
  const used = new Set(gateway.models.flatMap((model) => model.providers.map((p) => p.provider)));
  const providers = new Map<string, ChatProvider>(dependencies.providers ?? []);
  for (const provider of gateway.providers) {
    if (providers.has(provider.name) || !used.has(provider.name)) continue;
    if (provider.type === 'openai') {
      const apiKey = provider.apiKeyEnv === undefined ? undefined : env[provider.apiKeyEnv];
      providers.set(provider.name, new OpenAiCompatibleProvider(provider, apiKey));
    } else {
      providers.set(
        provider.name,
        await LocalLlamaProvider.load(provider, {
          modelPath: modelFilePath(LOCAL_CHAT_MODEL, 'model.gguf', dependencies.modelsDir),
          threads: provider.threads ?? Math.max(1, Math.floor(cpus().length / 2)),
          defaultMaxTokens: provider.maxTokens,
        }),
      );
    }
  }
  let audit: KafkaAuditSink | undefined;
  if (dependencies.connection !== undefined) {
    const admin = new TopicAdmin(dependencies.connection);
    try {
      await admin.ensureTopics([{ name: gateway.auditTopic }]);
    } catch (cause) {
      throw new GuardstreamError('GS_ERR_KAFKA_UNAVAILABLE', {
        message: `Could not create the audit topic ${gateway.auditTopic}`,
        cause,
      });
    } finally {
      await admin.close();
    }
    audit = new KafkaAuditSink(
      dependencies.connection,
      gateway.auditTopic,
      10_000,
      dependencies.onAuditError,
      (count) => {
        dependencies.metrics?.gateway.auditDropped.inc(count);
      },
    );
  }
  const sink = audit;
  const images =
    gateway.images.mode === 'read'
      ? await ImageTextReader.load({
          ...(dependencies.modelsDir === undefined ? {} : { modelsDir: dependencies.modelsDir }),
          timeoutMs: gateway.images.timeoutMs,
          maxPixels: gateway.images.maxPixels,
          cacheEntries: gateway.images.cacheEntries,
          maxQueued: gateway.images.maxQueued,
        })
      : undefined;
  const registry = builtInDetectors();
  const checkCache = (engine: GuardEngine): CheckCache =>
    new CheckCache(engine, gateway.checkCacheEntries, (hit) => {
      dependencies.metrics?.gateway.checkCache.inc({ result: hit ? 'hit' : 'miss' });
    });
  const engines: GuardEngine[] = [];
  /** A guard policy's rails; their engines share the process's bindings (loaded models). */
  const railsWith = (guard: GuardEngine, version: string): TenantRails => ({
    guard,
    // The rails are the gateway's, not the policy's: with shared bindings their detectors are
    // the ones already bound, and nothing loads again.
    toolArguments: toolArgumentGuard(
      guard.policy,
      registry,
      gateway.tools.argumentRails,
      dependencies.bindings,
    ),
    checks: checkCache(guard),
    policyVersion: version,
  });
  const railsOf = (policy: GuardPolicy): TenantRails => {
    const guard = new GuardEngine(policy, registry, dependencies.bindings);
    engines.push(guard);
    const rails = railsWith(guard, policyVersion(policy));
    engines.push(rails.toolArguments);
    return rails;
  };
  let rails: TenantRails;
  let tenantRails: Map<string, TenantRails>;
  try {
    rails = railsOf(config.guard);
    tenantRails = new Map(
      gateway.tenants.flatMap((tenant, index) => {
        if (tenant.guard === undefined) return [];
        try {
          return [[tenant.name, railsOf(tenant.guard)] as const];
        } catch (error) {
          // The engine names paths from `guard`; this policy is the tenant's.
          if (!(error instanceof GuardstreamError)) throw error;
          throw new GuardstreamError(error.code, {
            message: `gateway.tenants.${String(index)}.${error.message}`,
            cause: error,
          });
        }
      }),
    );
    // The models load on their threads; the gateway starts answering once they have.
    await Promise.all(engines.map((engine) => engine.ready()));
  } catch (error) {
    for (const engine of engines) engine.close();
    throw error;
  }
  // The tenants' file policies, kept to go back to when a published one is retracted.
  const fileTenantRails = new Map(tenantRails);
  const services: ChatServices = {
    config: gateway,
    ...rails,
    tenantRails,
    pseudonymizer: pseudonymizerEngine(),
    providers,
    ...(images === undefined ? {} : { images }),
    ...(dependencies.retriever === undefined ? {} : { retriever: dependencies.retriever }),
    topK: config.rag.topK,
    collections: config.rag.collections,
    dropChunksOn: config.rag.quarantineOn,
    ...(sink === undefined
      ? {}
      : {
          audit: (event) => {
            sink.write(event);
          },
        }),
  };
  return {
    api: {
      services,
      authenticator: new Authenticator(gateway.apiKeys, gateway.jwt),
      rateLimiter: new RateLimiter(),
    },
    audit,
    applyPolicy(engine, version) {
      // One assignment: a request reads the services when it starts, so it runs under one
      // policy or the other, never a mix of the two for the same stage.
      const replaced = [services.guard, services.toolArguments];
      Object.assign(services, railsWith(engine, version));
      return replaced;
    },
    applyTenantPolicy(tenant, engine, version) {
      const current = tenantRails.get(tenant);
      const file = fileTenantRails.get(tenant);
      if (engine !== undefined) tenantRails.set(tenant, railsWith(engine, version));
      else if (file !== undefined) tenantRails.set(tenant, file);
      else tenantRails.delete(tenant);
      return current === undefined || current === file
        ? []
        : [current.guard, current.toolArguments];
    },
    async close() {
      await audit?.close();
      await images?.close();
      for (const provider of providers.values()) await provider.close();
    },
  };
}
