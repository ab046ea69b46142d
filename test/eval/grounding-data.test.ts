import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GROUNDING_SOURCES, groundingSets } from '../../eval/grounding-data.ts';

const extracted = {
  vitaminc: Array.from({ length: 60 }, (_, page) =>
    ['True', 'False', 'Neither'].map((label) => ({
      page: `Page ${String(page)}`,
      context: `Page ${String(page)}: it sold 10 million copies.`,
      claim: `Page ${String(page)} sold ${label} copies.`,
      label,
    })),
  ).flat(),
  conflicts: [
    ...Array.from({ length: 40 }, (_, n) => ({
      question: `who wrote book ${String(n)}?`,
      context: `Book ${String(n)} was written by Ada Lovelace.`,
      answer: 'Ada Lovelace',
      others: ['Charles Dickens'],
    })),
    // The world's answer is still in the passage: not a conflict, dropped.
    {
      question: 'who wrote the last book?',
      context: 'The last book was written by Ada Lovelace, not Charles Dickens.',
      answer: 'Ada Lovelace',
      others: ['Charles Dickens'],
    },
  ],
};

describe('eval: grounded and ungrounded answers from BIG-bench', () => {
  const work = mkdtempSync(join(tmpdir(), 'gs-grounding-'));
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('labels VitaminC claims and conflict answers and splits by whole page or question', () => {
    const sets = groundingSets(extracted);
    const all = [...sets.train, ...sets.validation, ...sets.test];
    assert.equal(all.length, 60 * 3 + 40 * 2);
    const labelOf = (source: string): number[] => [
      ...new Set(all.filter((row) => row.source === source).map((row) => row.label)),
    ];
    assert.deepEqual(labelOf(GROUNDING_SOURCES.supported), [0]);
    assert.deepEqual(labelOf(GROUNDING_SOURCES.refuted), [1]);
    assert.deepEqual(labelOf(GROUNDING_SOURCES.unsupported), [1]);
    assert.deepEqual(labelOf(GROUNDING_SOURCES.passageAnswer), [0]);
    assert.deepEqual(labelOf(GROUNDING_SOURCES.worldAnswer), [1]);
    assert.ok(all.every((row) => !row.context.join(' ').includes('last book')));
    const groupsOf = (rows: readonly { context: string[] }[]): Set<string> =>
      new Set(rows.map((row) => row.context.join(' ')));
    const [train, validation, test] = [sets.train, sets.validation, sets.test].map(groupsOf);
    for (const group of test ?? []) assert.ok(!train?.has(group) && !validation?.has(group));
    for (const group of validation ?? []) assert.ok(!train?.has(group));
    assert.ok(sets.test.length > 0 && sets.validation.length > 0);
    assert.deepEqual(groundingSets(extracted), sets);
  });

  it('reads both tasks out of the sdist', () => {
    const root = join(work, 'bigbench-1.0.0', 'bigbench', 'benchmark_tasks');
    const write = (path: string, spec: unknown): void => {
      mkdirSync(join(root, path), { recursive: true });
      writeFileSync(join(root, path, 'task.json'), JSON.stringify(spec));
    };
    write('vitaminc_fact_verification', {
      examples: [
        {
          input: 'Westlife: they sold 23 million.\nClaim: Westlife sold under 23.5 million.',
          target_scores: { True: 0, False: 0, Neither: 1 },
        },
      ],
    });
    write('contextual_parametric_knowledge_conflicts', {
      examples: [
        {
          input: '\nQuestion: who does candace like?\nContext: Candace likes Griselda Blanco.',
          target: 'Griselda Blanco',
          target_scores: { 'Griselda Blanco': 1, 'Jeremy Johnson': 0 },
        },
      ],
    });
    write('riddles', { examples: [{ input: 'What has keys but no locks?' }] });
    const sdist = join(work, 'bigbench-1.0.0.tar.gz');
    const tar = spawnSync('tar', ['czf', sdist, '-C', work, 'bigbench-1.0.0']);
    assert.equal(tar.status, 0, tar.stderr.toString());
    const read = spawnSync('python3', [join('eval', 'external', 'bigbench_grounding.py'), sdist], {
      encoding: 'utf8',
    });
    assert.equal(read.status, 0, read.stderr);
    assert.deepEqual(JSON.parse(read.stdout), {
      vitaminc: [
        {
          page: 'Westlife',
          context: 'Westlife: they sold 23 million.',
          claim: 'Westlife sold under 23.5 million.',
          label: 'Neither',
        },
      ],
      conflicts: [
        {
          question: 'who does candace like?',
          context: 'Candace likes Griselda Blanco.',
          answer: 'Griselda Blanco',
          others: ['Jeremy Johnson'],
        },
      ],
    });
  });
});
