/**
 * An open-loop load generator: requests start on a fixed schedule (`rate` per second, evenly
 * spaced) whatever the server's speed, over at most `connections` keep-alive sockets. Latency is
 * measured from each request's scheduled start, so time spent waiting for a free socket behind a
 * slow answer counts (no coordinated omission). autocannon's own rate limit sends each second's
 * quota as a burst at the top of the second, which measures the burst, not the steady rate.
 */
import { Agent, request } from 'node:http';
import { summarize } from './stats.ts';

export interface PacedLoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  rate: number;
  seconds: number;
}

export interface PacedLoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const target = new URL(options.url);
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const intervalMs = 1000 / options.rate;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let finished = 0;
  let sent = 0;
  const startedAt = performance.now();
  let lastDoneAt = startedAt;

  await new Promise<void>((resolve) => {
    const send = (scheduledAt: number): void => {
      const done = (ok: boolean, status: number): void => {
        const now = performance.now();
        if (!ok) errors += 1;
        else if (status < 200 || status >= 300) non2xx += 1;
        else latencies.push(now - scheduledAt);
        lastDoneAt = now;
        finished += 1;
        if (finished === total) resolve();
      };
      const outgoing = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { ...options.headers, 'content-length': Buffer.byteLength(options.body) },
        },
        (response) => {
          response.resume();
          response.once('end', () => {
            done(true, response.statusCode ?? 0);
          });
          response.once('error', () => {
            done(false, 0);
          });
        },
      );
      outgoing.once('error', () => {
        done(false, 0);
      });
      outgoing.end(options.body);
    };
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - startedAt) / intervalMs) + 1);
      while (sent < due) {
        send(startedAt + sent * intervalMs);
        sent += 1;
      }
      if (sent < total)
        setTimeout(tick, Math.max(0, startedAt + sent * intervalMs - performance.now()));
    };
    tick();
  });
  agent.destroy();
  const summary = summarize(latencies);
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    rps: Math.round((finished / (lastDoneAt - startedAt)) * 1000),
    p50Ms: round(summary.p50Ms),
    p99Ms: round(summary.p99Ms),
    errors,
    non2xx,
  };
}
