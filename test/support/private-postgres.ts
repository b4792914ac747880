/**
 * A private PostgreSQL cluster for tests that stop and restart the database: the machine's shared
 * server on 5432 must never be restarted (other tests use it). initdb makes a cluster in a temp
 * dir, pg_ctl starts it on a free port with its socket in that dir, trust auth for 127.0.0.1.
 * PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user and the
 * tools run through `runuser`. Missing binaries: requireTool semantics (skip locally, fail under
 * CI=true).
 */
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { freePort } from './ports';
import { requireTool } from './tools';

/** Debian keeps the server binaries off PATH, one directory per major version. */
function serverBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const versions = fs
    .readdirSync(base)
    .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], 'bin') : undefined;
}

function run(cmd: string[], asUser: string | undefined): Promise<string> {
  const argv = asUser ? ['runuser', '-u', asUser, '--', ...cmd] : cmd;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd.join(' ')} exited ${code}: ${out.slice(-600)}`)),
    );
  });
}

export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:port/<database> */
  url(database?: string): string;
  /** `pg_ctl stop -m fast`: clients get 57P01 admin_shutdown, then connection refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop the server and delete the cluster. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(ctx: Mocha.Context): Promise<PrivatePostgres> {
  const bin = serverBinDir();
  if (bin && !(process.env.PATH ?? '').split(':').includes(bin))
    process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
  requireTool(ctx, 'initdb', 'postgresql');
  requireTool(ctx, 'pg_ctl', 'postgresql');
  const isRoot = process.getuid?.() === 0;
  const user = isRoot ? 'postgres' : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-private-pg-'));
  const data = path.join(dir, 'data');
  if (user) {
    const id = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
    if (id.status !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      const why = 'running as root and there is no postgres user to own a private cluster';
      if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
      console.log(`      skipped: ${why}`);
      ctx.skip();
    }
    fs.chownSync(dir, Number(id.stdout.trim()), Number(gid.stdout.trim()));
  }
  fs.chmodSync(dir, 0o700);
  const port = await freePort();
  await run(
    ['initdb', '-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'],
    user,
  );
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
  const start = async (): Promise<void> => {
    await run(
      ['pg_ctl', '-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', '-o', options, 'start'],
      user,
    );
  };
  const stop = async (): Promise<void> => {
    await run(['pg_ctl', '-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'], user);
  };
  await start();
  return {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    destroy: async () => {
      await run(['pg_ctl', '-D', data, '-m', 'immediate', '-w', 'stop'], user).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
