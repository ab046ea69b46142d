import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { DLQ_HEADER_PREFIX, SOURCE_HEADER_PREFIX } from '../../src/contracts/index.ts';
import { JsonConsumer, JsonProducer, TopicAdmin } from '../../src/kafka/index.ts';
import type { KafkaConnection, LocalBroker, OutgoingRecord } from '../../src/kafka/index.ts';
import { spawnCli, waitForOutput } from '../helpers/cli.ts';
import { eventually, startOwnBroker, uniqueName } from '../helpers/kafka.ts';

/**
 * The no-loss drill: 200,000 records through a contract while the processor (the real
 * CLI, in a child process) is killed with SIGKILL twice and the broker is restarted once. This
 * file runs its own broker, because restarting the shared one would disturb other test files.
 */
const RECORDS = Number(process.env.GUARDSTREAM_NO_LOSS_RECORDS ?? 200_000);
const PARTITIONS = 3;
/** Every 50th record breaks the contract, so the DLQ path is under the same drill. */
const isInvalid = (id: number): boolean => id % 50 === 7;

describe(`no loss: ${String(RECORDS)} records, two SIGKILLs, one broker restart`, () => {
  let own: Awaited<ReturnType<typeof startOwnBroker>>;
  let broker: LocalBroker;
  let connection: KafkaConnection;
  let dataDir: string;

  before(async () => {
    own = await startOwnBroker('no-loss');
    ({ broker, connection, dir: dataDir } = own);
  });

  after(async () => {
    await own.stop();
  });

  for (const delivery of ['at-least-once', 'exactly-once'] as const) {
    it(`${delivery}: every input offset ends in the target or the DLQ${delivery === 'exactly-once' ? ', exactly once' : ''}`, async (t) => {
      const base = uniqueName(delivery === 'exactly-once' ? 'eos' : 'alo');
      const contract = {
        name: base,
        source: `${base}.raw`,
        target: `${base}.clean`,
        dlq: `${base}.dlq`,
        delivery,
        valueSchema: {
          type: 'object',
          required: ['id', 'amount', 'email'],
          properties: { id: { type: 'integer' }, amount: { type: 'number' } },
        },
        rules: [{ name: 'positive_amount', expression: 'value.amount > 0' }],
        transforms: [{ field: 'card', action: 'mask' }],
      };
      const configFile = join(dataDir, `${base}.yaml`);
      writeFileSync(
        configFile,
        stringify({
          kafka: { bootstrapServers: [broker.bootstrapServers] },
          processor: { instanceId: 'drill' },
          contracts: [contract],
        }),
      );

      const admin = new TopicAdmin(connection);
      await admin.ensureTopics([
        { name: contract.source, partitions: PARTITIONS },
        { name: contract.target, partitions: PARTITIONS },
        { name: contract.dlq },
      ]);
      await admin.close();
      await produceInput(connection, contract.source);

      const probe = new JsonConsumer(connection, { groupId: uniqueName('probe') });
      const written = async (): Promise<number> => {
        let total = 0n;
        for (const topic of [contract.target, contract.dlq]) {
          for (const end of await probe.endOffsets(topic)) total += end;
        }
        return Number(total);
      };
      const untilWritten = (count: number): Promise<number> =>
        eventually(
          async () => {
            const now = await written();
            return now >= count ? now : undefined;
          },
          180_000,
          `${String(count)} records in target + DLQ`,
        );

      const env = { KAFKA_BOOTSTRAP_SERVERS: '' };
      let processor: ChildProcessWithoutNullStreams | undefined;
      const startProcessor = async (): Promise<ChildProcessWithoutNullStreams> => {
        const child = spawnCli(['contracts', 'run', '--config', configFile], env);
        await waitForOutput(child, /Contracts running/, 60_000);
        return child;
      };
      const kill = async (child: ChildProcessWithoutNullStreams): Promise<void> => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      };
      try {
        processor = await startProcessor();
        t.diagnostic(`first kill after ${String(await untilWritten(RECORDS * 0.2))} written`);
        await kill(processor);

        processor = await startProcessor();
        await untilWritten(RECORDS * 0.45);
        await broker.stop();
        await broker.start();
        t.diagnostic(`broker restarted at ${String(await untilWritten(0))} written`);
        t.diagnostic(`second kill after ${String(await untilWritten(RECORDS * 0.7))} written`);
        await kill(processor);

        processor = await startProcessor();
        const seen = await readAll(connection, contract.target, contract.dlq, t.diagnostic.bind(t));
        const exited = new Promise((resolve) => processor?.once('exit', resolve));
        processor.kill('SIGINT');
        await exited;

        const missing: string[] = [];
        for (let id = 0; id < RECORDS; id += 1) {
          if ((seen.byId[id] ?? 0) === 0) missing.push(String(id));
        }
        assert.deepEqual(missing.slice(0, 20), [], `${String(missing.length)} input records lost`);
        for (let partition = 0; partition < PARTITIONS; partition += 1) {
          const offsets = seen.byOffset.get(partition) ?? new Map<bigint, number>();
          const end = seen.sourceEnds[partition] ?? 0n;
          for (let offset = 0n; offset < end; offset += 1n) {
            assert.ok(
              offsets.has(offset),
              `source offset ${String(partition)}:${String(offset)} lost`,
            );
          }
        }
        const duplicates = seen.total - RECORDS;
        t.diagnostic(
          `${String(seen.total)} read back (${String(seen.dlq)} from the DLQ), ${String(duplicates)} duplicates`,
        );
        assert.equal(
          seen.dlq >= Math.floor(RECORDS / 50),
          true,
          'the invalid records reached the DLQ',
        );
        if (delivery === 'exactly-once') {
          assert.equal(duplicates, 0, 'exactly-once: every input record appears exactly once');
          assert.ok(
            seen.byId.every((count) => count === 1),
            'no record id was written twice',
          );
        }
      } finally {
        if (processor !== undefined && processor.exitCode === null) await kill(processor);
        await probe.close();
      }

      async function readAll(
        conn: KafkaConnection,
        target: string,
        dlq: string,
        log: (message: string) => void,
      ): Promise<{
        byId: Uint8Array;
        byOffset: Map<number, Map<bigint, number>>;
        sourceEnds: bigint[];
        total: number;
        dlq: number;
      }> {
        const sourceEnds = await probe.endOffsets(contract.source);
        const byId = new Uint8Array(RECORDS);
        const firstAt = new Map<number, string[]>();
        const duplicated = new Map<number, string[]>();
        const byOffset = new Map<number, Map<bigint, number>>();
        let total = 0;
        let fromDlq = 0;
        let complete = 0;
        let lastNew = Date.now();
        // read_committed (the client's default): aborted transactional writes never count.
        const reader = new JsonConsumer(conn, { groupId: uniqueName('verify') });
        const records = reader.consume([target, dlq]);
        const deadline = Date.now() + 240_000;
        try {
          for (;;) {
            // Once every id has arrived, keep reading until quiet so late duplicates count too.
            const waitMs = complete === RECORDS ? 3_000 : Math.max(0, deadline - Date.now());
            let timer: NodeJS.Timeout | undefined;
            const next = await Promise.race([
              records.next(),
              new Promise<undefined>((resolve) => {
                timer = setTimeout(() => {
                  resolve(undefined);
                }, waitMs);
              }),
            ]);
            clearTimeout(timer);
            if (next === undefined || next.done === true) break;
            const record = next.value;
            total += 1;
            const isDlq = record.topic === dlq;
            if (isDlq) fromDlq += 1;
            const id = Number((record.key ?? '').slice(1));
            const before = byId[id] ?? 0;
            // Where each copy of a duplicated id sits tells a replayed batch (copies far
            // apart) from a reader delivering aborted records (copies next to each other).
            const at = `${record.topic}:${String(record.partition)}:${String(record.offset)}`;
            if (before > 0 && duplicated.size < 20)
              duplicated.set(id, [...(firstAt.get(id) ?? []), at]);
            if (before === 0) firstAt.set(id, [at]);
            if (before === 0) complete += 1;
            byId[id] = Math.min(255, before + 1);
            const prefix = isDlq ? DLQ_HEADER_PREFIX : SOURCE_HEADER_PREFIX;
            const partition = Number(record.headers[`${prefix}partition`]);
            const offset = BigInt(record.headers[`${prefix}offset`] ?? '-1');
            const offsets = byOffset.get(partition) ?? new Map<bigint, number>();
            offsets.set(offset, (offsets.get(offset) ?? 0) + 1);
            byOffset.set(partition, offsets);
            lastNew = Date.now();
          }
        } finally {
          await reader.close();
        }
        for (const [id, copies] of duplicated) log(`id ${String(id)} at ${copies.join(' and ')}`);
        log(`verified ${String(complete)} ids; quiet since ${String(Date.now() - lastNew)} ms`);
        return { byId, byOffset, sourceEnds, total, dlq: fromDlq };
      }
    });
  }
});

async function produceInput(connection: KafkaConnection, topic: string): Promise<void> {
  const producer = new JsonProducer(connection);
  try {
    const batch: OutgoingRecord<unknown>[] = [];
    for (let id = 0; id < RECORDS; id += 1) {
      const value = {
        id,
        amount: isInvalid(id) ? -1 : (id % 1000) + 1,
        email: `user${String(id)}@example.com`,
        card: '4111 1111 1111 1111',
        note: 'order placed through the web shop',
      };
      batch.push(
        id % 100 === 3
          ? {
              topic,
              key: `r${String(id)}`,
              value: null,
              rawValue: Buffer.from(`{"id": ${String(id)}, truncated`),
            }
          : { topic, key: `r${String(id)}`, value },
      );
      if (batch.length === 2_000) await producer.send(batch.splice(0));
    }
    if (batch.length > 0) await producer.send(batch);
  } finally {
    await producer.close();
  }
}
