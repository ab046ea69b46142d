import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GuardstreamError } from '../errors/index.ts';
import type {
  DetectionContext,
  DetectorRegistry,
  BoundDetector,
  Finding,
  Stage,
} from '../detectors/index.ts';
import { DetectorBindings } from './bindings.ts';
import type { HeldBinding } from './bindings.ts';
import type { Action, DetectorRule, GuardPolicy } from './policy.ts';
import { PlaceholderVault } from './vault.ts';

export interface DetectorOutcome {
  detector: string;
  status: 'ok' | 'error' | 'timeout';
  ms: number;
  findings: number;
  error?: string;
}

export interface GuardResult {
  stage: Stage;
  /** What the policy decided. In monitor mode `effective` is always `allow`. */
  decision: Action;
  effective: Action;
  /** Findings at or above their rule's threshold, each with the action its rule assigns its kind. */
  findings: (Finding & { action: Action })[];
  /**
   * The text with `redact` spans rewritten; equal to the (well-formed) input when nothing was
   * redacted, which is always the case in monitor mode.
   */
  text: string;
  outcomes: DetectorOutcome[];
  reasons: string[];
  totalMs: number;
}

interface BoundRule {
  rule: DetectorRule;
  run: BoundDetector;
}

type RedactionStyle = DetectorRule['redaction'];

const severity: Readonly<Record<Action, number>> = { allow: 0, flag: 1, redact: 2, block: 3 };

function perStage<T>(make: (stage: Stage) => T): Record<Stage, T> {
  return {
    ingest: make('ingest'),
    input: make('input'),
    retrieval: make('retrieval'),
    output: make('output'),
  };
}

function strongest(a: Action, b: Action): Action {
  return severity[a] >= severity[b] ? a : b;
}

/**
 * The one policy engine. The contract processor and the HTTP gateway both call `check`, so a
 * policy means the same on a stream and on a request. Detectors and their configs are
 * validated when the engine is built, not per call.
 */
export class GuardEngine {
  private readonly bound: Record<Stage, BoundRule[]>;
  /** Per stage, how each detector's redactions are written. */
  private readonly styles: Record<Stage, ReadonlyMap<string, RedactionStyle>>;

  /** What this engine holds of `bindings`, given back by `close`. */
  private readonly held: HeldBinding[] = [];
  /** Whether every model the detectors started is known to have loaded (or failed to). */
  private loaded = false;

  /**
   * `bindings` shares bound detectors with other engines built with it (the components of one
   * process, and the policies that follow each other); without it the engine has its own, still
   * shared between its stages.
   */
  constructor(
    readonly policy: GuardPolicy,
    registry: DetectorRegistry,
    bindings: DetectorBindings = new DetectorBindings(),
  ) {
    const bind = (stage: Stage): BoundRule[] =>
      policy.stages[stage].detectors.map((rule, index) => {
        const detector = registry.get(rule.detector);
        if (detector === undefined) {
          throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
            message: `guard.stages.${stage}.detectors.${index}.detector: unknown detector "${rule.detector}" (known: ${registry.names().join(', ')})`,
          });
        }
        const kinds = new Set(detector.meta.kinds);
        const unknownKind = Object.keys(rule.kindActions).find((kind) => !kinds.has(kind));
        if (unknownKind !== undefined) {
          // A misspelt kind would otherwise be a silent no-op in a security policy.
          throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
            message: `guard.stages.${stage}.detectors.${index}.kindActions: "${rule.detector}" has no finding kind "${unknownKind}" (its kinds: ${detector.meta.kinds.join(', ') || 'none'})`,
          });
        }
        try {
          const binding = bindings.acquire(rule.detector, detector, rule.config);
          this.held.push(binding);
          return { rule, run: binding.run };
        } catch (error) {
          throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
            message: `guard.stages.${stage}.detectors.${index}.config: ${(error as Error).message}`,
            cause: error,
          });
        }
      });
    try {
      this.bound = perStage(bind);
    } catch (error) {
      // A policy refused at its fifth rule must not keep the model threads its first four started.
      this.close();
      throw error;
    }
    this.styles = perStage(
      (stage) => new Map(this.bound[stage].map(({ rule }) => [rule.detector, rule.redaction])),
    );
  }

  /**
   * An engine whose models have loaded (`ready()`), or the reason one could not, with what it
   * had started closed: for code that puts the engine in force only once it can run.
   */
  static async start(
    policy: GuardPolicy,
    registry: DetectorRegistry,
    bindings?: DetectorBindings,
  ): Promise<GuardEngine> {
    const engine = new GuardEngine(policy, registry, bindings);
    try {
      await engine.ready();
    } catch (error) {
      engine.close();
      throw error;
    }
    return engine;
  }

  /**
   * Resolves once every model the engine's detectors started has loaded, and rejects with the
   * first that could not (GS_ERR_CONFIG_INVALID). Await it before putting the engine in force:
   * the load runs on the models' threads, so requests go on under the engine in force meanwhile.
   * A check made before then waits for the load, blocking its thread, before any detector's
   * timer starts (a load is not a slow check).
   */
  async ready(): Promise<void> {
    await Promise.all(this.held.map((binding) => binding.ready()));
    this.loaded = true;
  }

  /**
   * Gives back this engine's bindings; a model thread no other engine holds is ended. Checks
   * made afterwards fail closed for those detectors: close an engine only once nothing uses it.
   */
  close(): void {
    for (const binding of this.held.splice(0)) binding.release();
  }

  check(
    text: string,
    context: DetectionContext,
    vault: PlaceholderVault = new PlaceholderVault(),
  ): GuardResult {
    if (!this.loaded) {
      for (const binding of this.held) binding.waitLoaded();
      this.loaded = true;
    }
    const started = performance.now();
    const stage = context.stage;
    const stagePolicy = this.policy.stages[stage];
    const outcomes: DetectorOutcome[] = [];
    const findings: (Finding & { action: Action })[] = [];
    const reasons: string[] = [];
    let decision: Action = 'allow';

    if (text.length > stagePolicy.maxChars) {
      reasons.push(`length ${text.length} exceeds ${stagePolicy.maxChars} characters`);
      return this.finish(stage, 'block', findings, text, outcomes, reasons, started);
    }
    // Lone surrogates cannot be encoded for any model or topic; normalise rather than crash.
    const safeText = text.isWellFormed() ? text : text.toWellFormed();

    for (const { rule, run } of this.bound[stage]) {
      const detectorStarted = performance.now();
      let found: Finding[];
      try {
        found = run(safeText, context);
      } catch (error) {
        const ms = performance.now() - detectorStarted;
        outcomes.push({
          detector: rule.detector,
          status: 'error',
          ms,
          findings: 0,
          error: (error as Error).message,
        });
        if (rule.onError === 'block') {
          decision = 'block';
          reasons.push(`${rule.detector} failed: fail-closed`);
        }
        continue;
      }
      const ms = performance.now() - detectorStarted;
      // Detectors are synchronous and pure, so an overrun is observed after the fact; the
      // decision still fails closed, so a slow path can never be a bypass.
      if (ms > rule.timeoutMs) {
        outcomes.push({ detector: rule.detector, status: 'timeout', ms, findings: found.length });
        if (rule.onError === 'block') {
          decision = 'block';
          reasons.push(`${rule.detector} exceeded ${rule.timeoutMs} ms: fail-closed`);
        }
        continue;
      }
      const kept = found.filter((finding) => finding.score >= rule.threshold);
      outcomes.push({ detector: rule.detector, status: 'ok', ms, findings: kept.length });
      if (kept.length === 0) continue;
      const acted = new Set<string>();
      for (const finding of kept) {
        // Own keys only: a kind must never resolve to something inherited from Object.prototype.
        const action = Object.hasOwn(rule.kindActions, finding.kind)
          ? (rule.kindActions[finding.kind] ?? rule.action)
          : rule.action;
        findings.push({ ...finding, action });
        decision = strongest(decision, action);
        if (action !== 'allow') acted.add(finding.kind);
      }
      if (acted.size > 0) reasons.push(`${rule.detector}: ${[...acted].join(', ')}`);
    }
    // A dry run rewrites nothing: the findings and their spans say what would be redacted.
    const rewritten =
      decision === 'redact' && this.policy.mode !== 'monitor'
        ? redact(safeText, findings, this.styles[stage], vault)
        : safeText;
    return this.finish(stage, decision, findings, rewritten, outcomes, reasons, started);
  }

  private finish(
    stage: Stage,
    decision: Action,
    findings: (Finding & { action: Action })[],
    text: string,
    outcomes: DetectorOutcome[],
    reasons: string[],
    started: number,
  ): GuardResult {
    return {
      stage,
      decision,
      effective: this.policy.mode === 'monitor' ? 'allow' : decision,
      findings,
      text,
      outcomes,
      reasons,
      totalMs: performance.now() - started,
    };
  }
}

function redact(
  text: string,
  findings: readonly (Finding & { action: Action })[],
  styleOf: ReadonlyMap<string, RedactionStyle>,
  vault: PlaceholderVault,
): string {
  const spans: { finding: Finding; start: number; end: number }[] = [];
  for (const finding of findings) {
    if (finding.action === 'redact' && finding.span !== undefined) {
      spans.push({ finding, start: finding.span.start, end: finding.span.end });
    }
  }
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  let output = '';
  let cursor = 0;
  for (const { finding, start, end } of spans) {
    if (start < cursor) continue;
    const value = text.slice(start, end);
    const style = styleOf.get(finding.detector) ?? 'placeholder';
    const replacement =
      style === 'mask'
        ? '*'.repeat(Math.min(value.length, 16))
        : style === 'hash'
          ? `[${finding.kind}:${createHash('sha256').update(value).digest('hex').slice(0, 12)}]`
          : vault.placeholderFor(finding.kind, value);
    output += text.slice(cursor, start) + replacement;
    cursor = end;
  }
  return output + text.slice(cursor);
}

/** Replaces every finding's span with a stable placeholder; `vault.restore` undoes it. */
export function anonymize(
  text: string,
  findings: readonly Finding[],
  vault: PlaceholderVault,
): string {
  return redact(
    text,
    findings.map((finding) => ({ ...finding, action: 'redact' as const })),
    new Map(),
    vault,
  );
}
