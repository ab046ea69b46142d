/**
 * Where a latency tail comes from: each bench process measures its own event-loop delay,
 * garbage collection and CPU time between two reads, so a slow phase can be pinned on the
 * gateway, the upstream double, the load generator, or none of them (then the VM: /proc/stat
 * steal time, read by the bench).
 */
import { readFileSync } from 'node:fs';
import { constants, PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';

export interface ProcessHealth {
  /** Longest event-loop delay seen, ms (sampled every 5 ms: stalls shorter than that are missed). */
  loopMaxMs: number;
  loopP99Ms: number;
  gcCount: number;
  gcMajorCount: number;
  gcMs: number;
  /** Longest single collection, ms, and its kind (scavenge, mark-compact, incremental, weak). */
  gcMaxMs: number;
  gcMaxKind: string;
  cpuMs: number;
  heapUsedMb: number;
}

export interface HealthProbe {
  /** The figures since the last read, then starts counting again. */
  read(): ProcessHealth;
  stop(): void;
}

const gcKinds = new Map<number, string>([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'scavenge'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'mark-compact'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weak-callbacks'],
]);

export function startHealthProbe(): HealthProbe {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let gc = { count: 0, major: 0, ms: 0, maxMs: 0, maxKind: '' };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count += 1;
      gc.ms += entry.duration;
      const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } | null };
      if (entry.duration > gc.maxMs) {
        gc.maxMs = entry.duration;
        gc.maxKind = gcKinds.get(detail?.kind ?? -1) ?? 'other';
      }
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major += 1;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let cpu = process.cpuUsage();
  return {
    read() {
      const used = process.cpuUsage(cpu);
      const health: ProcessHealth = {
        // The histogram is in nanoseconds and includes the 5 ms sampling interval itself.
        loopMaxMs: Math.max(0, loop.max / 1e6 - 5),
        loopP99Ms: Math.max(0, loop.percentile(99) / 1e6 - 5),
        gcCount: gc.count,
        gcMajorCount: gc.major,
        gcMs: gc.ms,
        gcMaxMs: gc.maxMs,
        gcMaxKind: gc.maxKind,
        cpuMs: (used.user + used.system) / 1000,
        heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
      };
      loop.reset();
      gc = { count: 0, major: 0, ms: 0, maxMs: 0, maxKind: '' };
      cpu = process.cpuUsage();
      return health;
    },
    stop() {
      loop.disable();
      observer.disconnect();
    },
  };
}

/** Server side: answers each "health" line on `input` with one JSON line on `output`. */
export function serveHealth(input: Readable, output: Writable): HealthProbe {
  const probe = startHealthProbe();
  let buffered = '';
  input.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === 'health') output.write(`${JSON.stringify({ health: probe.read() })}\n`);
      newline = buffered.indexOf('\n');
    }
  });
  // The bench closing our stdin must not keep us alive or crash us.
  input.on('error', () => undefined);
  return probe;
}

/** CPU time the hypervisor gave to other guests (steal) and total, from /proc/stat, in ms. */
export function cpuSteal(): { stealMs: number; totalMs: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // USER_HZ is 100 on Linux: one tick is 10 ms.
    const steal = (fields[7] ?? 0) * 10;
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0) * 10;
    return { stealMs: steal, totalMs: total };
  } catch {
    return undefined;
  }
}
