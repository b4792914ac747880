/** `npm run vtn` (scripts/vtn.js): the standalone VTN serves the seed's demo clients and stops on SIGTERM. */
import assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import path from 'path';
import { freePort } from '../support/ports';
import { waitFor } from '../support/node-red-process';
import { createTestDatabase, requirePostgres } from '../support/postgres';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'vtn.js');

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
      for (const c of children) c.child.kill('SIGTERM');
      await Promise.all(
        children.map((c) =>
          c.child.exitCode !== null || c.child.signalCode !== null
            ? undefined
            : new Promise((r) => c.child.once('exit', r)),
        ),
      );
      await db.drop();
    }
  });

  it('rejects an unknown option with a clear message', () => {
    const r = spawnSync(process.execPath, [script, '--bogus'], { cwd: root, encoding: 'utf8' });
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /unknown option --bogus/);
  });
});
