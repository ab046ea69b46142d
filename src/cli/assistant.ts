import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GuardstreamConfig } from '../config/index.ts';
import { builtInDetectors, committedEncoderPatch, encoderBaseModel } from '../detectors/index.ts';
import { EMBEDDING_MODEL, Embedder } from '../embedder/index.ts';
import { GuardstreamError } from '../errors/index.ts';
import { LOCAL_CHAT_MODEL, startGatewayServices } from '../gateway/index.ts';
import { OCR_MODEL_ID } from '../vision/index.ts';
import type { AuditEvent, GatewayRuntime } from '../gateway/index.ts';
import { GuardEngine } from '../guard/index.ts';
import type { DetectorBindings } from '../guard/index.ts';
import { JsonConsumer, JsonProducer } from '../kafka/index.ts';
import type { KafkaConnection } from '../kafka/index.ts';
import type { Metrics } from '../metrics/index.ts';
import { fetchModels } from '../models/index.ts';
import { startRag } from '../rag/index.ts';
import type { RunningRag } from '../rag/index.ts';

export interface AssistantStack {
  gateway: GatewayRuntime;
  rag: RunningRag | undefined;
  embedder: Embedder | undefined;
  stop(): Promise<void>;
}

/** Fetches (by pinned sha256, from the artifact registries) the models this config needs. */
export async function ensureModels(
  config: GuardstreamConfig,
  progress: (message: string) => void,
): Promise<void> {
  const needed: string[] = [];
  if (config.rag.enabled) needed.push(EMBEDDING_MODEL);
  const routed = new Set(config.gateway.models.flatMap((m) => m.providers.map((p) => p.provider)));
  if (config.gateway.providers.some((p) => p.type === 'local' && routed.has(p.name))) {
    needed.push(LOCAL_CHAT_MODEL);
  }
  if (config.gateway.images.mode === 'read') needed.push(OCR_MODEL_ID);
  // The policy's model-backed detectors load their models when it binds them.
  for (const stage of Object.values(config.guard.stages)) {
    for (const rule of stage.detectors) {
      if (rule.detector === 'banned_topics') needed.push(EMBEDDING_MODEL);
      // The groundedness cross-encoder is a patch of the embedder's file.
      if (rule.detector === 'groundedness' && rule.config.model === 'encoder') {
        needed.push(EMBEDDING_MODEL);
      }
      if (rule.detector === 'prompt_injection_encoder') {
        const { patchPath, model } = rule.config;
        needed.push(
          encoderBaseModel(
            typeof patchPath === 'string'
              ? patchPath
              : committedEncoderPatch(model === 'bge-small' ? 'bge-small' : 'minilm'),
          ),
        );
      }
    }
  }
  // Verifies what is cached and downloads only what is missing.
  if (needed.length > 0) await fetchModels([...new Set(needed)], { onProgress: progress });
}

/** Reports audit delivery trouble at most every 30 s (events stay buffered meanwhile). */
function auditErrorReporter(progress: (message: string) => void): (error: unknown) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < 30_000) return;
    last = Date.now();
    progress(
      `audit: Kafka did not take the audit events yet (${error instanceof Error ? error.message : String(error)}); retrying`,
    );
  };
}

/** The indexer, retrieval and the gateway's chat services, as `guardstream up` runs them. */
export async function startAssistantStack(
  config: GuardstreamConfig,
  connection: KafkaConnection,
  metrics: Metrics,
  options: {
    cwd: string;
    env: Readonly<Record<string, string | undefined>>;
    progress: (message: string) => void;
    /** Shares bound detectors (loaded models) with the process's other components. */
    bindings?: DetectorBindings;
  },
): Promise<AssistantStack> {
  await ensureModels(config, options.progress);
  let embedder: Embedder | undefined;
  let rag: RunningRag | undefined;
  if (config.rag.enabled) {
    embedder = await Embedder.load({ intraOpThreads: Math.min(2, cpus().length) });
    const indexerGuard = await GuardEngine.start(
      config.guard,
      builtInDetectors(),
      options.bindings,
    );
    rag = await startRag(config.rag, connection, {
      embedder,
      guard: indexerGuard,
      metrics,
      cwd: options.cwd,
      createTopics: config.processor.createTopics,
      onQuarantine: (event) => {
        options.progress(
          `quarantined document ${event.documentId} from ${event.topic}@${String(event.offset)}: ${event.reason}`,
        );
      },
    });
  }
  let gateway: GatewayRuntime;
  try {
    gateway = await startGatewayServices(config, {
      connection,
      ...(rag === undefined ? {} : { retriever: rag.retriever }),
      metrics,
      env: options.env,
      onAuditError: auditErrorReporter(options.progress),
      ...(options.bindings === undefined ? {} : { bindings: options.bindings }),
    });
  } catch (error) {
    await rag?.stop();
    await embedder?.close();
    throw error;
  }
  return {
    gateway,
    rag,
    embedder,
    async stop() {
      await gateway.close();
      await rag?.stop();
      await embedder?.close();
    },
  };
}

interface KnowledgeLine {
  id: string;
  topic?: string;
  document: unknown;
}

/**
 * Produces a JSONL file of `{"id", "topic"?, "document": {text, title, acl, …}}` lines to the
 * knowledge topics (the first collection by default) and waits until the indexer has seen them.
 */
export async function loadKnowledge(
  file: string,
  config: GuardstreamConfig,
  connection: KafkaConnection,
  rag: RunningRag,
): Promise<string> {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as KnowledgeLine;
      } catch (cause) {
        throw new GuardstreamError('GS_ERR_INVALID_REQUEST', {
          message: `${file}:${String(index + 1)} is not JSON`,
          cause,
        });
      }
    });
  const defaultTopic = config.rag.collections[0]?.topic ?? 'knowledge';
  const before = { ...rag.indexer.counters };
  const quarantinedBefore = rag.indexer.quarantine.length;
  const producer = new JsonProducer(connection);
  try {
    await producer.send(
      lines.map((line) => ({
        topic: line.topic ?? defaultTopic,
        key: line.id,
        value: line.document,
      })),
    );
  } finally {
    await producer.close();
  }
  const seen = (): number =>
    rag.indexer.counters.indexed +
    rag.indexer.counters.quarantined +
    rag.indexer.counters.invalid -
    before.indexed -
    before.quarantined -
    before.invalid;
  const deadline = Date.now() + 60_000;
  while (seen() < lines.length && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 100));
  }
  const quarantined = rag.indexer.quarantine
    .slice(quarantinedBefore)
    .map((event) => event.documentId);
  return `${String(lines.length)} documents produced to ${defaultTopic}; ${String(rag.indexer.counters.indexed - before.indexed)} indexed, ${String(rag.indexer.counters.quarantined - before.quarantined)} quarantined${quarantined.length > 0 ? ` (${quarantined.join(', ')})` : ''}`;
}

export interface DemoRequest {
  title: string;
  apiKey: string;
  question: string;
}

/** Runs example requests in-process and describes what happened, with the curl to repeat them. */
export async function demoRequests(
  app: FastifyInstance,
  base: string,
  model: string,
  requests: readonly DemoRequest[],
): Promise<string[]> {
  const lines: string[] = [];
  for (const request of requests) {
    const payload = {
      model,
      max_tokens: 96,
      messages: [{ role: 'user', content: request.question }],
    };
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${request.apiKey}`, 'content-type': 'application/json' },
      payload,
    });
    const body = response.json<{
      choices?: { message?: { content?: string } }[];
      guardstream?: { documents?: string[] };
      error?: { code?: string; message?: string };
    }>();
    const outcome =
      body.error === undefined
        ? `HTTP ${String(response.statusCode)}: ${(body.choices?.[0]?.message?.content ?? '').replace(/\s+/g, ' ').slice(0, 300)}`
        : `HTTP ${String(response.statusCode)} ${body.error.code ?? ''}: ${body.error.message ?? ''}`;
    lines.push(
      `  ${request.title}`,
      `    curl -s ${base}/v1/chat/completions -H 'authorization: Bearer ${request.apiKey}' -H 'content-type: application/json' -d '${JSON.stringify(payload).replaceAll("'", "'\\''")}'`,
      `    -> ${outcome}`,
      `    documents in the prompt: ${body.guardstream?.documents?.join(', ') || '(none)'}`,
      `    rails: ${response.headers['x-guardstream-rails'] === undefined ? '(none: refused before the model)' : String(response.headers['x-guardstream-rails'])}`,
    );
  }
  return lines;
}

/** `guardstream audit tail`: prints audit events as they arrive, one line each. */
export async function tailAudit(
  connection: KafkaConnection,
  topic: string,
  write: (line: string) => void,
  untilStopped: Promise<string>,
  options: { fromBeginning: boolean; json: boolean },
): Promise<void> {
  const consumer = new JsonConsumer<AuditEvent>(connection, {
    groupId: `guardstream-audit-tail-${String(process.pid)}-${String(Date.now())}`,
    startFrom: options.fromBeginning ? 'earliest' : 'latest',
  });
  const reading = (async () => {
    for await (const record of consumer.consume([topic])) {
      const event = record.value;
      if (event === null) continue;
      if (options.json) {
        write(`${JSON.stringify(event)}\n`);
        continue;
      }
      const rails = event.rails
        .map(
          (rail) =>
            `${rail.stage}=${rail.action}${rail.detectors.length > 0 ? `(${rail.detectors.join(',')})` : ''}`,
        )
        .join(' ');
      write(
        `${event.time} ${event.principal?.tenant ?? '-'}/${event.principal?.user ?? event.principal?.id ?? '-'} ${event.model ?? '-'}→${event.provider ?? '-'} ${String(event.status)} ${event.outcome}${event.errorCode === undefined ? '' : ` ${event.errorCode}`} ${rails} docs=${
          event.retrieved
            .filter((hit) => !hit.dropped)
            .map((hit) => hit.documentId)
            .join(',') || '-'
        } ${String(Math.round(event.latencyMs))}ms\n`,
      );
    }
  })();
  await Promise.race([untilStopped, reading]);
  await consumer.close();
  await reading.catch(() => undefined);
}

export function resolveFrom(cwd: string, file: string): string {
  return resolve(cwd, file);
}
