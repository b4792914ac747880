/** `npm run vtn` (scripts/vtn.js): the standalone VTN serves the seed's demo clients and stops on SIGTERM. */
import assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import crypto from 'crypto';
import path from 'path';
import { parseChangeStats, type ChangeStatsSnapshot } from '../../src';
import { listen, requireBroker } from '../support/mqtt-broker';
import { freePort } from '../support/ports';
import { waitFor } from '../support/node-red-process';
import { createTestDatabase, requirePostgres } from '../support/postgres';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'vtn.js');

/** SIGTERM every VTN process and wait until each has exited. */
async function stopAll(children: ChildProcess[]): Promise<void> {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
    ),
  );
}

describe('e2e: npm run vtn', function () {
  this.timeout(60000);

  it('serves the demo clients at /openadr3/3.0.1 and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [script, '--memory', '--port', String(port)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('listening at'), 40000, `the VTN to start (output: ${out})`);
      const base = `http://127.0.0.1:${port}/openadr3/3.0.1`;
      assert.ok(out.includes(base), out);
      const r = await fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
      });
      const token = ((await r.json()) as { access_token: string }).access_token;
      const programs = await fetch(`${base}/programs`, { headers: { Authorization: `Bearer ${token}` } });
      assert.deepStrictEqual(await programs.json(), [], 'the seed: "Expected response: []"');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.strictEqual(code, 0);
  });

  it('--pg URL: two processes on one PostgreSQL database serve the same data (password never printed)', async function () {
    await requirePostgres(this);
    const db = await createTestDatabase();
    const url = new URL(db.url);
    url.password = 'not-printed'; // trust auth ignores it; the banner must not show it
    const children = [await freePort(), await freePort()].map((port) => {
      const child = spawn(process.execPath, [script, '--pg', url.toString(), '--port', String(port)], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const proc = { child, port, out: '' };
      child.stdout.on('data', (d) => (proc.out += d));
      child.stderr.on('data', (d) => (proc.out += d));
      return proc;
    });
    try {
      for (const c of children)
        await waitFor(() => c.out.includes('listening at'), 40000, `the VTN to start (output: ${c.out})`);
      for (const c of children) {
        assert.match(c.out, /store: postgres:postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
        assert.ok(!c.out.includes('not-printed'), c.out);
      }
      const [a, b] = children.map((c) => `http://127.0.0.1:${c.port}/openadr3/3.0.1`);
      const r = await fetch(`${a}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
      });
      const token = ((await r.json()) as { access_token: string }).access_token;
      const created = await fetch(`${a}/programs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ programName: 'shared' }),
      });
      assert.strictEqual(created.status, 201);
      const seen = await fetch(`${b}/programs`, { headers: { Authorization: `Bearer ${token}` } });
      assert.deepStrictEqual(
        ((await seen.json()) as Array<{ programName: string }>).map((p) => p.programName),
        ['shared'],
      );
    } finally {
      await stopAll(children.map((c) => c.child));
      await db.drop();
    }
  });

  it('--mqtt URL and --change-stats: two processes on PostgreSQL publish each change once and each hears all of them', async function () {
    const broker = await requireBroker(this);
    await requirePostgres(this);
    const db = await createTestDatabase();
    // A prefix of our own: other runs share the machine's broker. The broker takes anonymous
    // clients and ignores the user and password; the banner must not print the password.
    const prefix = `test-${crypto.randomUUID()}/OpenADR/3.1.0`;
    const mqttUrl = new URL(broker);
    mqttUrl.username = 'vtn';
    mqttUrl.password = 'mqtt-secret';
    const shown = new URL(mqttUrl);
    shown.password = '***';
    const sub = await listen(broker, `${prefix}/programs/create`);
    const children = [await freePort(), await freePort()].map((port) => {
      const child = spawn(
        process.execPath,
        [
          script,
          ...['--pg', db.url, '--port', String(port)],
          ...['--mqtt', mqttUrl.toString(), '--mqtt-prefix', prefix, '--change-stats', '0'],
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const proc = { child, port, out: '' };
      child.stdout.on('data', (d) => (proc.out += d));
      child.stderr.on('data', (d) => (proc.out += d));
      return proc;
    });
    /** SIGUSR2 → the process prints (and restarts) its change-stats line. */
    const statsOf = async (c: (typeof children)[number]): Promise<ChangeStatsSnapshot> => {
      const from = c.out.length;
      c.child.kill('SIGUSR2');
      let s: ChangeStatsSnapshot | undefined;
      await waitFor(() => (s = parseChangeStats(c.out.slice(from))) !== undefined, 10000, `stats (${c.out})`);
      return s!;
    };
    try {
      for (const c of children)
        await waitFor(() => c.out.includes('change stats:'), 40000, `the VTN to start (output: ${c.out})`);
      for (const c of children) {
        assert.ok(c.out.includes(`MQTT: publishing to ${shown} under ${prefix}/`), c.out);
        assert.ok(!c.out.includes('mqtt-secret'), c.out);
      }
      const bases = children.map((c) => `http://127.0.0.1:${c.port}/openadr3/3.0.1`);
      const r = await fetch(`${bases[0]}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
      });
      const token = ((await r.json()) as { access_token: string }).access_token;
      // 3 programs through the first process, 2 through the second.
      const names = ['a-1', 'a-2', 'a-3', 'b-1', 'b-2'];
      for (const name of names) {
        const created = await fetch(`${bases[name.startsWith('a') ? 0 : 1]}/programs`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ programName: name }),
        });
        assert.strictEqual(created.status, 201);
      }
      await waitFor(() => sub.received.length >= names.length, 10000, 'the MQTT messages');
      // Room for a second copy (another instance publishing what it only heard) to show up.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepStrictEqual(sub.received.map((m) => m.body.programName).sort(), names, 'each change once');
      const [a, b] = [await statsOf(children[0]), await statsOf(children[1])];
      assert.deepStrictEqual(
        [a.heard, a.local, a.remote, b.heard, b.local, b.remote],
        [5, 3, 2, 5, 2, 3],
        "each process hears its own changes and the other's",
      );
      for (const s of [a, b]) assert.ok(s.timed === 5 && s.lagMaxMs < 5000, JSON.stringify(s));
      const again = await statsOf(children[0]);
      assert.strictEqual(again.heard, 0, 'each line covers the window since the previous one');
    } finally {
      await sub.client.endAsync(true);
      await stopAll(children.map((c) => c.child));
      await db.drop();
    }
    for (const c of children) assert.strictEqual(c.child.exitCode, 0, c.out);
  });

  it('--help documents --mqtt and --change-stats; --mqtt rejects what is not a broker URL', () => {
    const help = spawnSync(process.execPath, [script, '--help'], { cwd: root, encoding: 'utf8' });
    assert.strictEqual(help.status, 0);
    for (const flag of ['--mqtt mqtt://user:password@host:1883', '--mqtt-prefix', '--change-stats'])
      assert.ok(help.stdout.includes(flag), `${flag} in:\n${help.stdout}`);
    const bad = spawnSync(process.execPath, [script, '--mqtt', 'http://broker'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.strictEqual(bad.status, 2);
    assert.match(bad.stderr, /--mqtt needs a broker URL/);
  });

  it('rejects an unknown option with a clear message', () => {
    const r = spawnSync(process.execPath, [script, '--bogus'], { cwd: root, encoding: 'utf8' });
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /unknown option --bogus/);
  });
});
