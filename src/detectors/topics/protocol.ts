import type { SlotBuffers } from '../../threads/slot.ts';

/** What `banned_topics` hands its embedding thread; `result` holds [similarity, topic index]. */
export interface TopicWorkerData {
  buffers: SlotBuffers;
  modelsDir: string;
  topics: readonly { name: string; examples: readonly string[] }[];
}

/** Bytes of text handed to the embedder: more than its 128-token window ever reads. */
export const TEXT_BYTES = 4096;
