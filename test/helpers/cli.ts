import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/kafka/index.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the real CLI entry point in a child process, as a user would run it. */
export function spawnCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): ChildProcessWithoutNullStreams {
  const root = packageRoot();
  return spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export async function runCliProcess(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 90_000,
): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Resolves with everything printed so far once `pattern` appears on stdout. */
export async function waitForOutput(
  child: ChildProcessWithoutNullStreams,
  pattern: RegExp,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    let errors = '';
    const timer = setTimeout(() => {
      reject(
        new Error(`Timed out waiting for ${String(pattern)}; stdout:\n${seen}\nstderr:\n${errors}`),
      );
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`Exited with ${String(code)} before ${String(pattern)}; stderr:\n${errors}`),
      );
    });
  });
}
