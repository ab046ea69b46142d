export * from './errors/index.ts';
export * from './config/index.ts';
export * from './kafka/index.ts';
export * from './gateway/index.ts';
export { runCli } from './cli/index.ts';
export type { CliIo } from './cli/index.ts';
export * from './contracts/index.ts';
export * from './metrics/index.ts';
export * from './models/index.ts';
