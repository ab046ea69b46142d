import { performance } from 'node:perf_hooks';

export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

const toTenThousandths = (value: number): number => Math.round(value * 10_000) / 10_000;

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    p50Ms: toTenThousandths(at(0.5)),
    p99Ms: toTenThousandths(at(0.99)),
    meanMs: toTenThousandths(mean),
  };
}

/** A measured summary with the spread of its rounds' own p50s. */
export interface RoundsSummary extends LatencySummary {
  /**
   * Each round's p50 over the inputs, as min / median / max: one round slower than the rest is
   * the machine (a neighbour, a GC), all rounds slower is the code.
   */
  roundP50Ms: { min: number; median: number; max: number };
}

/** Times `run` over every input, `rounds` times, after a warm-up pass. */
export function measure<T>(
  inputs: readonly T[],
  rounds: number,
  run: (input: T) => unknown,
): RoundsSummary {
  for (const input of inputs) run(input);
  const samples: number[] = [];
  const roundP50s: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const first = samples.length;
    for (const input of inputs) {
      const started = performance.now();
      run(input);
      samples.push(performance.now() - started);
    }
    roundP50s.push(summarize(samples.slice(first)).p50Ms);
  }
  const sortedP50s = roundP50s.sort((a, b) => a - b);
  const pick = (index: number): number => sortedP50s[index] ?? 0;
  return {
    ...summarize(samples),
    roundP50Ms: {
      min: pick(0),
      median: toTenThousandths(
        (pick(Math.floor((sortedP50s.length - 1) / 2)) + pick(Math.floor(sortedP50s.length / 2))) /
          2,
      ),
      max: pick(sortedP50s.length - 1),
    },
  };
}
