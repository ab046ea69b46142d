import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';

/**
 * The shared, licensed datasets live beside the repository (`../shared/datasets`) and are
 * never copied into it. GUARDSTREAM_DATASETS points elsewhere when needed.
 */
export function datasetsDir(): string {
  const dir = resolve(
    process.env.GUARDSTREAM_DATASETS ?? join(packageRoot(), '..', 'shared', 'datasets'),
  );
  if (!existsSync(dir)) {
    throw new Error(`Datasets not found at ${dir}; set GUARDSTREAM_DATASETS`);
  }
  return dir;
}

/** A dataset file's text, by its path under the datasets folder. */
export function readDataset(path: string): string {
  return readFileSync(join(datasetsDir(), path), 'utf8');
}

/** A JSON-lines dataset file's records. */
export function readJsonLines(path: string): Record<string, unknown>[] {
  return readDataset(path)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
