/**
 * The gateway's default argument rails (`gateway.tools.argumentRails`) on benign tool calls:
 * the calls a correct agent makes in tau2-bench's tasks (airline, retail, telecom, banking;
 * `evaluation_criteria.actions`, from inspect_evals' pinned wheel, unpacked by eval/external.ts,
 * which calls this). Their arguments are benign by construction, so every blocked call is a false
 * alarm: what an agent loses when the rails stand between it and its tools. Measurement only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { configSchema } from '../src/config/index.ts';
import { builtInDetectors } from '../src/detectors/index.ts';
import { guardJsonText, toolArgumentGuard } from '../src/gateway/tools.ts';

interface Action {
  name: string;
  arguments?: Record<string, unknown>;
}

interface Task {
  evaluation_criteria?: { actions?: Action[] | null } | null;
}

export interface ToolArgumentsReport {
  n: number;
  blocked: number;
  rate: number;
  by_domain: Record<string, { n: number; blocked: number }>;
  /** Tool name and detectors of each blocked call (never the arguments: they are the data). */
  blocked_calls: { domain: string; tool: string; detectors: string[] }[];
  latency_ms: { p50: number; p99: number };
}

const domains = ['airline', 'retail', 'telecom', 'banking_knowledge'] as const;

function readTasks(dir: string): Task[] {
  const plain = join(dir, 'tasks.json');
  if (existsSync(plain)) return JSON.parse(readFileSync(plain, 'utf8')) as Task[];
  return JSON.parse(gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8')) as Task[];
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** `tau2Dir`: inspect_evals/tau2/data/domains of the unpacked wheel. */
export function scoreToolArguments(tau2Dir: string): ToolArgumentsReport {
  const config = configSchema.parse({});
  const guard = toolArgumentGuard(
    config.guard,
    builtInDetectors(),
    config.gateway.tools.argumentRails,
  );
  const report: ToolArgumentsReport = {
    n: 0,
    blocked: 0,
    rate: 0,
    by_domain: {},
    blocked_calls: [],
    latency_ms: { p50: 0, p99: 0 },
  };
  const times: number[] = [];
  for (const domain of domains) {
    // A call that recurs across tasks (the same lookup with the same id) counts once.
    const calls = new Map<string, Action>();
    for (const task of readTasks(join(tau2Dir, domain)))
      for (const action of task.evaluation_criteria?.actions ?? [])
        calls.set(`${action.name} ${JSON.stringify(action.arguments ?? {})}`, action);
    const counts = { n: 0, blocked: 0 };
    for (const action of calls.values()) {
      const started = performance.now();
      const checked = guardJsonText(guard, JSON.stringify(action.arguments ?? {}), {
        stage: 'output',
      });
      times.push(performance.now() - started);
      counts.n += 1;
      if (checked.blocked) {
        counts.blocked += 1;
        report.blocked_calls.push({
          domain,
          tool: action.name,
          detectors: [...new Set(checked.result.findings.map((finding) => finding.detector))],
        });
      }
    }
    report.by_domain[domain] = counts;
    report.n += counts.n;
    report.blocked += counts.blocked;
  }
  report.rate = report.n === 0 ? 0 : report.blocked / report.n;
  times.sort((a, b) => a - b);
  report.latency_ms = {
    p50: Math.round(percentile(times, 0.5) * 1000) / 1000,
    p99: Math.round(percentile(times, 0.99) * 1000) / 1000,
  };
  return report;
}
