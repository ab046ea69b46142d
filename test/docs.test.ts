import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { format, resolveConfig } from 'prettier';
import { generatedPages } from '../scripts/docs.ts';
import { errorCatalogue } from '../src/errors/index.ts';
import { packageRoot } from '../src/kafka/index.ts';

describe('generated reference pages agree with the code', () => {
  for (const [file, render] of Object.entries(generatedPages)) {
    it(`${file} is up to date (run \`npm run docs\` after changing the code)`, async () => {
      const path = join(packageRoot(), file);
      const options = (await resolveConfig(path)) ?? {};
      const expected = await format(render(), { ...options, filepath: path });
      assert.equal(readFileSync(path, 'utf8'), expected);
    });
  }

  it('docs/errors.md lists exactly the catalogue codes with their status and retry flag', () => {
    const page = readFileSync(join(packageRoot(), 'docs/errors.md'), 'utf8');
    const rows = [...page.matchAll(/^\| `(GS_ERR_[A-Z_]+)`\s*\|\s*(\d{3})\s*\|\s*(yes|no)\s*\|/gm)];
    const documented = new Map(
      rows.map((row) => [row[1], { status: Number(row[2]), retryable: row[3] === 'yes' }]),
    );
    assert.deepEqual([...documented.keys()].sort(), Object.keys(errorCatalogue).sort());
    for (const [code, spec] of Object.entries(errorCatalogue)) {
      assert.deepEqual(
        documented.get(code),
        { status: spec.httpStatus, retryable: spec.retryable },
        code,
      );
    }
  });
});
