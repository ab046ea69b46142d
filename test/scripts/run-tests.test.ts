import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { packageRoot } from '../../src/kafka/index.ts';
import { eventually } from '../helpers/kafka.ts';
import { processesMentioning } from '../helpers/processes.ts';

const root = packageRoot();
const dirs: string[] = [];

/** Runs the test runner itself in a private TMPDIR, so its broker can be told apart. */
function startRunner(fixture: string): {
  child: ReturnType<typeof spawn>;
  tmp: string;
  output: () => string;
} {
  const tmp = mkdtempSync(join(tmpdir(), 'gs-runner-'));
  dirs.push(tmp);
  let output = '';
  // Node marks a test process with NODE_TEST_CONTEXT and refuses nested runs; this one is meant.
  const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/run-tests.ts', join('test/fixtures', fixture)],
    {
      cwd: root,
      env: { ...env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own, so a SIGKILL left-over can be cleaned up as a group.
      detached: true,
    },
  );
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return { child, tmp, output: () => output };
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
}

describe('the test runner never leaves a broker behind', () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('when a test fails: exit 1, a failed count, broker gone', async () => {
    const run = startRunner('failing.fixture.ts');
    const code = await exitOf(run.child);
    assert.equal(code, 1);
    assert.match(run.output(), /^0 passed, 1 failed$/m);
    assert.deepEqual(processesMentioning(run.tmp), []);
  });

  it('when the run is interrupted with SIGINT', async () => {
    const run = startRunner('hanging.fixture.ts');
    await eventually(
      () => (run.output().includes('fixture: hanging') ? true : undefined),
      60_000,
      'the fixture to start',
    );
    assert.notDeepEqual(processesMentioning(run.tmp), [], 'a broker runs during the test');
    run.child.kill('SIGINT');
    assert.equal(await exitOf(run.child), 130);
    assert.deepEqual(processesMentioning(run.tmp), []);
  });

  it('when the runner is killed outright (SIGKILL), the broker follows it', async () => {
    const run = startRunner('hanging.fixture.ts');
    await eventually(
      () => (run.output().includes('fixture: hanging') ? true : undefined),
      60_000,
      'the fixture to start',
    );
    run.child.kill('SIGKILL');
    await exitOf(run.child);
    try {
      await eventually(
        () => (processesMentioning(run.tmp).length === 0 ? true : undefined),
        30_000,
        'the orphaned broker to stop',
      );
    } finally {
      // The runner's own test child outlives a SIGKILL too; it is not under test here.
      try {
        process.kill(-(run.child.pid ?? 0), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
});
