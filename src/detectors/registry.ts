import type { z } from 'zod';
import type { DetectionContext, Detector, DetectorMeta, Finding } from './types.ts';

export type BoundDetector = ((text: string, context: DetectionContext) => Finding[]) & {
  /** Frees what binding started (a model thread); set only for detectors that start one. */
  close?: () => void;
  /**
   * Resolves once what binding started has loaded (rejects when it could not); set only for
   * detectors that start one. A check made before then waits for the load, blocking.
   */
  ready?: () => Promise<void>;
  /** Blocks until what binding started has loaded or failed to; set with `ready`. */
  waitLoaded?: () => void;
};

/** What a parsed config may hold that binding started: a model thread to close and await. */
interface BoundResource {
  close: () => void;
  ready?: () => Promise<void>;
  waitLoaded?: () => void;
}

/** Resources a parsed config holds that must be closed (and may be awaited). */
function resourcesOf(parsed: unknown): BoundResource[] {
  if (typeof parsed !== 'object' || parsed === null) return [];
  return Object.values(parsed).filter(
    (value): value is BoundResource =>
      typeof value === 'object' &&
      value !== null &&
      'close' in value &&
      typeof (value as { close: unknown }).close === 'function' &&
      (!('ready' in value) || typeof (value as { ready: unknown }).ready === 'function') &&
      (!('waitLoaded' in value) ||
        typeof (value as { waitLoaded: unknown }).waitLoaded === 'function'),
  );
}

/** A detector with its config type erased behind `bind`, which validates the config once. */
export interface RegisteredDetector {
  meta: DetectorMeta;
  configSchema: z.ZodType;
  /** Validates `config` against the detector's schema (throws a ZodError) and binds it. */
  bind(config: unknown): BoundDetector;
}

function erase<Schema extends z.ZodType>(detector: Detector<Schema>): RegisteredDetector {
  return {
    meta: detector.meta,
    configSchema: detector.configSchema,
    bind(config) {
      const parsed = detector.configSchema.parse(config ?? {});
      const bound: BoundDetector = (text, context) => detector.detect(text, parsed, context);
      const resources = resourcesOf(parsed);
      if (resources.length > 0) {
        bound.close = () => {
          for (const resource of resources) resource.close();
        };
        bound.ready = async () => {
          await Promise.all(resources.map((resource) => resource.ready?.() ?? Promise.resolve()));
        };
        bound.waitLoaded = () => {
          for (const resource of resources) resource.waitLoaded?.();
        };
      }
      return bound;
    },
  };
}

/** An explicit set of detectors by name. Nothing registers itself on import. */
export class DetectorRegistry {
  private readonly byName = new Map<string, RegisteredDetector>();

  register<Schema extends z.ZodType>(detector: Detector<Schema>): this {
    if (this.byName.has(detector.meta.name)) {
      throw new Error(`Detector ${detector.meta.name} is registered twice`);
    }
    this.byName.set(detector.meta.name, erase(detector));
    return this;
  }

  get(name: string): RegisteredDetector | undefined {
    return this.byName.get(name);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }
}
