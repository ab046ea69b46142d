import { performance } from 'node:perf_hooks';

export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export function summarize(samples: number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  const round = (value: number): number => Math.round(value * 10_000) / 10_000;
  return { n: sorted.length, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), meanMs: round(mean) };
}

/** Times `run` over every input, `rounds` times, after a warm-up pass. */
export function measure<T>(
  inputs: readonly T[],
  rounds: number,
  run: (input: T) => unknown,
): LatencySummary {
  for (const input of inputs) run(input);
  const samples: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const input of inputs) {
      const started = performance.now();
      run(input);
      samples.push(performance.now() - started);
    }
  }
  return summarize(samples);
}
