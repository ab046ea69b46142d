import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KnowledgeStore, aclSchema, mayRead } from '../../src/rag/index.ts';
import type { Acl, Principal } from '../../src/rag/index.ts';

const DIM = 8;
/** A deterministic unit vector per word, so similar texts share directions. */
function vectorOf(text: string): number[] {
  const vector = new Array<number>(DIM).fill(0);
  for (const word of text.toLowerCase().split(/\W+/)) {
    if (word === '') continue;
    let hash = 0;
    for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    vector[hash % DIM] = (vector[hash % DIM] ?? 0) + 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

const acl = (input: Partial<Acl> & { tenants: string[] }): Acl => aclSchema.parse(input);
const meta = { title: 'doc', source: 'test', producedAt: 1 };

describe('knowledge store (LanceDB): entitlements inside the query', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gs-store-'));
  let store: KnowledgeStore;
  before(async () => {
    store = await KnowledgeStore.open(dir, DIM);
  });
  after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const query = (text: string, principal: Principal, k = 5) =>
    store.search({ vector: vectorOf(text), text }, principal, k);

  it("never returns tenant B's document to tenant A, even for its exact text, and k stays k", async () => {
    const secret = 'Globex merger closes on the ninth of December at four hundred million';
    await store.replaceDocument(
      'globex-merger',
      [{ id: 'globex-merger#0', text: secret, vector: vectorOf(secret) }],
      acl({ tenants: ['globex'] }),
      meta,
    );
    for (let index = 0; index < 6; index += 1) {
      const text = `Acme handbook section ${String(index)} about holidays and expenses`;
      await store.replaceDocument(
        `acme-${String(index)}`,
        [{ id: `acme-${String(index)}#0`, text, vector: vectorOf(text) }],
        acl({ tenants: ['acme'] }),
        meta,
      );
    }
    const asAcme = await query(secret, { tenant: 'acme', groups: [] });
    assert.equal(asAcme.length, 5, 'k results although the best match was filtered out');
    assert.ok(asAcme.every((hit) => hit.documentId.startsWith('acme-')));
    const asGlobex = await query(secret, { tenant: 'globex', groups: [] });
    assert.equal(asGlobex[0]?.documentId, 'globex-merger');
  });

  it('replaces all chunks of a document at once, and a delete removes them', async () => {
    const first = ['old refund rule: thirty days', 'old shipping rule: five days'];
    await store.replaceDocument(
      'policy',
      first.map((text, index) => ({ id: `policy#${String(index)}`, text, vector: vectorOf(text) })),
      acl({ tenants: ['acme'] }),
      meta,
    );
    const updated = 'new refund rule: fourteen days';
    await store.replaceDocument(
      'policy',
      [{ id: 'policy#0', text: updated, vector: vectorOf(updated) }],
      acl({ tenants: ['acme'] }),
      meta,
    );
    const hits = await query('refund shipping rule days', { tenant: 'acme', groups: [] }, 20);
    const policy = hits.filter((hit) => hit.documentId === 'policy');
    assert.deepEqual(
      policy.map((hit) => hit.text),
      [updated],
    );
    await store.deleteDocument('policy');
    const after = await query('refund rule', { tenant: 'acme', groups: [] }, 20);
    assert.equal(
      after.some((hit) => hit.documentId === 'policy'),
      false,
    );
  });

  it('filters exactly as mayRead does, for every combination of ACL and caller', async () => {
    const acls: Record<string, Acl> = {
      open: acl({ tenants: ['t1'] }),
      finance: acl({ tenants: ['t1'], groups: ['finance'] }),
      ceoOnly: acl({ tenants: ['t1'], users: ['ceo'] }),
      financeOrCeo: acl({ tenants: ['t1'], groups: ['finance'], users: ['ceo'] }),
      twoTenants: acl({ tenants: ['t1', 't2'], groups: ['ops'] }),
    };
    const text = 'quarterly numbers for the board';
    for (const [name, entry] of Object.entries(acls)) {
      await store.replaceDocument(
        `m-${name}`,
        [{ id: `m-${name}#0`, text, vector: vectorOf(text) }],
        entry,
        meta,
      );
    }
    const principals: Principal[] = [
      { tenant: 't1', groups: [] },
      { tenant: 't1', groups: ['finance'] },
      { tenant: 't1', groups: ['ops'] },
      { tenant: 't1', groups: [], user: 'ceo' },
      { tenant: 't2', groups: ['ops'] },
      { tenant: 't2', groups: ['finance'], user: 'ceo' },
      { tenant: 't3', groups: ['finance', 'ops'], user: 'ceo' },
      { tenant: "t1' OR 1=1 --", groups: ["x') OR true OR ('"] },
    ];
    for (const principal of principals) {
      const hits = await query(text, principal, 50);
      const seen = hits
        .map((hit) => hit.documentId)
        .filter((id) => id.startsWith('m-'))
        .sort();
      const expected = Object.entries(acls)
        .filter(([, entry]) => mayRead(entry, principal))
        .map(([name]) => `m-${name}`)
        .sort();
      assert.deepEqual(seen, expected, JSON.stringify(principal));
    }
  });
});
