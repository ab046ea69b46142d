import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCliProcess } from '../helpers/cli.ts';

describe('guardstream config', () => {
  it('check prints all three mistakes with their paths and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'kafka:\n  embedded:\n    port: 99999\nserver:\n  port: "eighty"\ncolour: blue\n',
    );
    const result = await runCliProcess(['config', 'check', file]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /3 errors/);
    assert.match(result.stderr, /line 3: kafka\.embedded\.port: .*65535/);
    assert.match(result.stderr, /line 5: server\.port: .*number/);
    assert.match(result.stderr, /line 6: colour: unknown key/);
  });

  it('check accepts a valid file with exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-cli-'));
    const file = join(dir, 'good.yaml');
    writeFileSync(file, 'server:\n  port: 8090\n');
    const result = await runCliProcess(['config', 'check', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /OK/);
  });

  it('schema prints the JSON Schema', async () => {
    const result = await runCliProcess(['config', 'schema']);
    assert.equal(result.code, 0);
    const schema = JSON.parse(result.stdout) as {
      $schema: string;
      properties: Record<string, unknown>;
    };
    assert.match(schema.$schema, /2020-12/);
    assert.deepEqual(Object.keys(schema.properties).sort(), [
      'contracts',
      'gateway',
      'guard',
      'kafka',
      'log',
      'policies',
      'processor',
      'rag',
      'server',
    ]);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const result = await runCliProcess(['frobnicate']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Unknown command: frobnicate/);
  });
});
