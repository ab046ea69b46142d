import type { Worker } from 'node:worker_threads';
import { GuardstreamError } from '../../errors/index.ts';
import { modelArtifacts } from '../../models/index.ts';
import { spawnModuleWorker } from '../../threads/index.ts';
import { SlotClient } from '../../threads/slot.ts';
import type { SlotBuffers } from '../../threads/slot.ts';

/**
 * A patched model on a worker thread of this folder (`entry`: worker, pair-worker) behind a
 * request slot: what the injection encoder and the groundedness cross-encoder share.
 */
export class PatchedModelThread {
  readonly client: SlotClient;
  private readonly worker: Worker;
  private readonly loadWaitMs: number;

  constructor(
    private readonly options: {
      entry: string;
      /** The detector, in the error `ready` gives ("prompt_injection_encoder: the encoder…"). */
      detector: string;
      /** The model, in the errors of checks ("no answer from the injection encoder…"). */
      what: string;
      buffers: SlotBuffers;
      workerData: { buffers: SlotBuffers };
      waitMs: number;
      loadWaitMs?: number;
    },
  ) {
    this.loadWaitMs = options.loadWaitMs ?? 30_000;
    this.client = new SlotClient(options.buffers, options.what, options.waitMs, this.loadWaitMs);
    this.worker = spawnModuleWorker(import.meta.url, options.entry, options.workerData);
    // The thread never keeps a process alive: it dies with it.
    this.worker.unref();
    this.worker.on('error', () => {
      this.client.markUnavailable();
    });
  }

  /**
   * Resolves once the thread has patched and loaded the model; rejects when it could not. The
   * model loads once, when a policy binds the detector, and a policy is put in force only after
   * this resolved, so no request pays for the load.
   */
  async ready(): Promise<void> {
    if (await this.client.whenLoaded()) return;
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `${this.options.detector}: the encoder failed to load or did not start within ${String(this.loadWaitMs)} ms (the log says which)`,
    });
  }

  /** Blocks until the model has loaded or failed to (a failure is then each check's error). */
  waitLoaded(): void {
    this.client.waitLoaded();
  }

  /** Ends the thread and frees its model; later checks throw (and their rule fails closed). */
  close(): void {
    this.client.markUnavailable();
    void this.worker.terminate();
  }
}

/** The pinned model a patch names (only a pinned model is loaded under a patch). */
export function pinnedBaseModel(patchPath: string, model: string): string {
  if (!modelArtifacts.some((artifact) => artifact.id === model)) {
    throw new GuardstreamError('GS_ERR_CONFIG_INVALID', {
      message: `${patchPath} was trained on ${model}, which is not a pinned model (guardstream models status lists them)`,
    });
  }
  return model;
}
