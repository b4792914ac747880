import assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { freePort } from '../support/ports';
import { repoRoot, waitFor } from '../support/node-red-process';

describe('e2e: npm start (the demo runner)', function () {
  this.timeout(60000);
  let child: ChildProcess | undefined;
  let userDir: string;

  afterEach(async () => {
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('starts Node-RED with this pack loaded from the checkout and the demo flow deployed', async () => {
    const port = await freePort();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    child = spawn(process.execPath, ['scripts/start.js', '--port', String(port), '--user-dir', userDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(
      () => out.includes(`Open the editor: http://127.0.0.1:${port}`),
      45000,
      `the editor URL\n${out}`,
    );

    const flows = (await (
      await fetch(`http://127.0.0.1:${port}/flows`, { headers: { 'Node-RED-API-Version': 'v2' } })
    ).json()) as { flows: Array<{ id: string; type: string }> };
    const demo = JSON.parse(fs.readFileSync(path.join(repoRoot, 'flows', 'demo.json'), 'utf8')) as Array<{
      id: string;
    }>;
    assert.deepStrictEqual(flows.flows.map((n) => n.id).sort(), demo.map((n) => n.id).sort());

    const nodes = (await (
      await fetch(`http://127.0.0.1:${port}/nodes`, { headers: { Accept: 'application/json' } })
    ).json()) as Array<{ module: string; enabled: boolean; err?: string }>;
    const ours = nodes.filter((n) => n.module === 'node-red-contrib-openadr3-hpwh');
    assert.ok(ours.length > 0, 'the pack is loaded');
    for (const set of ours)
      assert.ok(set.enabled && !set.err, `node set loaded without error: ${JSON.stringify(set)}`);
    assert.doesNotMatch(out, /\[error\]/);
  });
});
