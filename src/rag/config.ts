import { z } from 'zod';

const jurisdiction = z
  .string()
  .regex(/^[A-Za-z0-9*_-]{1,40}$/)
  .describe('A jurisdiction name as providers declare it (e.g. EU, US, local), or * for any.');

export const collectionSchema = z.strictObject({
  topic: z
    .string()
    .min(1)
    .max(249)
    .describe('A compacted knowledge topic; its name is also the collection name.'),
  allowedJurisdictions: z
    .array(jurisdiction)
    .default(['*'])
    .describe("Jurisdictions of providers this collection's chunks may be sent to."),
  allowExternal: z
    .boolean()
    .default(true)
    .describe('Whether chunks may go to providers outside the organisation.'),
});
export type CollectionConfig = z.output<typeof collectionSchema>;

export const ragSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Run the indexer in `guardstream up` and retrieve in the gateway.'),
    collections: z
      .array(collectionSchema)
      .prefault([{ topic: 'knowledge' }])
      .describe('Knowledge topics the indexer follows, with where their data may go.'),
    dataDir: z
      .string()
      .min(1)
      .default('.guardstream/rag')
      .describe(
        'Folder of the embedded store; when it is missing the indexer rebuilds it from the topics.',
      ),
    groupId: z
      .string()
      .min(1)
      .default('guardstream-indexer')
      .describe('Consumer group of the indexer.'),
    quarantineOn: z
      .array(z.string().min(1))
      .default(['prompt_injection'])
      .describe(
        'Detectors whose finding at the ingest stage quarantines a document (besides a block).',
      ),
    topK: z.number().int().min(1).max(50).default(4).describe('Chunks retrieved per request.'),
  })
  .describe('Live RAG: knowledge topics, the store, retrieval.');
export type RagConfig = z.output<typeof ragSchema>;
