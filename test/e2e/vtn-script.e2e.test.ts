/** `npm run vtn` (scripts/vtn.js): the standalone VTN serves the seed's demo clients and stops on SIGTERM. */
import assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import path from 'path';
import { freePort } from '../support/ports';
import { waitFor } from '../support/node-red-process';

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

  it('rejects an unknown option with a clear message', () => {
    const r = spawnSync(process.execPath, [script, '--bogus'], { cwd: root, encoding: 'utf8' });
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /unknown option --bogus/);
  });
});
