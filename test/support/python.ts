/**
 * A Python 3 interpreter with given modules (numpy, scipy) for tests that compare our port with
 * the reference implementation's Python. Tries $PYTHON, `python3` on PATH and Debian's /usr/bin/python3; when none has
 * the modules and we are root on Debian, installs `python3-numpy` / `python3-scipy` with apt-get.
 * Otherwise the test is skipped with the reason — except under CI=true, where it fails.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';

const DEBIAN_PACKAGES: Record<string, string> = { numpy: 'python3-numpy', scipy: 'python3-scipy' };
const found = new Map<string, string | null>();
let installAttempted = '';

function hasModules(python: string, modules: string[]): boolean {
  const r = spawnSync(python, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  return r.status === 0;
}

function candidates(): string[] {
  return [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
}

function search(modules: string[]): string | undefined {
  return candidates().find((c) => hasModules(c, modules));
}

function tryInstall(modules: string[]): string {
  if (installAttempted) return installAttempted;
  // numpy and scipy together: the scheduler tests need both, one apt run is enough.
  const wanted = new Set([...modules, 'numpy', 'scipy']);
  const packages = [...wanted].map((m) => DEBIAN_PACKAGES[m] ?? `python3-${m}`);
  if (process.getuid?.() !== 0)
    return (installAttempted = `not root, cannot apt-get install ${packages.join(' ')}`);
  if (!fs.existsSync('/usr/bin/apt-get')) return (installAttempted = 'no apt-get on this machine');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['install', '-y', '-qq', 'python3', ...packages];
  let r = spawnSync('apt-get', args, { env, encoding: 'utf8' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env });
    r = spawnSync('apt-get', args, { env, encoding: 'utf8' });
  }
  installAttempted =
    r.status === 0 ? '' : `apt-get install ${packages.join(' ')} failed: ${r.stderr.slice(-300)}`;
  return installAttempted || 'installed, but no interpreter imports them';
}

/** The interpreter path (no test context: undefined when unavailable, for benchmarks). */
export function findPython(modules: string[], install = true): string | undefined {
  const key = modules.join(',');
  if (found.has(key)) return found.get(key) ?? undefined;
  let python = search(modules);
  if (!python && install) {
    tryInstall(modules);
    python = search(modules);
  }
  found.set(key, python ?? null);
  return python;
}

/** The interpreter for a test; skips (or fails under CI=true) with the reason when unavailable. */
export function requirePython(ctx: Mocha.Context, modules: string[]): string {
  const python = findPython(modules);
  if (python) return python;
  const reason = `no python3 with ${modules.join(' and ')} (${installAttempted || 'not found'})`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  console.log(`      skipped: ${reason}`);
  ctx.skip();
  throw new Error('unreachable');
}

/** Run a Python script with JSON on stdin; parse its JSON stdout. */
export function runPythonJson<T>(python: string, script: string, input: unknown, args: string[] = []): T {
  const r = spawnSync(python, [script, ...args], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as T;
}
