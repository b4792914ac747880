/**
 * External tools some tests need (socat, chromium). When a tool is missing the test tries to
 * install it (root on Debian/Ubuntu); failing that it skips with the reason — except under
 * CI=true, where a missing tool is a failure, never a skip.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';

const attempted = new Set<string>();

function which(bin: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found ? found : undefined;
}

function tryInstall(debianPackage: string): string {
  if (attempted.has(debianPackage)) return 'install already attempted in this run';
  attempted.add(debianPackage);
  if (process.getuid?.() !== 0) return 'not root, cannot apt-get install';
  if (!fs.existsSync('/usr/bin/apt-get')) return 'no apt-get on this machine';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', debianPackage], { env, encoding: 'utf8' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', debianPackage], { env, encoding: 'utf8' });
  }
  return r.status === 0 ? '' : `apt-get install ${debianPackage} failed: ${r.stderr.slice(-300)}`;
}

/**
 * Return the tool's path, installing it if possible. Otherwise skip the calling suite/test
 * (outside CI) or throw (CI=true).
 */
export function requireTool(ctx: Mocha.Context, bin: string, debianPackage = bin): string {
  let found = which(bin);
  let why = '';
  if (!found) {
    why = tryInstall(debianPackage);
    found = which(bin);
  }
  if (found) return found;
  const reason = `${bin} is not installed (${why || 'install did not provide it'})`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
  console.log(`      skipped: ${reason}`);
  ctx.skip();
  throw new Error('unreachable');
}
