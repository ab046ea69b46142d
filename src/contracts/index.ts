export { compileContract } from './evaluate.ts';
export type { CompileOptions, ContractOutcome, RawRecord, RejectionKind } from './evaluate.ts';
export { contractRuleSchema, contractSchema, fieldTransformSchema } from './schema.ts';
export type { Contract, ContractInput } from './schema.ts';
export { ContractProcessor, DLQ_HEADER_PREFIX } from './processor.ts';
export type { ContractCounters, ProcessorOptions } from './processor.ts';
export { Keyring, decryptValue, encryptValue, isEncrypted } from './crypto.ts';
