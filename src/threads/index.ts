import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module `entry` (its name without extension) that sits beside the
 * calling module `self` (its `import.meta.url`). Under tsx the sources are TypeScript and a
 * worker does not inherit the parent's loader, so the thread registers tsx itself before
 * importing the entry point; from the build it loads the compiled `.js` directly.
 */
export function spawnModuleWorker(self: string, entry: string, workerData: unknown): Worker {
  if (self.endsWith('.ts')) {
    const source = new URL(`./${entry}.ts`, self).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(source)});`;
    return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), {
      workerData,
    });
  }
  return new Worker(new URL(`./${entry}.js`, self), { workerData });
}
