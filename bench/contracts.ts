/**
 * `npm run bench -- contracts`: 1 KB JSON records through a contract (JSON Schema + CEL rule +
 * PII/secret scan) beside a plain consume→produce passthrough built from the same client
 * classes, on the same broker in the same run, plus Kafka's own ProducerPerformance tool on
 * that broker as the physical reference. The broker is started here, on loopback, and stopped.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import type * as ContractsModule from '../src/contracts/index.ts';
import type { ContractInput } from '../src/contracts/index.ts';
import type * as DetectorsModule from '../src/detectors/index.ts';
import type * as GuardModule from '../src/guard/index.ts';
import type * as KafkaModule from '../src/kafka/index.ts';
import type { KafkaConnection, OutgoingRecord } from '../src/kafka/index.ts';

/**
 * The contestants run the shipped build (`dist/`, compiled by `npm run build`, which
 * `npm run bench` runs first), not the TypeScript sources through tsx: that is what users run,
 * and tsx's transform adds measurable per-call overhead. Passthrough and contract use the same
 * built client classes.
 */
interface Built {
  contracts: typeof ContractsModule;
  detectors: typeof DetectorsModule;
  guard: typeof GuardModule;
  kafka: typeof KafkaModule;
}

async function loadBuilt(): Promise<Built> {
  const load = async (component: string): Promise<unknown> =>
    import(pathToFileURL(join(process.cwd(), 'dist/src', component, 'index.js')).href);
  return {
    contracts: (await load('contracts')) as typeof ContractsModule,
    detectors: (await load('detectors')) as typeof DetectorsModule,
    guard: (await load('guard')) as typeof GuardModule,
    kafka: (await load('kafka')) as typeof KafkaModule,
  };
}

let lib: Built;

const RECORDS = Number(process.env.GUARDSTREAM_BENCH_RECORDS ?? 100_000);
const ROUNDS = 3;
const PARTITIONS = 3;
const RECORD_BYTES = 1024;

interface Throughput {
  recordsPerSec: number;
  mbPerSec: number;
  seconds: number;
}

function progress(message: string): void {
  process.stderr.write(`[bench contracts] ${message}\n`);
}

const firstNames = ['Ana', 'Luis', 'Marie', 'Jonas', 'Priya', 'Kenji', 'Olu', 'Sara'];
const notes = [
  'Customer asked for delivery after 6pm and a paper invoice.',
  'Please call before delivery; the building has no lift.',
  'Gift wrap requested. Leave with the neighbour if absent.',
  'Repeat order from last month, same address as before.',
];

/** A realistic order of exactly RECORD_BYTES bytes, some fields with PII in free text. */
export function orderRecord(id: number): Buffer {
  const name = firstNames[id % firstNames.length] ?? 'Ana';
  const value = {
    id,
    createdAt: new Date(1_764_000_000_000 + id * 1000).toISOString(),
    amount: ((id % 5000) + 1) / 10,
    currency: 'EUR',
    customer: {
      name: `${name} Example`,
      email: `${name.toLowerCase()}.${String(id)}@example.com`,
      phone: `+44 20 7946 ${String(id % 10_000).padStart(4, '0')}`,
    },
    items: [
      { sku: `SKU-${String(id % 997)}`, quantity: (id % 3) + 1, title: 'Stainless steel bottle' },
      { sku: `SKU-${String(id % 991)}`, quantity: 1, title: 'Insulated lunch box' },
    ],
    note: `${notes[id % notes.length] ?? ''} Contact ${name} on +33 6 12 34 ${String(id % 100).padStart(2, '0')} 78 if needed.`,
    history: '',
  };
  // Fill to exactly RECORD_BYTES with order-history prose, not a run of one character: long
  // single-character runs cost the token scanners several times more per byte than text does.
  const unpadded = Buffer.byteLength(JSON.stringify(value));
  const prose =
    'Previous orders were delivered on time; the customer rated the courier five stars and asked to keep the same packaging. ';
  value.history = prose
    .repeat(Math.ceil(RECORD_BYTES / prose.length))
    .slice(0, Math.max(0, RECORD_BYTES - unpadded));
  return Buffer.from(JSON.stringify(value));
}

const benchContract: ContractInput = {
  name: 'bench-orders',
  source: 'bench.orders.raw',
  target: 'bench.orders.clean',
  dlq: 'bench.orders.dlq',
  valueSchema: {
    type: 'object',
    required: ['id', 'amount', 'currency', 'customer', 'items'],
    properties: {
      id: { type: 'integer' },
      amount: { type: 'number', exclusiveMinimum: 0 },
      currency: { enum: ['EUR', 'GBP', 'USD'] },
      customer: { type: 'object', required: ['email'] },
      items: { type: 'array', minItems: 1 },
    },
  },
  rules: [
    { name: 'has_items', expression: 'size(value.items) > 0' },
    { name: 'sane_amount', expression: 'value.amount < 100000.0' },
  ],
  guard: true,
};

/** The scan: PII and secrets (redacted) plus invisible text, the cheap ingest rails. */
const piiSecretPolicy = (): GuardModule.GuardPolicy =>
  lib.guard.guardPolicySchema.parse({
    stages: {
      ingest: {
        detectors: [
          { detector: 'invisible_text', action: 'block' },
          { detector: 'secrets', action: 'redact' },
          { detector: 'pii', action: 'redact' },
        ],
      },
    },
  });

async function produceSource(connection: KafkaConnection, topic: string): Promise<void> {
  const producer = new lib.kafka.JsonProducer(connection);
  try {
    let batch: OutgoingRecord<unknown>[] = [];
    for (let id = 0; id < RECORDS; id += 1) {
      batch.push({ topic, key: `o${String(id)}`, value: null, rawValue: orderRecord(id) });
      if (batch.length === 500) {
        await producer.send(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await producer.send(batch);
  } finally {
    await producer.close();
  }
}

function throughput(records: number, seconds: number): Throughput {
  return {
    recordsPerSec: Math.round(records / seconds),
    mbPerSec: Math.round(((records * RECORD_BYTES) / 1_048_576 / seconds) * 100) / 100,
    seconds: Math.round(seconds * 1000) / 1000,
  };
}

/** The baseline: same consumer batches, same idempotent producer, same commit-after-produce. */
async function passthrough(
  connection: KafkaConnection,
  source: string,
  target: string,
  groupId: string,
): Promise<Throughput> {
  const consumer = new lib.kafka.JsonConsumer(connection, { groupId, bufferedRecords: 1024 });
  const producer = new lib.kafka.JsonProducer(connection);
  const started = performance.now();
  let seen = 0;
  try {
    for await (const batch of consumer.batches([source], 500)) {
      await producer.send(
        batch.map((record) => ({
          topic: target,
          key: record.key,
          value: null,
          ...(record.rawValue === null ? {} : { rawValue: record.rawValue }),
          headers: record.headers,
        })),
      );
      await consumer.commit(batch);
      seen += batch.length;
      if (seen >= RECORDS) break;
    }
    return throughput(seen, (performance.now() - started) / 1000);
  } finally {
    await consumer.close();
    await producer.close();
  }
}

async function contractRun(
  connection: KafkaConnection,
  target: string,
  groupId: string,
  guard: GuardModule.GuardEngine,
): Promise<Throughput & { dlq: number }> {
  const contract = lib.contracts.contractSchema.parse({ ...benchContract, target });
  const processor = new lib.contracts.ContractProcessor(connection, contract, {
    guard,
    groupId,
    evaluationThreads: Number(
      process.env.GUARDSTREAM_BENCH_THREADS ?? lib.contracts.defaultEvaluationThreads(),
    ),
  });
  const started = performance.now();
  const running = processor.run();
  while (processor.counters.in < RECORDS) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  await processor.stop();
  await running;
  return { ...throughput(processor.counters.in, seconds), dlq: processor.counters.dlq };
}

async function kafkaProducerPerf(
  bootstrap: string,
): Promise<{ recordsPerSec: number; mbPerSec: number; raw: string }> {
  const run = promisify(execFile);
  const { stdout } = await run(
    'java',
    [
      '-Xmx512m',
      '-cp',
      `${lib.kafka.defaultLibsDir()}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      'bench.producer-perf',
      '--num-records',
      String(RECORDS),
      '--record-size',
      String(RECORD_BYTES),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${bootstrap}`,
      'acks=all',
      'enable.idempotence=true',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const lines = stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  const match = /([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(last);
  if (match === null) throw new Error(`Unexpected ProducerPerformance output: ${last}`);
  return { recordsPerSec: Math.round(Number(match[1])), mbPerSec: Number(match[2]), raw: last };
}

function best<T extends { recordsPerSec: number }>(runs: readonly T[]): T {
  return runs.reduce((a, b) => (b.recordsPerSec > a.recordsPerSec ? b : a));
}

export async function runContractsBench(): Promise<Record<string, unknown>> {
  lib = await loadBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'gs-bench-contracts-'));
  const broker = new lib.kafka.LocalBroker({
    port: await lib.kafka.freePort(),
    controllerPort: await lib.kafka.freePort(),
    dataDir: join(dir, 'kafka'),
    attached: true,
  });
  progress(`starting a broker on ${broker.bootstrapServers}`);
  await broker.start();
  const connection: KafkaConnection = {
    bootstrapServers: [broker.bootstrapServers],
    clientId: 'guardstream-bench',
  };
  try {
    const admin = new lib.kafka.TopicAdmin(connection);
    const topics = [benchContract.source, benchContract.dlq, 'bench.producer-perf'];
    for (let round = 0; round < ROUNDS; round += 1) {
      topics.push(`bench.passthrough.${String(round)}`, `bench.contract.${String(round)}`);
      topics.push(`bench.contract-full.${String(round)}`);
    }
    await admin.ensureTopics(topics.map((name) => ({ name, partitions: PARTITIONS })));
    await admin.close();
    progress(`producing ${String(RECORDS)} records of ${String(RECORD_BYTES)} bytes`);
    await produceSource(connection, benchContract.source);
    progress('produced; measuring');

    const scanGuard = new lib.guard.GuardEngine(
      piiSecretPolicy(),
      lib.detectors.builtInDetectors(),
    );
    const fullGuard = new lib.guard.GuardEngine(
      lib.guard.guardPolicySchema.parse({}),
      lib.detectors.builtInDetectors(),
    );
    const passthroughRuns: Throughput[] = [];
    const contractRuns: (Throughput & { dlq: number })[] = [];
    const fullIngestRuns: (Throughput & { dlq: number })[] = [];
    // Alternate the contestants so drift (page cache, JIT, GC) does not favour one of them.
    for (let round = 0; round < ROUNDS; round += 1) {
      const tag = String(round);
      passthroughRuns.push(
        await passthrough(
          connection,
          benchContract.source,
          `bench.passthrough.${tag}`,
          `bench-passthrough-${tag}`,
        ),
      );
      progress(`round ${tag} passthrough: ${JSON.stringify(passthroughRuns[round])}`);
      contractRuns.push(
        await contractRun(connection, `bench.contract.${tag}`, `bench-contract-${tag}`, scanGuard),
      );
      progress(`round ${tag} contract: ${JSON.stringify(contractRuns[round])}`);
      fullIngestRuns.push(
        await contractRun(
          connection,
          `bench.contract-full.${tag}`,
          `bench-contract-full-${tag}`,
          fullGuard,
        ),
      );
      progress(
        `round ${tag} contract, full ingest policy: ${JSON.stringify(fullIngestRuns[round])}`,
      );
    }
    progress('Kafka ProducerPerformance on the same broker');
    const producerPerf = await kafkaProducerPerf(broker.bootstrapServers);
    progress(`ProducerPerformance: ${producerPerf.raw}`);

    const contract = best(contractRuns);
    const baseline = best(passthroughRuns);
    const result = {
      machine: { cpus: cpus().length, node: process.version },
      records: RECORDS,
      recordBytes: RECORD_BYTES,
      partitions: PARTITIONS,
      evaluationThreads: Number(
        process.env.GUARDSTREAM_BENCH_THREADS ?? lib.contracts.defaultEvaluationThreads(),
      ),
      code: 'dist/ (npm run build)',
      note: 'Best of the alternated rounds for each contestant; broker, client and processor share the machine. contract = JSON Schema + 2 CEL rules + invisible_text/secrets/pii scan over every string field; contractFullIngestPolicy adds the prompt-injection model (the default ingest policy).',
      contract: { recordsPerSec: contract.recordsPerSec, mbPerSec: contract.mbPerSec },
      passthrough: { recordsPerSec: baseline.recordsPerSec, mbPerSec: baseline.mbPerSec },
      ratio: Math.round((contract.recordsPerSec / baseline.recordsPerSec) * 1000) / 1000,
      kafkaProducerPerf: {
        recordsPerSec: producerPerf.recordsPerSec,
        mbPerSec: producerPerf.mbPerSec,
      },
      contractFullIngestPolicy: best(fullIngestRuns),
      runs: {
        passthrough: passthroughRuns,
        contract: contractRuns,
        contractFullIngestPolicy: fullIngestRuns,
      },
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/contracts.json', `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
