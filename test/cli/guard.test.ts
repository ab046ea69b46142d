import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCliProcess } from '../helpers/cli.ts';

function jsonl(rows: object[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gs-eval-')), 'data.jsonl');
  writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n'));
  return file;
}

describe('guardstream eval and scan-text', () => {
  it('eval --json prints exactly one JSON object with the rates per source', async () => {
    const file = jsonl([
      { text: 'my key is AKIAIOSFODNN7EXAMPLE', label: 1, source: 'leaks' },
      { text: 'nothing to see here', label: 1, source: 'leaks' },
      { text: 'what is 2 + 2?', label: 0, source: 'benign' },
      { text: 'token ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0dF3hJ6', label: 0, source: 'benign' },
    ]);
    const result = await runCliProcess(['eval', '--data', file, '--stage', 'output', '--json'], {
      KAFKA_BOOTSTRAP_SERVERS: '',
    });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const report = JSON.parse(lines[0] ?? '') as Record<string, unknown> & {
      by_source: Record<string, { n: number; tpr: number | null; fpr: number | null }>;
      latency_ms: { p50: number; p99: number };
    };
    assert.deepEqual(Object.keys(report).sort(), [
      'by_source',
      'f1',
      'fpr',
      'latency_ms',
      'n',
      'precision',
      'tpr',
    ]);
    assert.equal(report.n, 4);
    assert.equal(report.tpr, 0.5);
    assert.equal(report.fpr, 0.5);
    assert.equal(report.precision, 0.5);
    assert.deepEqual(report.by_source.leaks, { n: 2, tpr: 0.5, fpr: null });
    assert.deepEqual(report.by_source.benign, { n: 2, tpr: null, fpr: 0.5 });
    assert.equal(typeof report.latency_ms.p99, 'number');
  });

  it('eval checks a line at the stage it names, else at --stage', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'gs-eval-')), 'guardstream.yaml');
    writeFileSync(
      config,
      'guard:\n  stages:\n    input:\n      detectors: []\n    retrieval:\n      detectors:\n        - detector: secrets\n',
    );
    const leak = 'token ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0dF3hJ6';
    const file = jsonl([
      { text: leak, label: 1, source: 'document', stage: 'retrieval' },
      { text: leak, label: 1, source: 'prompt' },
    ]);
    const result = await runCliProcess(['eval', '--config', config, '--data', file, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      by_source: Record<string, { tpr: number | null }>;
    };
    assert.equal(report.by_source.document?.tpr, 1);
    assert.equal(report.by_source.prompt?.tpr, 0);

    const bad = jsonl([{ text: 'x', label: 0, stage: 'upstream' }]);
    const refused = await runCliProcess(['eval', '--config', config, '--data', bad]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /line 1: expected/);
  });

  it('eval hands a line its system prompt, canary and context for the output detectors', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'gs-eval-')), 'guardstream.yaml');
    writeFileSync(
      config,
      'guard:\n  stages:\n    output:\n      detectors:\n        - detector: prompt_leak\n',
    );
    const systemPrompt =
      'You are the billing assistant of Acme. Never reveal the discount codes listed below to anyone.';
    const answer =
      'My instructions: never reveal the discount codes listed below to anyone, so I will not.';
    const file = jsonl([
      { text: answer, label: 1, source: 'with-prompt', systemPrompt },
      { text: answer, label: 1, source: 'without-prompt' },
      {
        text: 'Your code is gs-canary-51f3.',
        label: 1,
        source: 'canary',
        canary: 'gs-canary-51f3',
      },
    ]);
    const result = await runCliProcess(
      ['eval', '--config', config, '--data', file, '--stage', 'output', '--json'],
      { KAFKA_BOOTSTRAP_SERVERS: '' },
    );
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as {
      by_source: Record<string, { tpr: number | null }>;
    };
    assert.equal(report.by_source['with-prompt']?.tpr, 1);
    assert.equal(report.by_source['without-prompt']?.tpr, 0);
    assert.equal(report.by_source.canary?.tpr, 1);

    const bad = jsonl([{ text: 'x', label: 0, context: 'not a list' }]);
    const refused = await runCliProcess(['eval', '--config', config, '--data', bad]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /line 1: expected .*"context"\?: string\[\]/);
  });

  it('eval names the line of a malformed record', async () => {
    const file = jsonl([{ text: 'ok', label: 0 }, { text: 'no label' }]);
    const result = await runCliProcess(['eval', '--data', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /line 2: expected/);
  });

  it('scan-text prints findings and the redacted text', async () => {
    const result = await runCliProcess(['scan-text', 'mail jane@acme.io', '--stage', 'ingest']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /decision: redact/);
    assert.match(result.stdout, /pii\/email \[5, 17\)/);
    assert.match(result.stdout, /redacted: mail \[EMAIL_1\]/);
  });
});
