/**
 * Toxic tweets placed in other text: does `toxicity` still find them, and does it flag the
 * text around a harmless one? Held-out dev tweets (300 per class) inside a held-out README
 * passage, and after a one-line request.
 * Usage: node --import tsx eval/toxicity-placed.ts  → eval/results/toxicity-placed.json
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toxicityDetector } from '../src/detectors/index.ts';
import { packageRoot } from '../src/kafka/index.ts';
import { toxicitySets } from './classifier-data.ts';
import { readmePassages } from './injection-data.ts';

const config = toxicityDetector.configSchema.parse({});
const flagged = (text: string): boolean =>
  toxicityDetector.detect(text, config, { stage: 'input' }).some((finding) => finding.score >= 0.5);
const dev = toxicitySets().dev;
const hosts = readmePassages().dev.map((example) => example.text);
const result: Record<string, { n: number; insidePassage: number; afterRequest: number }> = {};
for (const source of ['davidson-offensive', 'davidson-hate', 'davidson-neither']) {
  const tweets = dev.filter((example) => example.source === source).slice(0, 300);
  let inside = 0;
  let after = 0;
  tweets.forEach((tweet, index) => {
    const host = hosts[index % hosts.length] ?? '';
    const middle = Math.max(0, host.lastIndexOf(' ', host.length / 2));
    if (flagged(`${host.slice(0, middle)} ${tweet.text} ${host.slice(middle)}`)) inside += 1;
    if (flagged(`Can you help me reply to this message? ${tweet.text}`)) after += 1;
  });
  result[source] = {
    n: tweets.length,
    insidePassage: inside / tweets.length,
    afterRequest: after / tweets.length,
  };
  console.log(
    `${source}: flagged inside a README passage ${(inside / tweets.length).toFixed(3)}, after a request ${(after / tweets.length).toFixed(3)} (n ${tweets.length})`,
  );
}
writeFileSync(
  join(packageRoot(), 'eval/results/toxicity-placed.json'),
  `${JSON.stringify(result, null, 2)}\n`,
);
