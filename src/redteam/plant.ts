import { JsonProducer } from '../kafka/index.ts';
import type { KafkaConnection, OutgoingRecord } from '../kafka/index.ts';
import type { Probe } from './probes.ts';

async function produce(
  connection: KafkaConnection,
  records: readonly OutgoingRecord<unknown>[],
): Promise<void> {
  if (records.length === 0) return;
  const producer = new JsonProducer(connection);
  try {
    await producer.send(records);
  } finally {
    await producer.close();
  }
}

/**
 * Writes the planted documents of `probes` to a knowledge topic (keyed by document id, so a
 * resumed scan overwrites rather than duplicates). Returns how many were written.
 */
export async function plantDocuments(
  connection: KafkaConnection,
  topic: string,
  probes: readonly Probe[],
): Promise<number> {
  const records = probes.flatMap((probe) =>
    probe.plant === undefined ? [] : [{ topic, key: probe.plant.id, value: probe.plant.document }],
  );
  await produce(connection, records);
  return records.length;
}

/** Tombstones for the planted documents: the indexer deletes them from the store. */
export async function removePlantedDocuments(
  connection: KafkaConnection,
  topic: string,
  probes: readonly Probe[],
): Promise<void> {
  await produce(
    connection,
    probes.flatMap((probe) =>
      probe.plant === undefined ? [] : [{ topic, key: probe.plant.id, value: null }],
    ),
  );
}
