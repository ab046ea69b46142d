import { z } from 'zod';

/**
 * Who may see a document. Empty lists grant nothing: a document must name at least one tenant,
 * and within it, when groups or users are listed, the caller must match one of them.
 */
export const aclSchema = z.strictObject({
  tenants: z.array(z.string().min(1)).min(1).describe('Tenants whose members may see it.'),
  groups: z
    .array(z.string().min(1))
    .default([])
    .describe('When non-empty, only callers in one of these groups (within the tenants).'),
  users: z
    .array(z.string().min(1))
    .default([])
    .describe('When non-empty, these users may see it even outside the groups.'),
});

/** The value of a record on a knowledge topic; the record key is the document id. */
export const knowledgeDocumentSchema = z.strictObject({
  text: z.string().min(1).max(2_000_000),
  title: z.string().max(1_000).default(''),
  source: z.string().max(2_000).default(''),
  acl: aclSchema,
  metadata: z.record(z.string(), z.unknown()).default({}),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
});

export type Acl = z.output<typeof aclSchema>;
export type KnowledgeDocument = z.output<typeof knowledgeDocumentSchema>;

export interface Principal {
  tenant: string;
  groups: readonly string[];
  user?: string;
  /** Collections (knowledge topics) the caller may retrieve from; absent or `*` = all. */
  collections?: readonly string[];
}

/** The entitlement rule, in one place; the store query applies the same rule as a filter. */
export function mayRead(acl: Acl, principal: Principal): boolean {
  if (!acl.tenants.includes(principal.tenant)) return false;
  if (principal.user !== undefined && acl.users.includes(principal.user)) return true;
  if (acl.groups.length === 0) return acl.users.length === 0;
  return principal.groups.some((group) => acl.groups.includes(group));
}

/**
 * The same rule as `mayRead`, as tokens: a caller may read a document exactly when one of its
 * tokens is among the document's. The store indexes the document tokens (a label-list index),
 * so the entitlement filter is one indexed lookup instead of an expression over every row.
 * Tokens are JSON arrays, so no tenant, group or user name can forge another's token.
 */
export function accessTokens(acl: Acl): string[] {
  return acl.tenants.flatMap((tenant) => {
    if (acl.groups.length === 0 && acl.users.length === 0) return [JSON.stringify([tenant, '*'])];
    return [
      ...acl.groups.map((group) => JSON.stringify([tenant, 'g', group])),
      ...acl.users.map((user) => JSON.stringify([tenant, 'u', user])),
    ];
  });
}

export function principalTokens(principal: Principal): string[] {
  const { tenant } = principal;
  return [
    JSON.stringify([tenant, '*']),
    ...principal.groups.map((group) => JSON.stringify([tenant, 'g', group])),
    ...(principal.user === undefined ? [] : [JSON.stringify([tenant, 'u', principal.user])]),
  ];
}
