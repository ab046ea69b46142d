import type { z } from 'zod';

/** Where a text is being checked. The same policy engine serves streams and requests. */
export type Stage = 'ingest' | 'input' | 'retrieval' | 'output';
export const stages: readonly Stage[] = ['ingest', 'input', 'retrieval', 'output'];

export interface Span {
  /** UTF-16 offsets into the text the detector was given, end exclusive. */
  start: number;
  end: number;
}

export interface Finding {
  detector: string;
  /** What was found, e.g. `email`, `aws_access_key`, `zero_width`. */
  kind: string;
  span?: Span;
  /** Confidence in [0, 1]. */
  score: number;
  /** A short, safe description; never the sensitive value itself. */
  evidence: string;
}

export interface DetectionContext {
  stage: Stage;
  /** Retrieved context the answer should be grounded in (output stage). */
  context?: readonly string[];
  /** Per-request canary planted in the system prompt (output stage). */
  canary?: string;
  /** The system prompt the model was given, to recognise it being repeated (output stage). */
  systemPrompt?: string;
}

export interface DetectorMeta {
  name: string;
  description: string;
  stages: readonly Stage[];
  /** Rough cost class, so policies can keep expensive detectors off hot paths. */
  cost: 'cheap' | 'moderate' | 'expensive';
  kinds: readonly string[];
}

/**
 * A detector: metadata, a zod schema for its configuration (defaults included), and a pure
 * function from text (+ context + config) to findings. No I/O, no global state.
 */
export interface Detector<Schema extends z.ZodType = z.ZodType> {
  meta: DetectorMeta;
  configSchema: Schema;
  detect: (text: string, config: z.output<Schema>, context: DetectionContext) => Finding[];
}

export function defineDetector<Schema extends z.ZodType>(
  detector: Detector<Schema>,
): Detector<Schema> {
  return detector;
}
