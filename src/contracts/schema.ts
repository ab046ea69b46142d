import { z } from 'zod';

export const contractRuleSchema = z.strictObject({
  name: z.string().min(1).describe('Rule name, reported in the DLQ header when it fails.'),
  expression: z
    .string()
    .min(1)
    .describe(
      'CEL expression over `value`, `key` and `headers`; the record passes when it is true.',
    ),
  message: z.string().optional().describe('Reason written to the DLQ when the rule fails.'),
});

export const fieldTransformSchema = z
  .strictObject({
    field: z
      .string()
      .regex(
        /^[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+)*$/,
        'a dotted field path such as customer.email',
      )
      .describe('Dotted path of the field in the record value.'),
    action: z
      .enum(['mask', 'hash', 'redact', 'encrypt'])
      .describe(
        'mask: stars, keeping the last 4 characters of values over 8; hash: salted sha256; redact: remove the field; encrypt: AES-256-GCM with keyId.',
      ),
    keyId: z.string().min(1).optional().describe('Key id in the keyring, for encrypt.'),
  })
  .refine((transform) => transform.action !== 'encrypt' || transform.keyId !== undefined, {
    message: 'encrypt needs a keyId',
    path: ['keyId'],
  });

export const contractSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'lower-case letters, digits, . _ -'),
  source: z.string().min(1).describe('Raw topic the contract reads.'),
  target: z.string().min(1).describe('Clean topic valid, transformed records go to.'),
  dlq: z
    .string()
    .min(1)
    .describe('Dead-letter topic for rejected records (original bytes + reason headers).'),
  maxRecordBytes: z
    .number()
    .int()
    .min(1)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  valueFormat: z
    .enum(['json', 'confluent-json'])
    .default('json')
    .describe(
      "json: the value is UTF-8 JSON. confluent-json: Confluent Schema Registry's wire format for JSON Schema serialisers (a zero magic byte, a 4-byte schema id, then the JSON); the clean record keeps the same prefix, so consumers using the registry's deserialiser read it unchanged. The schema is not fetched from a registry: valueSchema is what is checked.",
    ),
  valueSchema: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('JSON Schema (draft 2020-12 or 07) the record value must satisfy.'),
  rules: z.array(contractRuleSchema).default([]),
  guard: z
    .boolean()
    .default(true)
    .describe("Run the guard engine's ingest policy over every string field."),
  transforms: z.array(fieldTransformSchema).default([]),
  delivery: z
    .enum(['at-least-once', 'exactly-once'])
    .default('at-least-once')
    .describe(
      'at-least-once: offsets committed after the produce is acknowledged (a crash may repeat records); exactly-once: output and offsets in one Kafka transaction (read the target with isolation.level=read_committed).',
    ),
  batchRecords: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(500)
    .describe('Records evaluated, produced and committed together.'),
});

export type Contract = z.output<typeof contractSchema>;
export type ContractInput = z.input<typeof contractSchema>;
