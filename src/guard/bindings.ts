import type { BoundDetector, RegisteredDetector } from '../detectors/index.ts';

interface Binding {
  bound: BoundDetector;
  holders: number;
}

/** A handle on a shared binding: what an engine runs, and what it gives back when closed. */
export interface HeldBinding {
  readonly run: BoundDetector;
  /** Resolves once the detector's model (if it has one) has loaded; rejects when it could not. */
  ready(): Promise<void>;
  /** Blocks until the detector's model has loaded or failed to. */
  waitLoaded(): void;
  release(): void;
}

/**
 * Detectors bound once per distinct configuration and shared by every engine built with the
 * same `DetectorBindings`. Binding a model-backed detector starts a thread that loads a model
 * (awaited with the engine's `ready()`): shared, a detector named at several stages loads once,
 * the components of one process load it once between them, and a new policy that keeps a
 * detector's configuration keeps its loaded model instead of loading it again. A binding is
 * closed when the last engine holding it is.
 */
export class DetectorBindings {
  private readonly byKey = new Map<string, Binding>();
  private boundCount = 0;

  /** How many times a detector was actually bound (a model loaded, for model-backed ones). */
  get bindCount(): number {
    return this.boundCount;
  }

  /** Bindings held by at least one engine. */
  get liveCount(): number {
    return this.byKey.size;
  }

  /** The detector bound with `config`, shared if already bound with an equal configuration. */
  acquire(name: string, detector: RegisteredDetector, config: unknown): HeldBinding {
    const key = `${name}\u0000${canonicalJson(config ?? {})}`;
    let binding = this.byKey.get(key);
    if (binding === undefined) {
      binding = { bound: detector.bind(config), holders: 0 };
      this.boundCount += 1;
      this.byKey.set(key, binding);
    }
    binding.holders += 1;
    const held = binding;
    let released = false;
    return {
      run: held.bound,
      ready: async () => {
        await held.bound.ready?.();
      },
      waitLoaded: () => {
        held.bound.waitLoaded?.();
      },
      release: () => {
        // Idempotent, so an engine closed twice cannot take another engine's share.
        if (released) return;
        released = true;
        held.holders -= 1;
        if (held.holders > 0) return;
        this.byKey.delete(key);
        held.bound.close?.();
      },
    };
  }
}

/**
 * JSON with object keys sorted, so configurations that differ only in key order are one
 * binding. Values are what a YAML or JSON policy can hold.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  // As JSON.stringify writes an undefined array item.
  if (value === undefined) return 'null';
  return JSON.stringify(value);
}
