import type { SlotBuffers } from '../../threads/slot.ts';

/** What `banned_topics` hands its embedding thread; `result` holds [similarity, topic index]. */
export interface TopicWorkerData {
  buffers: SlotBuffers;
  modelsDir: string;
  topics: readonly { name: string; examples: readonly string[] }[];
  /** Windows of 128 tokens embedded per text (the first ones and the last). */
  maxWindows: number;
}

/** Bytes of UTF-8 handed to the embedder, as for the injection encoder: far past 8 windows. */
export const TEXT_BYTES = 128 * 1024;
