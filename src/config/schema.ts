import { z } from 'zod';
import { contractSchema } from '../contracts/schema.ts';
import { guardPolicySchema } from '../guard/policy.ts';
import { gatewaySchema } from '../gateway/config.ts';
import { ragSchema } from '../rag/config.ts';

const port = z.number().int().min(1).max(65535);

export const embeddedKafkaSchema = z
  .strictObject({
    port: port.default(9092).describe('Client (PLAINTEXT) port of the embedded broker.'),
    controllerPort: port.default(9093).describe('KRaft controller port of the embedded broker.'),
    dataDir: z
      .string()
      .min(1)
      .default('.guardstream/kafka')
      .describe('Where the embedded broker keeps its log segments, config, pid file and log.'),
    heapMb: z.number().int().min(128).max(16384).default(1024).describe('Broker JVM heap in MiB.'),
    startTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .max(600_000)
      .default(60_000)
      .describe('How long to wait for the broker to answer metadata requests.'),
  })
  .describe('The single-node Kafka broker Guardstream starts when no cluster is named.');

export const kafkaSchema = z
  .strictObject({
    bootstrapServers: z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'))
      .default([])
      .describe(
        'An existing cluster (host:port list). Empty means Guardstream starts its embedded broker.',
      ),
    clientId: z
      .string()
      .min(1)
      .default('guardstream')
      .describe('Kafka client id prefix, visible in broker logs and quotas.'),
    tls: z
      .strictObject({
        caFile: z
          .string()
          .min(1)
          .optional()
          .describe(
            "PEM file of the certificate authorities that signed the brokers' certificates (default: the system's). Certificates are always verified.",
          ),
        certFile: z
          .string()
          .min(1)
          .optional()
          .describe(
            'Client certificate chain (PEM), for clusters that authenticate clients by TLS.',
          ),
        keyFile: z
          .string()
          .min(1)
          .optional()
          .describe('Private key (PEM, unencrypted) of `certFile`.'),
        serverName: z
          .string()
          .min(1)
          .optional()
          .describe(
            "The name the brokers' certificates must carry, when it is not the host the client connects to (SNI too).",
          ),
      })
      .optional()
      .describe(
        'Connect to `bootstrapServers` over TLS (listeners SSL or SASL_SSL). Absent: plaintext.',
      ),
    sasl: z
      .strictObject({
        mechanism: z
          .enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'])
          .describe(
            'SASL mechanism the listener enables (Confluent Cloud: PLAIN or OAUTHBEARER; Amazon MSK: SCRAM-SHA-512; Strimzi with Keycloak: OAUTHBEARER).',
          ),
        username: z
          .string()
          .min(1)
          .optional()
          .describe('SASL user name (API key); PLAIN and SCRAM only.'),
        password: z
          .string()
          .min(1)
          .optional()
          .describe(
            'SASL password (API secret); PLAIN and SCRAM only. Prefer GUARDSTREAM_KAFKA_SASL_PASSWORD to writing it in this file.',
          ),
        oauth: z
          .strictObject({
            tokenEndpoint: z
              .url({ protocol: /^https?$/ })
              .describe(
                "The identity provider's OAuth 2 token endpoint; a token is got there with the client-credentials grant and used until shortly before it expires.",
              ),
            clientId: z.string().min(1).describe('OAuth client id.'),
            clientSecret: z
              .string()
              .min(1)
              .describe(
                'OAuth client secret, sent by HTTP Basic authentication. Prefer GUARDSTREAM_KAFKA_OAUTH_CLIENT_SECRET to writing it in this file.',
              ),
            scope: z
              .string()
              .min(1)
              .optional()
              .describe('Scope to ask for, if the provider wants one.'),
            extensions: z
              .record(z.string().regex(/^[A-Za-z]+$/), z.string())
              .default({})
              .describe(
                'SASL extensions sent with the token (Confluent Cloud: logicalCluster and identityPoolId).',
              ),
          })
          .optional()
          .describe('OAUTHBEARER only: where and how to get tokens.'),
      })
      .optional()
      .describe(
        'Authenticate to `bootstrapServers` with SASL (listeners SASL_SSL, or SASL_PLAINTEXT: PLAIN then sends the password in clear text, so pair it with `tls`).',
      ),
    compression: z
      .enum(['none', 'gzip', 'snappy', 'lz4', 'zstd'])
      .default('none')
      .describe(
        'Codec for the batches Guardstream writes (clean topics, dead letters, audit events, knowledge). Whatever this says, batches other producers compressed are read with any codec. zstd is written by zstd compiled to WebAssembly (Node 20 has no zstd of its own), at level 3 as the Java client.',
      ),
    embedded: embeddedKafkaSchema.prefault({}),
  })
  .superRefine((kafka, context) => {
    // The embedded broker listens in plaintext on 127.0.0.1 only; security settings there would
    // be silently unused, which in a security setting is worse than an error.
    if (kafka.bootstrapServers.length === 0) {
      for (const key of ['tls', 'sasl'] as const)
        if (kafka[key] !== undefined)
          context.addIssue({
            code: 'custom',
            path: [key],
            message: `applies to a cluster named in kafka.bootstrapServers; the embedded broker listens in plaintext on 127.0.0.1`,
          });
    }
    const sasl = kafka.sasl;
    if (sasl !== undefined) {
      const byToken = sasl.mechanism === 'OAUTHBEARER';
      const required = byToken ? (['oauth'] as const) : (['username', 'password'] as const);
      const unused = byToken ? (['username', 'password'] as const) : (['oauth'] as const);
      for (const key of required)
        if (sasl[key] === undefined)
          context.addIssue({
            code: 'custom',
            path: ['sasl', key],
            message: `required with mechanism ${sasl.mechanism}`,
          });
      for (const key of unused)
        if (sasl[key] !== undefined)
          context.addIssue({
            code: 'custom',
            path: ['sasl', key],
            message: `not used with mechanism ${sasl.mechanism}`,
          });
    }
    if ((kafka.tls?.certFile === undefined) !== (kafka.tls?.keyFile === undefined))
      context.addIssue({
        code: 'custom',
        path: ['tls', kafka.tls?.certFile === undefined ? 'certFile' : 'keyFile'],
        message: 'certFile and keyFile go together',
      });
  })
  .describe('Kafka connection and the embedded development broker.');

export const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP server binds to.'),
    port: port.default(8080).describe('Port the HTTP server listens on.'),
    shutdownStepMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .default(10_000)
      .describe(
        "On SIGTERM or Ctrl-C, how long `up` and `contracts run` wait for each part (gateway, indexer, contracts, broker) before going on without it. With Kafka unreachable a consumer's last call can wait out the client's whole retry budget (~30 s); what is not committed is read again on restart. Keep the sum under your orchestrator's grace period.",
      ),
  })
  .describe('The HTTP server (health, API, console).');

export const logSchema = z.strictObject({
  level: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level of Guardstream processes.'),
});

export const processorSchema = z
  .strictObject({
    instanceId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/)
      .optional()
      .describe(
        'Names this replica (default: the host name). Exactly-once contracts derive their transactional id from it: give every replica its own, and keep it across restarts.',
      ),
    keyringFile: z
      .string()
      .optional()
      .describe(
        'JSON file {"keys": {"<keyId>": "<base64 32-byte key>"}} for encrypt transforms; GUARDSTREAM_KEY_<ID> environment variables work too. Keys are never logged.',
      ),
    evaluationThreads: z
      .number()
      .int()
      .min(0)
      .max(64)
      .optional()
      .describe(
        'Worker threads per contract that evaluate records beside the Kafka thread (default: CPU count - 1, at least 1, at most 4; 0 evaluates on the Kafka thread).',
      ),
    createTopics: z
      .boolean()
      .default(true)
      .describe("Create missing source, target and DLQ topics at start (the broker's defaults)."),
  })
  .describe(
    'How contract processors run (the hash salt comes from GUARDSTREAM_HASH_SALT, never this file).',
  );

export const configSchema = z
  .strictObject({
    kafka: kafkaSchema.prefault({}),
    server: serverSchema.prefault({}),
    log: logSchema.prefault({}),
    guard: guardPolicySchema.prefault({}),
    policies: z
      .strictObject({
        follow: z
          .boolean()
          .default(false)
          .describe(
            "Follow the policy topic: a guard policy published there (`guardstream policy publish`) replaces `guard` in the gateway, the contract processors and the knowledge indexer of every instance, while they run; a tombstone brings this file's back.",
          ),
        topic: z
          .string()
          .min(1)
          .default('guardstream.policies')
          .describe('The compacted topic guard policies are published to (key `guard`).'),
      })
      .prefault({})
      .describe('Guard policies distributed through Kafka, so every replica runs the same one.'),
    contracts: z
      .array(contractSchema)
      .superRefine((contracts, context) => {
        const seen = new Set<string>();
        contracts.forEach((contract, index) => {
          if (seen.has(contract.name)) {
            context.addIssue({
              code: 'custom',
              message: `duplicate contract name ${contract.name}`,
              path: [index, 'name'],
            });
          }
          seen.add(contract.name);
        });
      })
      .default([])
      .describe('Data contracts from raw topics to clean topics, with a dead-letter topic each.'),
    processor: processorSchema.prefault({}),
    rag: ragSchema.prefault({}),
    gateway: gatewaySchema.prefault({}),
  })
  .describe('guardstream.yaml: the one Guardstream configuration file.');

export type GuardstreamConfig = z.output<typeof configSchema>;
export type GuardstreamConfigInput = z.input<typeof configSchema>;
