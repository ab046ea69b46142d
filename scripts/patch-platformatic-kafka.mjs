/**
 * Runs after `npm install` / `npm ci` (package.json "postinstall"). Replaces the read_committed
 * filter of @platformatic/kafka's consumer (1.35.0, still the same in 2.12.1), which keeps one
 * aborted range per producer id per fetch response: with several aborted transactions of one
 * producer in a response (a transactional id keeps its producer id across restarts and only
 * bumps the epoch), records of the earlier aborted transactions were delivered (seen as
 * duplicates) or committed records between them were dropped (seen as loss), and aborted
 * records whose ABORT marker fell in a later response were delivered. The replacement is the
 * Java client's algorithm: walk the batches in offset order, a producer's transactional batches
 * are skipped from the first offset of each of its aborted transactions up to its next ABORT
 * marker. Plain JavaScript on purpose: it must run before anything is built.
 */
import console from 'node:console';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const EXPECTED_VERSION = '1.35.0';
const MARKER = 'guardstream: aborted-transaction filter';

// The package does not export its package.json, so it is found where npm puts it.
const root = fileURLToPath(new URL('../node_modules/@platformatic/kafka/', import.meta.url));
if (!existsSync(join(root, 'package.json'))) {
  console.error(`patch-platformatic-kafka: ${root} not found; run npm ci first`);
  process.exit(1);
}
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const file = join(root, 'dist/clients/consumer/consumer.js');
const source = readFileSync(file, 'utf8');
if (source.includes(MARKER)) process.exit(0);
if (version !== EXPECTED_VERSION) {
  console.error(
    `patch-platformatic-kafka: @platformatic/kafka is ${version}, the patch was written for ${EXPECTED_VERSION}; check its read_committed filter and update scripts/patch-platformatic-kafka.mjs`,
  );
  process.exit(1);
}

const start = source.indexOf('    #filterUncommittedMessages(response) {');
const end = source.indexOf('    #getRejoinError(error) {', start);
if (start < 0 || end < 0) {
  console.error('patch-platformatic-kafka: the filter to replace was not found');
  process.exit(1);
}

const replacement = `    #filterUncommittedMessages(response) {
        // ${MARKER} (scripts/patch-platformatic-kafka.mjs)
        for (const topic of response.responses) {
            for (const partition of topic.partitions) {
                if (!partition.records || !partition.abortedTransactions?.length) {
                    continue;
                }
                const pending = [...partition.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
                const abortedProducers = new Set();
                partition.records = partition.records.filter(batch => {
                    const lastOffset = batch.firstOffset + BigInt(batch.lastOffsetDelta);
                    while (pending.length && pending[0].firstOffset <= lastOffset) {
                        abortedProducers.add(pending.shift().producerId);
                    }
                    if (batch.attributes & IS_CONTROL) {
                        // ABORT marker: the producer's aborted transaction ends here. Control
                        // batches stay, for the stream's offset tracking.
                        if (batch.records[0]?.key?.readInt16BE(2) === 0) {
                            abortedProducers.delete(batch.producerId);
                        }
                        return true;
                    }
                    return !((batch.attributes & IS_TRANSACTIONAL) && abortedProducers.has(batch.producerId));
                });
            }
        }
    }
`;

let patched = source.slice(0, start) + replacement + source.slice(end);
patched = patched.replace(
  'import { IS_CONTROL } from "../../protocol/records.js";',
  'import { IS_CONTROL, IS_TRANSACTIONAL } from "../../protocol/records.js";',
);
if (!patched.includes('IS_TRANSACTIONAL }')) {
  console.error('patch-platformatic-kafka: the records import to extend was not found');
  process.exit(1);
}
writeFileSync(file, patched);
console.log(
  `patch-platformatic-kafka: read_committed filter of @platformatic/kafka ${version} replaced`,
);
