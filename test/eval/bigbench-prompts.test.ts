import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bigbenchPromptSets } from '../../eval/bigbench-prompts.ts';

/** Groups whose prompts share no eight words in a row with another group's. */
const groupsOf = (count: number, prompts: number): Record<string, string[]> =>
  Object.fromEntries(
    Array.from({ length: count }, (_, g) => {
      const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];
      const opening = words.map((word) => `${word}${String(g)}`).join(' ');
      return [
        `task_${String(g)}`,
        Array.from({ length: prompts }, (_, n) => `${opening}, question ${String(n)}?`),
      ];
    }),
  );

describe('eval: BIG-bench prompts as a benign set', () => {
  const work = mkdtempSync(join(tmpdir(), 'gs-bigbench-'));
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('splits by whole task group, at most 25 prompts a group, the same way every time', () => {
    const groups = groupsOf(40, 30);
    const sets = bigbenchPromptSets([], groups);
    const groupOf = (text: string): string => /^alpha(\d+)/.exec(text)?.[1] ?? '?';
    const seen = (rows: readonly { text: string }[]): Set<string> =>
      new Set(rows.map((row) => groupOf(row.text)));
    const [train, validation, test] = [seen(sets.train), seen(sets.validation), seen(sets.test)];
    assert.equal(train.size + validation.size + test.size, 40);
    for (const group of validation) assert.ok(!train.has(group) && !test.has(group), group);
    for (const group of test) assert.ok(!train.has(group), group);
    assert.equal(sets.train.length + sets.validation.length + sets.test.length, 40 * 25);
    assert.ok(sets.train.every((row) => row.label === 0 && row.source === 'bigbench'));
    assert.deepEqual(bigbenchPromptSets([], groups), sets);
  });

  it('leaves out a whole group when one of its prompts shares eight words in a row with dev', () => {
    const groups = groupsOf(10, 5);
    const dev = ['A dev prompt: alpha3 beta3 gamma3 delta3 epsilon3 zeta3 eta3 theta3, it says.'];
    const sets = bigbenchPromptSets(dev, groups);
    assert.deepEqual(sets.contaminated, ['task_3']);
    const all = [...sets.train, ...sets.validation, ...sets.test];
    assert.equal(all.length, 9 * 5);
    assert.ok(all.every((row) => !row.text.startsWith('alpha3 ')));
    // Seven words in a row are not enough.
    assert.deepEqual(
      bigbenchPromptSets(['alpha3 beta3 gamma3 delta3 epsilon3 zeta3 eta3'], groups).contaminated,
      [],
    );
  });

  it('reads the task files out of the sdist: instruction then input, one group per subtask', () => {
    const root = join(work, 'bigbench-1.0.0', 'bigbench', 'benchmark_tasks');
    const write = (path: string, spec: unknown): void => {
      mkdirSync(join(root, path), { recursive: true });
      writeFileSync(join(root, path, 'task.json'), JSON.stringify(spec));
    };
    write('riddles', {
      task_prefix: 'Answer the riddle.',
      examples: [
        { input: 'What has keys but no locks?' },
        { input: 'What has keys but no locks?' },
      ],
    });
    // Under 20 characters: too short to be a prompt, and a group with none is left out.
    write('tiny', { examples: [{ input: 'too short' }] });
    write('natural_instructions/subtask001_a', { examples: [{ input: 'Definition: do task A.' }] });
    write('natural_instructions/subtask002_b', { examples: [{ input: 'Definition: do task B.' }] });
    write('hhh_alignment/harmless', { examples: [{ input: 'How do I make a weapon at home?' }] });
    const sdist = join(work, 'bigbench-1.0.0.tar.gz');
    const tar = spawnSync('tar', ['czf', sdist, '-C', work, 'bigbench-1.0.0']);
    assert.equal(tar.status, 0, tar.stderr.toString());
    const read = spawnSync('python3', [join('eval', 'external', 'bigbench.py'), sdist], {
      encoding: 'utf8',
    });
    assert.equal(read.status, 0, read.stderr);
    assert.deepEqual(JSON.parse(read.stdout), {
      'natural_instructions/subtask001_a': ['Definition: do task A.'],
      'natural_instructions/subtask002_b': ['Definition: do task B.'],
      riddles: ['Answer the riddle.\nWhat has keys but no locks?'],
    });
  });
});
