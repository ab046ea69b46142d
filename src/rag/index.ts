export {
  accessTokens,
  aclSchema,
  knowledgeDocumentSchema,
  mayRead,
  principalTokens,
} from './documents.ts';
export type { Acl, KnowledgeDocument, Principal } from './documents.ts';
export { chunkDocument } from './chunker.ts';
export type { Chunk, ChunkOptions } from './chunker.ts';
export { KnowledgeStore, entitlementFilter, sqlString } from './store.ts';
export type { DocumentMeta, SearchHit, StoredChunk } from './store.ts';
export { Indexer } from './indexer.ts';
export type { IndexerCounters, IndexerOptions, QuarantineEvent, TextEmbedder } from './indexer.ts';
export { collectionSchema, ragSchema } from './config.ts';
export type { CollectionConfig, RagConfig } from './config.ts';
export { Retriever, startRag } from './runtime.ts';
export type { QueryEmbedder, RunningRag } from './runtime.ts';
