import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { githubBodies, githubIssueSets } from '../../eval/github-issues.ts';

const issue = (n: number): string =>
  `Issue ${String(n)}: when I call repository.issues() with state all the iterator stops after the first page of results.`;

describe('eval: GitHub issue bodies as benign documents', () => {
  const work = mkdtempSync(join(tmpdir(), 'gs-github-'));
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('reads issue and comment bodies from plain and gzip-compressed recorded responses', () => {
    const plain = [
      { title: 'A bug', body: issue(1), user: { login: 'a' } },
      { title: 'Short', body: 'Too short to be a document.' },
      { body: issue(2), sha: 'no title nor user: not something a person wrote' },
    ];
    const compressed = {
      user: { login: 'b' },
      body: issue(3),
      nested: [{ title: 'x', body: issue(1) }],
    };
    writeFileSync(
      join(work, 'Plain.json'),
      JSON.stringify({
        http_interactions: [
          { response: { body: { string: JSON.stringify(plain) } } },
          { response: { body: { string: 'not json' } } },
        ],
      }),
    );
    writeFileSync(
      join(work, 'Zipped.json'),
      JSON.stringify({
        http_interactions: [
          {
            response: {
              body: { base64_string: gzipSync(JSON.stringify(compressed)).toString('base64') },
            },
          },
        ],
      }),
    );
    assert.deepEqual(githubBodies(work), [issue(1), issue(3)]);
  });

  it('splits 70/15/15 the same way every time, leaving out bodies that share a run with dev', () => {
    const bodies = Array.from({ length: 200 }, (_, n) => issue(n));
    const sets = githubIssueSets([], bodies);
    assert.deepEqual([sets.train.length, sets.validation.length, sets.test.length], [140, 30, 30]);
    const all = [...sets.train, ...sets.validation, ...sets.test].map((row) => row.text);
    assert.equal(new Set(all).size, 200);
    assert.ok(sets.test.every((row) => row.label === 0 && row.stage === 'retrieval'));
    assert.deepEqual(githubIssueSets([], [...bodies].reverse()), sets);
    // Exactly eight words: a run only issue 7 holds (the others differ in the number).
    const dev = ['Issue 7: when I call repository.issues() with'];
    const filtered = githubIssueSets(dev, bodies);
    assert.equal(filtered.contaminated, 1);
    assert.ok(
      ![...filtered.train, ...filtered.validation, ...filtered.test].some(
        (row) => row.text === issue(7),
      ),
    );
  });
});
