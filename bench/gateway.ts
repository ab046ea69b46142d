/**
 * `npm run bench -- gateway`: requests/s and latency of chat completions sent straight to a fast
 * upstream double and through the gateway (default policy) to the same double, in the same run,
 * at 100 concurrent connections (and at 1, for the unloaded cost); then again with retrieval.
 * Each server runs in its own process; the load generator (autocannon) in this one.
 *
 * Two kinds of phase at 100 connections. Saturated (closed loop: each connection sends its next
 * request as soon as the last answer arrives) measures the most requests/s; its latency is only
 * queueing (connections / throughput) and says nothing about the gateway's own cost. Paced (the
 * 100 connections share a fixed offered rate, a set share of the gateway's measured saturated
 * throughput, applied to the direct and the gateway target alike; see paced-load.ts) measures
 * the latency a client sees while the gateway has headroom; added latency comes from them.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { packageRoot } from '../src/kafka/index.ts';
import { pacedLoad } from './paced-load.ts';
import { cpuSteal, startHealthProbe } from './servers/health.ts';
import type { HealthProbe, ProcessHealth } from './servers/health.ts';

const SECONDS = Number(process.env.GUARDSTREAM_BENCH_GATEWAY_SECONDS ?? 10);
const CONNECTIONS = 100;
/**
 * The paced phases offer these shares of the gateway's own saturated throughput; the headline
 * figures use the first (a gateway sized with 4x headroom), the others show where it degrades.
 * Fixed here before measuring, not picked from the results.
 */
const PACED_LOAD_SHARES = [0.25, 0.1, 0.5] as const;
const PACED_LOAD_SHARE = PACED_LOAD_SHARES[0];
const KEY = 'gs-bench-key';

function progress(message: string): void {
  process.stderr.write(`[bench gateway] ${message}\n`);
}

interface BenchServer {
  url: string;
  child: ChildProcess;
  /** The server's event-loop, GC and CPU figures since the last call (servers/health.ts). */
  health: () => Promise<ProcessHealth>;
}

async function startServer(script: string, args: readonly string[]): Promise<BenchServer> {
  // GUARDSTREAM_BENCH_SERVER_FLAGS: Node/V8 flags for the server processes (e.g. GC settings).
  const flags = (process.env.GUARDSTREAM_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...flags, '--import', 'tsx', join(packageRoot(), script), ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let seen = '';
  const waiting: ((health: ProcessHealth) => void)[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      let newline = seen.indexOf('\n');
      while (newline >= 0) {
        const line = seen.slice(0, newline);
        seen = seen.slice(newline + 1);
        newline = seen.indexOf('\n');
        if (!line.startsWith('{')) continue;
        const message = JSON.parse(line) as { url?: string; health?: ProcessHealth };
        if (message.url !== undefined) resolve(message.url);
        if (message.health !== undefined) waiting.shift()?.(message.health);
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`${script} exited with ${String(code)}`));
    });
  });
  const health = (): Promise<ProcessHealth> =>
    new Promise((resolve) => {
      waiting.push(resolve);
      child.stdin.write('health\n');
    });
  return { url, child, health };
}

/** Health of every process over one measured phase, and the VM's steal time meanwhile. */
interface PhaseDiagnostics {
  gateway?: ProcessHealth;
  upstream: ProcessHealth;
  loadGenerator: ProcessHealth;
  /** CPU time (both vCPUs) the hypervisor gave to other guests during the phase. */
  vmStealMs?: number;
  vmStealShare?: number;
}

async function diagnosed(
  loadGeneratorHealth: HealthProbe,
  servers: { upstream: BenchServer; gateway?: BenchServer },
  phase: () => Promise<LoadResult>,
): Promise<{ result: LoadResult; diagnostics: PhaseDiagnostics }> {
  await servers.upstream.health();
  await servers.gateway?.health();
  loadGeneratorHealth.read();
  const stealBefore = cpuSteal();
  const result = await phase();
  const stealAfter = cpuSteal();
  const steal =
    stealBefore === undefined || stealAfter === undefined
      ? {}
      : {
          vmStealMs: stealAfter.stealMs - stealBefore.stealMs,
          vmStealShare:
            (stealAfter.stealMs - stealBefore.stealMs) /
            Math.max(1, stealAfter.totalMs - stealBefore.totalMs),
        };
  return {
    result,
    diagnostics: {
      ...(servers.gateway === undefined ? {} : { gateway: await servers.gateway.health() }),
      upstream: await servers.upstream.health(),
      loadGenerator: loadGeneratorHealth.read(),
      ...steal,
    },
  };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

const body = JSON.stringify({
  model: 'bench',
  messages: [
    {
      role: 'user',
      content:
        'How long does it take for a refund to arrive after I send an item back, and what should I do if it has not arrived by then? I bought it online last month.',
    },
  ],
});

async function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body,
    connections,
    duration: seconds,
    // Saturated with retrieval, the queue alone can exceed autocannon's default 10 s; a timeout
    // there would be the load generator giving up, not the gateway failing.
    timeout: 60,
  });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

function paced(url: string, rate: number, seconds = SECONDS): Promise<LoadResult> {
  return pacedLoad({
    url: `${url}/chat/completions`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body,
    connections: CONNECTIONS,
    rate,
    seconds,
  });
}

export async function runGatewayBench(): Promise<Record<string, unknown>> {
  const upstream = await startServer('bench/servers/upstream.ts', []);
  const phases: Record<string, LoadResult> = {};
  const diagnostics: Record<string, PhaseDiagnostics> = {};
  const loadGeneratorHealth = startHealthProbe();
  try {
    await load(upstream.url, CONNECTIONS, 2);
    progress(`direct to the double, ${String(CONNECTIONS)} connections, ${String(SECONDS)} s`);
    phases.direct = await load(upstream.url, CONNECTIONS, SECONDS);
    phases.direct1 = await load(upstream.url, 1, Math.max(3, SECONDS / 2));
    for (const mode of ['plain', 'retrieval'] as const) {
      const gateway = await startServer('bench/servers/gateway.ts', [
        upstream.url,
        ...(mode === 'retrieval' ? ['retrieval'] : []),
      ]);
      try {
        await load(gateway.url, CONNECTIONS, 2);
        progress(
          `through the gateway (${mode}), ${String(CONNECTIONS)} connections, ${String(SECONDS)} s`,
        );
        const saturated = await load(gateway.url, CONNECTIONS, SECONDS);
        phases[mode] = saturated;
        phases[`${mode}1`] = await load(gateway.url, 1, Math.max(3, SECONDS / 2));
        for (const share of PACED_LOAD_SHARES) {
          const rate = Math.max(1, Math.round(saturated.rps * share));
          progress(`paced: ${String(rate)} requests/s over ${String(CONNECTIONS)} connections`);
          const suffix = share === PACED_LOAD_SHARE ? '' : String(share);
          // A warm-up at the phase's own rate, as the saturated phases get one: the switch from
          // the previous phase (heap size, JIT state) is not part of the measurement.
          await paced(gateway.url, rate, 2);
          const throughGateway = await diagnosed(loadGeneratorHealth, { upstream, gateway }, () =>
            paced(gateway.url, rate),
          );
          phases[`${mode}Paced${suffix}`] = throughGateway.result;
          diagnostics[`${mode}Paced${suffix}`] = throughGateway.diagnostics;
          await paced(upstream.url, rate, 2);
          const direct = await diagnosed(loadGeneratorHealth, { upstream }, () =>
            paced(upstream.url, rate),
          );
          phases[`${mode}DirectPaced${suffix}`] = direct.result;
          diagnostics[`${mode}DirectPaced${suffix}`] = direct.diagnostics;
        }
      } finally {
        await stopServer(gateway.child);
      }
    }
  } finally {
    await stopServer(upstream.child);
    loadGeneratorHealth.stop();
  }
  const pick = (phase: LoadResult | undefined): { rps: number; p50Ms: number; p99Ms: number } => ({
    rps: phase?.rps ?? 0,
    p50Ms: phase?.p50Ms ?? 0,
    p99Ms: phase?.p99Ms ?? 0,
  });
  const added = (
    through: LoadResult | undefined,
    direct: LoadResult | undefined,
  ): { p50: number; p99: number } => ({
    p50: Math.round(((through?.p50Ms ?? 0) - (direct?.p50Ms ?? 0)) * 100) / 100,
    p99: Math.round(((through?.p99Ms ?? 0) - (direct?.p99Ms ?? 0)) * 100) / 100,
  });
  for (const [name, phase] of Object.entries(phases)) {
    if (phase.errors > 0 || phase.non2xx > 0) {
      throw new Error(
        `${name}: ${String(phase.errors)} errors, ${String(phase.non2xx)} non-2xx responses`,
      );
    }
  }
  const pacedSummary = (
    through: LoadResult | undefined,
    direct: LoadResult | undefined,
    saturatedThrough: LoadResult | undefined,
    saturatedDirect: LoadResult | undefined,
    share: number = PACED_LOAD_SHARE,
  ): Record<string, unknown> => ({
    offeredRps: Math.round((saturatedThrough?.rps ?? 0) * share),
    direct: { ...pick(direct), maxRps: saturatedDirect?.rps ?? 0 },
    gateway: { ...pick(through), maxRps: saturatedThrough?.rps ?? 0 },
    addedLatencyMs: added(through, direct),
  });
  const plain = pacedSummary(
    phases.plainPaced,
    phases.plainDirectPaced,
    phases.plain,
    phases.direct,
  );
  const result = {
    machine: { cpus: cpus().length, node: process.version },
    connections: CONNECTIONS,
    seconds: SECONDS,
    pacedLoadShare: PACED_LOAD_SHARE,
    pacedSweep: PACED_LOAD_SHARES.filter((share) => share !== PACED_LOAD_SHARE).map((share) => ({
      share,
      ...pacedSummary(
        phases[`plainPaced${String(share)}`],
        phases[`plainDirectPaced${String(share)}`],
        phases.plain,
        phases.direct,
        share,
      ),
    })),
    ...plain,
    withRetrieval: pacedSummary(
      phases.retrievalPaced,
      phases.retrievalDirectPaced,
      phases.retrieval,
      phases.direct,
    ),
    saturated: {
      direct: pick(phases.direct),
      gateway: pick(phases.plain),
      withRetrieval: pick(phases.retrieval),
      addedLatencyMs: added(phases.plain, phases.direct),
      addedLatencyWithRetrievalMs: added(phases.retrieval, phases.direct),
    },
    oneConnection: {
      direct: pick(phases.direct1),
      gateway: pick(phases.plain1),
      withRetrieval: pick(phases.retrieval1),
      addedLatencyMs: added(phases.plain1, phases.direct1),
      addedLatencyWithRetrievalMs: added(phases.retrieval1, phases.direct1),
    },
    diagnostics: {
      note: 'per paced phase: event-loop delay (max, p99; 5 ms sampling), GC and CPU time of each process over the phase (bench/servers/health.ts), and the VM steal time from /proc/stat (both vCPUs). A tail that shows in the gateway but in none of these is not a stall of the gateway process.',
      ...diagnostics,
    },
    note: 'saturated and one-connection phases: autocannon; paced phases: bench/paced-load.ts (open loop); both in this process; the upstream double and the gateway each in their own process (3 processes on this machine). Gateway = authentication, rate limit, input rails, provider call, output rails (default policy), audit disabled (no Kafka). withRetrieval adds query embedding (MiniLM int8, 1 ONNX thread) and hybrid search over 300 chunks, plus retrieval rails on each of 4 chunks. direct/gateway/addedLatencyMs (and withRetrieval) are paced phases: 100 connections sharing a fixed offered rate (offeredRps, a quarter of the gateway’s saturated throughput; pacedSweep: 10% and 50%), the same rate sent straight to the double and through the gateway; rps is the rate achieved, maxRps the saturated throughput. saturated = closed loop, where latency is queueing (connections / throughput). oneConnection = the unloaded per-request cost.',
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/gateway.json', `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
