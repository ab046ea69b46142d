/**
 * `npm run bench -- <name> [...]`: runs the named benchmarks (all when none is named) and
 * writes each one's JSON to bench/results/<name>.json.
 */
import { runAdversarialBench } from './adversarial.ts';
import { runContractsBench } from './contracts.ts';
import { runRagBench } from './rag.ts';
import { runDetectorsBench } from './detectors.ts';
import { runGatewayBench } from './gateway.ts';
import { runToolsBench } from './tools.ts';

const benches: Readonly<
  Record<string, () => Record<string, unknown> | Promise<Record<string, unknown>>>
> = {
  detectors: runDetectorsBench,
  adversarial: runAdversarialBench,
  contracts: runContractsBench,
  rag: runRagBench,
  gateway: runGatewayBench,
  tools: runToolsBench,
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(benches);
for (const name of names) {
  const bench = benches[name];
  if (bench === undefined) {
    console.error(`Unknown benchmark "${name}"; available: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  console.error(`[bench] ${name}…`);
  const result = await bench();
  console.log(JSON.stringify({ [name]: result }, null, 2));
  console.error(`[bench] ${name}: wrote bench/results/${name}.json`);
}
