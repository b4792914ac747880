/**
 * hpwh-dispatch across a real restart of Node-RED: a schedule arrives, Node-RED stops, a new
 * Node-RED process starts with the same flows and the same persistent context store
 * (localfilesystem), and the node sends the command due now — never the one whose time passed.
 */
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';

const iso = (ms: number) => new Date(ms).toISOString();

/** What the recorder function wrote to the log, one JSON object per message. */
function recorded(log: string): Array<Record<string, unknown>> {
  return [...log.matchAll(/\[function:restart-out\] (\{.*\})$/gm)].map(
    (m) => JSON.parse(m[1]) as Record<string, unknown>,
  );
}

describe('e2e: hpwh-dispatch after a restart of Node-RED', function () {
  this.timeout(120000);
  const contextDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpwh-dispatch-context-'));
  let red: NodeRedInstance | undefined;

  after(async () => {
    await red?.stop();
    fs.rmSync(contextDir, { recursive: true, force: true });
  });

  it('sends the command due now from the remembered schedule, not the past one', async () => {
    const settings = {
      contextStorage: { default: { module: 'localfilesystem', config: { dir: contextDir, cache: false } } },
    };
    const flows = [
      { id: 'restart-tab', type: 'tab', label: 'restart' },
      {
        id: 'restart-in',
        type: 'http in',
        z: 'restart-tab',
        url: '/plan',
        method: 'post',
        wires: [['restart-dispatch', 'restart-ok']],
      },
      { id: 'restart-ok', type: 'http response', z: 'restart-tab', statusCode: '204', wires: [] },
      {
        id: 'restart-dispatch',
        type: 'hpwh-dispatch',
        z: 'restart-tab',
        configVersion: 1,
        shape: 'json',
        topic: 'plan/command',
        wires: [['restart-out']],
      },
      {
        id: 'restart-out',
        type: 'function',
        z: 'restart-tab',
        func: 'node.warn(JSON.stringify({ trigger: msg.trigger, command: msg.command, until: msg.until, payload: msg.payload }));\nreturn null;',
        outputs: 1,
        wires: [[]],
      },
    ];
    red = await startNodeRed({ settings, flows });
    const t0 = Date.now();
    // A load up that ended a minute ago, a shed in force for two more minutes, then normal.
    const res = await fetch(`${red.url}/plan`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        intervals: [
          { start: iso(t0 - 600_000), end: iso(t0 - 60_000), signal: 1 },
          { start: iso(t0 - 60_000), end: iso(t0 + 120_000), signal: -1 },
          { start: iso(t0 + 120_000), end: iso(t0 + 3_600_000), signal: 0 },
        ],
      }),
    });
    assert.strictEqual(res.status, 204);
    await waitFor(() => recorded(red!.log()).length >= 1, 10000, 'the first command');
    assert.strictEqual(recorded(red.log())[0].command, 'shed');
    await red.stop();
    red = undefined;

    red = await startNodeRed({ settings, flows });
    await waitFor(() => recorded(red!.log()).length >= 1, 20000, 'the command after the restart').catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${red!.log().slice(-3000)}`);
      },
    );
    const [first] = recorded(red.log());
    assert.strictEqual(first.trigger, 'restart');
    assert.strictEqual(first.command, 'shed');
    assert.strictEqual(first.until, iso(t0 + 120_000));
    assert.deepStrictEqual(Object.keys(first.payload as object).sort(), [
      'at',
      'command',
      'signal',
      'source',
      'until',
    ]);
    assert.ok(!recorded(red.log()).some((m) => m.command === 'loadup'), 'the past load up is never sent');
  });
});
