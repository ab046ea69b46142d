import type { DetectionContext } from '../detectors/index.ts';
import type { GuardEngine, GuardResult } from '../guard/index.ts';
import { PlaceholderVault } from '../guard/index.ts';

/** What one stage did, as clients and audit see it: names and actions, never the text. */
export interface RailReport {
  stage: GuardResult['stage'];
  action: GuardResult['effective'];
  detectors: string[];
}

export function railReport(result: GuardResult): RailReport {
  return {
    stage: result.stage,
    action: result.effective,
    detectors: [...new Set(result.findings.map((finding) => finding.detector))],
  };
}

/** Merges several checks of one stage (e.g. one per message) into one report. */
export function mergeReports(reports: readonly RailReport[]): RailReport[] {
  const severity = { allow: 0, flag: 1, redact: 2, block: 3 } as const;
  const byStage = new Map<string, RailReport>();
  for (const report of reports) {
    const seen = byStage.get(report.stage);
    if (seen === undefined) {
      byStage.set(report.stage, { ...report, detectors: [...report.detectors] });
      continue;
    }
    if (severity[report.action] > severity[seen.action]) seen.action = report.action;
    for (const detector of report.detectors) {
      if (!seen.detectors.includes(detector)) seen.detectors.push(detector);
    }
  }
  return [...byStage.values()];
}

export type StreamStep = { emit: string } | { blocked: GuardResult };

/** A streamed answer is checked again once it has grown by 1/16 of what was last checked. */
const GROWTH_DIVISOR = 16;

/**
 * Output rails over a streamed answer. Everything received is checked as a whole; all but the
 * last `holdBack` characters of the checked (and possibly redacted) text may be sent. A finding
 * shorter than the hold-back is complete before any of it would be sent, so it is redacted or
 * blocked in time. If a later check would rewrite text already sent, the stream is blocked:
 * what was sent cannot be taken back, so the rest is not sent either.
 */
export class StreamingOutputGuard {
  private raw = '';
  private sent = '';
  private checkedLength = 0;
  private readonly vault = new PlaceholderVault();
  last: GuardResult | undefined;

  constructor(
    private readonly guard: GuardEngine,
    private readonly context: DetectionContext,
    private readonly holdBack: number,
    /** Applied to the upstream text before the rails (restores pseudonymised values). */
    private readonly restore: (text: string) => string = (text) => text,
    private readonly checkEvery = 32,
  ) {}

  push(delta: string): StreamStep {
    this.raw += delta;
    // Every check reads the whole answer so far, so checking after a fixed number of new
    // characters made a long answer cost quadratic time. Waiting for growth in proportion to what
    // was already checked keeps the total linear (about 17× the answer) at the price of larger
    // chunks late in a long answer.
    const interval = Math.max(this.checkEvery, Math.floor(this.checkedLength / GROWTH_DIVISOR));
    if (this.raw.length - this.checkedLength < interval) return { emit: '' };
    return this.step(false);
  }

  finish(): StreamStep {
    return this.step(true);
  }

  private step(final: boolean): StreamStep {
    this.checkedLength = this.raw.length;
    const result = this.guard.check(this.restore(this.raw), this.context, this.vault);
    this.last = result;
    if (result.effective === 'block' || !result.text.startsWith(this.sent)) {
      return { blocked: result };
    }
    const cut = final ? result.text.length : Math.max(0, result.text.length - this.holdBack);
    if (cut <= this.sent.length) return { emit: '' };
    const emit = result.text.slice(this.sent.length, cut);
    this.sent = result.text.slice(0, cut);
    return { emit };
  }
}
