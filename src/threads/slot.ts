/**
 * A synchronous request slot in shared memory between a detector and the model thread behind
 * it. Detectors are synchronous functions; ONNX Runtime only runs asynchronously, so the model
 * lives on a worker thread and the detector waits for it with Atomics.wait. control[0] is the
 * slot's state, control[1] the length in bytes of the text written into `text`; `result` holds
 * what the thread computed for it.
 */
export const Slot = {
  Loading: 0,
  Idle: 1,
  Request: 2,
  Done: 3,
  Failed: 4,
  /** The model could not be loaded; the thread has ended. */
  Unavailable: 5,
} as const;
export type Slot = (typeof Slot)[keyof typeof Slot];

export interface SlotBuffers {
  control: SharedArrayBuffer;
  text: SharedArrayBuffer;
  result: SharedArrayBuffer;
}

export function createSlotBuffers(textBytes: number, resultValues: number): SlotBuffers {
  return {
    control: new SharedArrayBuffer(3 * 4),
    text: new SharedArrayBuffer(textBytes),
    result: new SharedArrayBuffer(resultValues * 8),
  };
}

/** The detector's side: one text at a time, waiting at most `waitMs` for its result. */
export class SlotClient {
  private readonly control: Int32Array;
  private readonly text: Uint8Array;
  private readonly result: Float64Array;
  private readonly encoder = new TextEncoder();

  private loading: Promise<boolean> | undefined;

  constructor(
    buffers: SlotBuffers,
    /** Used in error messages: "the sentence embedder", "the injection encoder". */
    private readonly what: string,
    private readonly waitMs: number,
    /** How long the model may take to load before the slot counts as failed. */
    private readonly loadWaitMs: number,
  ) {
    this.control = new Int32Array(buffers.control);
    this.text = new Uint8Array(buffers.text);
    this.result = new Float64Array(buffers.result);
  }

  /**
   * Resolves once the thread has loaded its model (true) or failed to, or took longer than
   * `loadWaitMs` (false), without blocking the calling thread: a policy update that loads a
   * model keeps serving requests under the policy in force meanwhile.
   */
  whenLoaded(): Promise<boolean> {
    this.loading ??= (async () => {
      const waiting = Atomics.waitAsync(this.control, 0, Slot.Loading, this.loadWaitMs);
      if (!waiting.async) return this.isLoaded();
      // A pending waitAsync does not keep the process alive (nor does the unref'd thread), so a
      // command awaiting its model would otherwise just exit.
      const keepAlive = setTimeout(() => undefined, this.loadWaitMs);
      try {
        await waiting.value;
      } finally {
        clearTimeout(keepAlive);
      }
      return this.isLoaded();
    })();
    return this.loading;
  }

  /**
   * Blocks until the thread has loaded its model, failed to, or `loadWaitMs` passed: for a
   * synchronous caller that did not await `whenLoaded`, before its first check, so the load is
   * not taken for a slow check.
   */
  waitLoaded(): void {
    Atomics.wait(this.control, 0, Slot.Loading, this.loadWaitMs);
  }

  private isLoaded(): boolean {
    const state = Atomics.load(this.control, 0);
    return state !== Slot.Loading && state !== Slot.Unavailable;
  }

  markUnavailable(): void {
    Atomics.store(this.control, 0, Slot.Unavailable);
    // Wakes a `whenLoaded` (or a check) still waiting for the model.
    Atomics.notify(this.control, 0);
  }

  /**
   * The thread's result for `text` (cut to the slot's size in UTF-8). Throws when unavailable.
   * A check made before the model has loaded waits for it (see `waitLoaded`).
   */
  request(text: string): Float64Array {
    let state = Atomics.load(this.control, 0);
    if (state === Slot.Loading) {
      this.waitLoaded();
      state = Atomics.load(this.control, 0);
      if (state === Slot.Loading)
        throw new Error(`${this.what} did not load within ${String(this.loadWaitMs)} ms`);
    }
    if (state === Slot.Request) {
      // The previous text timed out and is still being computed.
      Atomics.wait(this.control, 0, Slot.Request, this.waitMs);
      state = Atomics.load(this.control, 0);
    }
    if (state === Slot.Unavailable) throw new Error(`${this.what} is not running`);
    if (state === Slot.Request) throw new Error(`${this.what} is busy`);
    const { written } = this.encoder.encodeInto(text.slice(0, this.text.length), this.text);
    Atomics.store(this.control, 1, written);
    Atomics.store(this.control, 0, Slot.Request);
    Atomics.notify(this.control, 0);
    Atomics.wait(this.control, 0, Slot.Request, this.waitMs);
    state = Atomics.load(this.control, 0);
    if (state !== Slot.Done) {
      if (state === Slot.Failed) Atomics.store(this.control, 0, Slot.Idle);
      throw new Error(
        state === Slot.Request
          ? `no answer from ${this.what} within ${this.waitMs} ms`
          : `${this.what} failed on this text`,
      );
    }
    const result = Float64Array.from(this.result);
    Atomics.store(this.control, 0, Slot.Idle);
    Atomics.notify(this.control, 0);
    return result;
  }
}

/**
 * The thread's side: load once, then answer each text written into the slot with `answer`.
 * Never returns; a load failure marks the slot unavailable and ends the thread.
 */
export async function serveSlot<Model>(
  buffers: SlotBuffers,
  name: string,
  load: () => Promise<Model>,
  answer: (model: Model, text: string, result: Float64Array) => Promise<void>,
): Promise<never> {
  const control = new Int32Array(buffers.control);
  const bytes = new Uint8Array(buffers.text);
  const result = new Float64Array(buffers.result);
  const publish = (state: Slot): void => {
    Atomics.store(control, 0, state);
    Atomics.notify(control, 0);
  };
  let model: Model;
  try {
    model = await load();
    publish(Slot.Idle);
  } catch (error) {
    console.error(`[${name}] the model did not load: ${(error as Error).message}`);
    publish(Slot.Unavailable);
    process.exit(1);
  }
  const decoder = new TextDecoder();
  for (;;) {
    Atomics.wait(control, 0, Slot.Idle);
    const state = Atomics.load(control, 0);
    if (state !== Slot.Request) {
      // A result not yet collected: wait for the detector to take it.
      Atomics.wait(control, 0, state);
      continue;
    }
    try {
      const text = decoder.decode(bytes.slice(0, Atomics.load(control, 1)));
      await answer(model, text, result);
      publish(Slot.Done);
    } catch (error) {
      console.error(`[${name}] failed on a text: ${(error as Error).message}`);
      publish(Slot.Failed);
    }
  }
}
