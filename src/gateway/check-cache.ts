import { createHash } from 'node:crypto';
import type { GuardEngine, GuardResult } from '../guard/index.ts';

/** Shorter texts cost less to check than to hash and keep. */
const MIN_CACHED_CHARS = 256;

/**
 * Results of `input` and `retrieval` checks by the sha256 of the text, least recently used out
 * first. The gateway keeps no state between requests, so an agent's loop sends its whole history
 * every turn and every earlier tool result was read again (bench/results/tools.json: ~0.8 ms per
 * 4 KB turn, 40 ms at 50 turns). Only results that rewrote nothing and whose detectors all
 * answered are kept: a redaction's placeholders belong to one request's vault, and a timeout
 * must be retried, not remembered. A result served again reports no detector time.
 */
export class CheckCache {
  private readonly entries = new Map<string, GuardResult>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly guard: GuardEngine,
    private readonly capacity: number,
    /** Told of every lookup (texts too short to keep are not looked up). */
    private readonly onLookup: (hit: boolean) => void = () => undefined,
  ) {}

  check(text: string, stage: 'input' | 'retrieval'): GuardResult {
    if (this.capacity === 0 || text.length < MIN_CACHED_CHARS) {
      return this.guard.check(text, { stage });
    }
    const key = `${stage}:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
    const kept = this.entries.get(key);
    if (kept !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, kept);
      this.hits += 1;
      this.onLookup(true);
      return {
        ...kept,
        text,
        outcomes: kept.outcomes.map((outcome) => ({ ...outcome, ms: 0 })),
        totalMs: 0,
      };
    }
    this.misses += 1;
    this.onLookup(false);
    const result = this.guard.check(text, { stage });
    if (result.text === text && result.outcomes.every((outcome) => outcome.status === 'ok')) {
      // Kept without its text (the same as the caller's): 4,096 tool results of 200 KB each
      // would otherwise be most of a gigabyte.
      this.entries.set(key, { ...result, text: '' });
      if (this.entries.size > this.capacity) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
    }
    return result;
  }

  get size(): number {
    return this.entries.size;
  }
}
