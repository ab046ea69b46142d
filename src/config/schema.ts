import { z } from 'zod';
import { contractSchema } from '../contracts/schema.ts';
import { guardPolicySchema } from '../guard/policy.ts';

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
    embedded: embeddedKafkaSchema.prefault({}),
  })
  .describe('Kafka connection and the embedded development broker.');

export const serverSchema = z
  .strictObject({
    host: z.string().min(1).default('127.0.0.1').describe('Address the HTTP server binds to.'),
    port: port.default(8080).describe('Port the HTTP server listens on.'),
  })
  .describe('The HTTP server (health, API, console).');

export const logSchema = z.strictObject({
  level: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level of Guardstream processes.'),
});

export const configSchema = z
  .strictObject({
    kafka: kafkaSchema.prefault({}),
    server: serverSchema.prefault({}),
    log: logSchema.prefault({}),
    guard: guardPolicySchema.prefault({}),
    contracts: z
      .array(contractSchema)
      .default([])
      .describe('Data contracts from raw topics to clean topics, with a dead-letter topic each.'),
  })
  .describe('guardstream.yaml: the one Guardstream configuration file.');

export type GuardstreamConfig = z.output<typeof configSchema>;
export type GuardstreamConfigInput = z.input<typeof configSchema>;
