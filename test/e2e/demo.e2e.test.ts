import assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { demoVtnReader } from '../support/demo-vtn';
import { freePort } from '../support/ports';
import { repoRoot, waitFor } from '../support/node-red-process';

describe('e2e: npm start (the demo runner)', function () {
  this.timeout(150000);
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

  it('starts Node-RED with the pack and the demo; prices reach the simulated heater and reports reach the VTN', async () => {
    const port = await freePort();
    const vtnPort = await freePort();
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
    const args = [
      'scripts/start.js',
      '--port',
      String(port),
      '--vtn-port',
      String(vtnPort),
      '--user-dir',
      userDir,
    ];
    child = spawn(process.execPath, args, {
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

    // The pipeline: program and event on the VTN, a schedule, a command acked by the heater, a report.
    const vtn = await demoVtnReader(vtnPort, userDir);
    await vtn.waitForPricing(30000);

    const state = await waitFor(
      async () => {
        const s = (await (await fetch(`http://127.0.0.1:${port}/demo/state`)).json()) as {
          commands: Array<{ outcome?: string; command?: string }>;
        };
        return s.commands.some((c) => c.outcome === 'acked') ? s : undefined;
      },
      45000,
      'a command acked by the simulated heater',
    );
    assert.ok(state.commands.some((c) => c.command));
    const svg = await fetch(`http://127.0.0.1:${port}/hpwh/schedule.svg`);
    assert.strictEqual(svg.status, 200, 'the schedule picture is served');

    const reports = await vtn.waitForList('/reports', 45000, 'a telemetry report on the VTN');
    assert.strictEqual(reports[0].clientName, 'demo-hpwh');
    assert.doesNotMatch(out, /\[error\]/);
  });
});
