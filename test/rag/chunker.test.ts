import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkDocument, knowledgeDocumentSchema, mayRead } from '../../src/rag/index.ts';

// One token per word piece of up to 4 characters: close enough to WordPiece for layout tests.
const countTokens = (text: string): number =>
  text
    .split(/\s+/)
    .filter((word) => word !== '')
    .reduce((sum, word) => sum + Math.ceil(word.length / 4), 0);

describe('chunkDocument', () => {
  const words = Array.from({ length: 300 }, (_, index) => `w${String(index).padStart(3, '0')}`);
  const text = words.join(' ');

  it('fits every chunk in the budget, keeps the title, overlaps, and covers every word', () => {
    const chunks = chunkDocument('doc-1', 'Refund policy', text, {
      maxTokens: 40,
      overlapTokens: 8,
      countTokens,
    });
    assert.ok(chunks.length > 5);
    const seen = new Set<string>();
    chunks.forEach((chunk, index) => {
      assert.equal(chunk.id, `doc-1#${String(index)}`);
      assert.ok(chunk.text.startsWith('Refund policy\n'));
      assert.ok(countTokens(chunk.text) <= 40, `chunk ${String(index)} over budget`);
      assert.equal(chunk.text.slice('Refund policy\n'.length), text.slice(chunk.start, chunk.end));
      for (const word of text.slice(chunk.start, chunk.end).split(' ')) seen.add(word);
      const next = chunks[index + 1];
      if (next !== undefined) {
        assert.ok(next.start < chunk.end, 'consecutive chunks overlap');
        assert.ok(next.start > chunk.start, 'chunking always moves forward');
      }
    });
    assert.equal(seen.size, words.length);
  });

  it('is deterministic, so a replay produces the same chunk ids and texts', () => {
    const options = { maxTokens: 32, overlapTokens: 4, countTokens };
    assert.deepEqual(
      chunkDocument('d', 't', text, options),
      chunkDocument('d', 't', text, options),
    );
  });

  it('gives an over-long single word a chunk of its own instead of looping', () => {
    const chunks = chunkDocument('d', '', `short ${'x'.repeat(400)} tail`, {
      maxTokens: 16,
      overlapTokens: 4,
      countTokens,
    });
    assert.deepEqual(
      chunks.map((chunk) => chunk.text.slice(0, 6)),
      ['short', 'xxxxxx', 'tail'],
    );
  });
});

describe('knowledge documents and entitlements', () => {
  it('requires a tenant: a document without an ACL is refused, not public', () => {
    assert.equal(knowledgeDocumentSchema.safeParse({ text: 'hi' }).success, false);
    assert.equal(
      knowledgeDocumentSchema.safeParse({ text: 'hi', acl: { tenants: [] } }).success,
      false,
    );
  });

  it('applies tenant, then users, then groups', () => {
    const acl = knowledgeDocumentSchema.parse({
      text: 'x',
      acl: { tenants: ['acme'], groups: ['finance'], users: ['ceo'] },
    }).acl;
    assert.equal(mayRead(acl, { tenant: 'globex', groups: ['finance'] }), false);
    assert.equal(mayRead(acl, { tenant: 'acme', groups: ['finance'] }), true);
    assert.equal(mayRead(acl, { tenant: 'acme', groups: ['sales'] }), false);
    assert.equal(mayRead(acl, { tenant: 'acme', groups: [], user: 'ceo' }), true);
    const tenantWide = knowledgeDocumentSchema.parse({ text: 'x', acl: { tenants: ['acme'] } }).acl;
    assert.equal(mayRead(tenantWide, { tenant: 'acme', groups: [] }), true);
  });
});
