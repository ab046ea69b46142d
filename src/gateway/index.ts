import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { GuardstreamError, isGuardstreamError } from '../errors/index.ts';
import { probeMetadata } from '../kafka/index.ts';
import type { KafkaSecurity } from '../kafka/index.ts';
import type { MetadataProbe } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { registerApi } from './api.ts';
import type { ApiDependencies } from './api.ts';
import type { ChatServices, TenantRails } from './chat.ts';
import { openApiDocument } from './openapi.ts';

export { registerApi, guardRequestSchema } from './api.ts';
export type { ApiDependencies } from './api.ts';
export { KafkaAuditSink } from './audit.ts';
export type { AuditEvent, AuditSink } from './audit.ts';
export { Authenticator, RateLimiter, sha256Hex } from './auth.ts';
export type { CallerPrincipal } from './auth.ts';
export { chatRequestSchema, prepareChat, WITHHELD_ANSWER } from './chat.ts';
export type { ChatServices, TenantRails } from './chat.ts';
export { gatewaySchema, providerSchema, tenantPolicySchema } from './config.ts';
export type { GatewayConfig, ProviderConfig, TenantPolicy } from './config.ts';
export { LocalLlamaProvider } from './local-provider.ts';
export { MAX_UPSTREAM_ANSWER_BYTES, OpenAiCompatibleProvider } from './providers.ts';
export type { ChatProvider, Completion, StreamEvent, UpstreamRequest } from './providers.ts';
export { StreamingOutputGuard } from './rails.ts';
export type { StreamStep } from './rails.ts';
export { LOCAL_CHAT_MODEL, pseudonymizerEngine, startGatewayServices } from './runtime.ts';
export type { GatewayRuntime } from './runtime.ts';
export { openApiDocument } from './openapi.ts';
export { CheckCache } from './check-cache.ts';
export {
  guardJsonText,
  mapJsonStrings,
  readableJson,
  toolArgumentGuard,
  ToolCallAccumulator,
} from './tools.ts';
export type { ArgumentCheck } from './tools.ts';

export interface GatewayOptions {
  bootstrapServers: readonly string[];
  /** TLS and SASL for the health check's metadata probe, as the other clients use. */
  kafkaSecurity?: KafkaSecurity;
  /** Fastify's logger; off unless the caller wants request logs. */
  logger?: boolean | { level: string };
  /** How long a broker probe result is reused, so health checks cannot hammer the cluster. */
  healthCacheMs?: number;
  bodyLimitBytes?: number;
  /** Served on GET /metrics in the Prometheus text format. */
  metrics?: Metrics;
  /** The `/v1` API (chat completions, models, guard); without it only health and metrics. */
  api?: Omit<ApiDependencies, 'metrics'>;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  kafka: {
    reachable: boolean;
    bootstrapServers: readonly string[];
    clusterId: string | null;
    brokers: number;
  };
  uptimeSeconds: number;
  /** The guard policy the gateway's rails run (with the HTTP API only). */
  policyVersion?: string;
  /** The tenants with a guard policy of their own, and its version (with the HTTP API only). */
  tenantPolicyVersions?: Record<string, string>;
}

function brokerHealth(
  bootstrapServers: readonly string[],
  security: KafkaSecurity,
  cacheMs: number,
): () => Promise<MetadataProbe> {
  let cached: { at: number; probe: Promise<MetadataProbe> } | undefined;
  return () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > cacheMs) {
      cached = { at: now, probe: probeMetadata(bootstrapServers, 1_500, security) };
    }
    return cached.probe;
  };
}

/** The policy versions the rails run now, so replicas can be compared by one request each. */
function policyReport(
  services: ChatServices,
): Pick<HealthReport, 'policyVersion' | 'tenantPolicyVersions'> {
  const tenants = [...(services.tenantRails ?? new Map<string, TenantRails>())];
  return {
    policyVersion: services.policyVersion,
    ...(tenants.length === 0
      ? {}
      : {
          tenantPolicyVersions: Object.fromEntries(
            tenants.map(([tenant, rails]) => [tenant, rails.policyVersion]),
          ),
        }),
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Builds the HTTP server without listening, so tests can drive it with `inject`. */
export function buildGateway(options: GatewayOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? 1024 * 1024,
    return503OnClosing: true,
  });
  const startedAt = Date.now();
  const probe = brokerHealth(
    options.bootstrapServers,
    options.kafkaSecurity ?? {},
    options.healthCacheMs ?? 1_000,
  );

  // JSON bodies are decoded strictly: invalid UTF-8 is a 400, not silently replaced characters.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      done(
        new GuardstreamError('GS_ERR_INVALID_REQUEST', { message: 'The body is not valid UTF-8' }),
      );
      return;
    }
    try {
      done(null, text === '' ? undefined : (JSON.parse(text) as unknown));
    } catch (error) {
      done(
        new GuardstreamError('GS_ERR_INVALID_REQUEST', {
          message: `The body is not valid JSON: ${(error as Error).message}`,
        }),
      );
    }
  });

  app.setErrorHandler((error: FastifyError | GuardstreamError, request, reply) => {
    if (isGuardstreamError(error)) {
      if (error.httpStatus >= 500) request.log.error({ err: error }, error.message);
      const retryAfter = error.details.retryAfterSeconds;
      if (typeof retryAfter === 'number') void reply.header('retry-after', String(retryAfter));
      return reply.status(error.httpStatus).send(error.toBody());
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status === 413) {
      return reply.status(413).send(new GuardstreamError('GS_ERR_PAYLOAD_TOO_LARGE').toBody());
    }
    if (status >= 400 && status < 500) {
      return reply
        .status(status)
        .send(new GuardstreamError('GS_ERR_INVALID_REQUEST', { message: error.message }).toBody());
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(new GuardstreamError('GS_ERR_INTERNAL').toBody());
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new GuardstreamError('GS_ERR_NOT_FOUND', {
      message: `No route for ${request.method} ${request.url}`,
    });
    return reply.status(404).send(error.toBody());
  });

  const metrics = options.metrics;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics?.gateway.requests.inc({ route, status: String(reply.statusCode) });
    metrics?.gateway.durationSeconds.observe({ route }, reply.elapsedTime / 1000);
    done();
  });

  const openApi = openApiDocument();
  app.get('/openapi.json', () => openApi);

  if (options.api !== undefined) {
    registerApi(app, { ...options.api, ...(metrics === undefined ? {} : { metrics }) });
  }

  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => {
      const text = await metrics.text();
      return reply.header('content-type', metrics.contentType).send(text);
    });
  }

  app.get('/healthz', async (_request, reply) => {
    const kafka = await probe();
    const report: HealthReport = {
      status: kafka.reachable ? 'ok' : 'degraded',
      kafka: {
        reachable: kafka.reachable,
        bootstrapServers: options.bootstrapServers,
        clusterId: kafka.clusterId,
        brokers: kafka.brokers,
      },
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      ...(options.api === undefined ? {} : policyReport(options.api.services)),
    };
    // 200 while the process serves: an orchestrator should not restart the gateway because
    // Kafka is down; readiness belongs to the broker status inside the body.
    return reply.status(200).send(report);
  });

  return app;
}
