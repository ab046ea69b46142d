/**
 * The Python venv the encoder trainers run in (.guardstream/encoder-venv): pinned JAX, ONNX,
 * ONNX Runtime and tokenizers from PyPI, made once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/kafka/index.ts';

/** What the trainers were run with when the committed patches were made. */
const PACKAGES = [
  'jax[cpu]==0.4.30',
  'jaxlib==0.4.30',
  'numpy==2.4.6',
  'onnx==1.23.2',
  'onnxruntime==1.32.0',
  'tokenizers==0.23.3',
];

export function runOrExit(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { cwd: packageRoot(), stdio: 'inherit' });
  if (result.error !== undefined || result.status !== 0) {
    console.error(`[encoder] ${command} ${args.slice(0, 3).join(' ')} failed`);
    process.exit(2);
  }
}

/** The venv's python, after making the venv if it is not there yet. */
export function encoderPython(): string {
  const venv = join(packageRoot(), '.guardstream', 'encoder-venv');
  const python = join(venv, 'bin', 'python');
  const marker = join(venv, 'packages.ok');
  if (!existsSync(marker)) {
    console.error('[encoder] creating a Python venv under .guardstream/encoder-venv…');
    runOrExit('python3', ['-m', 'venv', venv]);
    runOrExit(python, ['-m', 'pip', 'install', '--quiet', ...PACKAGES]);
    writeFileSync(marker, `${PACKAGES.join('\n')}\n`);
  }
  return python;
}
