import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { spawnModuleWorker } from '../../src/threads/index.ts';

describe('worker threads', () => {
  it('runs a TypeScript module beside the caller under tsx, with its data', async () => {
    const worker = spawnModuleWorker(import.meta.url, 'echo-worker', 21);
    const [answer] = (await once(worker, 'message')) as [number];
    assert.equal(answer, 42);
    await once(worker, 'exit');
  });
});
