/**
 * Shared memory between `banned_topics` and its embedding thread. control[0] is the slot's
 * state, control[1] the length in bytes of the text written into `text`; `result` holds the best
 * cosine similarity and the index of its topic.
 */
export const Slot = {
  Loading: 0,
  Idle: 1,
  Request: 2,
  Done: 3,
  Failed: 4,
  /** The embedder could not be loaded; the thread has ended. */
  Unavailable: 5,
} as const;
export type Slot = (typeof Slot)[keyof typeof Slot];

export interface TopicWorkerData {
  control: SharedArrayBuffer;
  text: SharedArrayBuffer;
  result: SharedArrayBuffer;
  modelsDir: string;
  topics: readonly { name: string; examples: readonly string[] }[];
}

/** Bytes of text handed to the embedder: more than its 128-token window ever reads. */
export const TEXT_BYTES = 4096;
