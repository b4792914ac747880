/**
 * hpwh-modbus-out in a real Node-RED process, talking to a real modbus-serial ServerTCP in this
 * test process: a command, a schedule, telemetry, the link pulled and restored.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { exampleBank, holdingWrites, RunningDevice, startTcpDevice } from '../support/modbus-device';

interface Probe {
  telemetry: Array<{ payload: { operatingState: string; energyStoredWh: number }; soc: number }>;
  results: Array<{ command: string; status: string; source: string }>;
  statuses: Array<{ fill?: string; text?: string }>;
  caught: string[];
}

function modbusFlow(port: number): unknown[] {
  const tab = 'tab-modbus';
  const record = (key: string, value: string) =>
    `const list = global.get('${key}') || []; list.push(${value}); global.set('${key}', list); return null;`;
  const schedule = JSON.stringify({
    intervals: [{ start: '2020-01-01T00:00:00Z', end: '2099-01-01T00:00:00Z', signal: -1, price: 0.4 }],
  });
  return [
    { id: tab, type: 'tab', label: 'modbus e2e' },
    {
      id: 'inj-loadup',
      z: tab,
      type: 'inject',
      payload: 'loadup',
      payloadType: 'str',
      wires: [['n-heater']],
    },
    {
      id: 'inj-schedule',
      z: tab,
      type: 'inject',
      payload: schedule,
      payloadType: 'json',
      wires: [['n-heater']],
    },
    { id: 'inj-bad', z: tab, type: 'inject', payload: 'boost', payloadType: 'str', wires: [['n-heater']] },
    {
      id: 'n-heater',
      z: tab,
      type: 'hpwh-modbus-out',
      name: 'tank',
      transport: 'tcp',
      host: '127.0.0.1',
      port,
      unitId: 1,
      timeoutMs: 500,
      pollSeconds: 0.5,
      reconnectSeconds: 0.3,
      registerMap: '',
      configVersion: 1,
      wires: [['n-telemetry'], ['n-results']],
    },
    {
      id: 'n-telemetry',
      z: tab,
      type: 'function',
      func: record('telemetry', '{ payload: msg.payload, soc: msg.soc }'),
      outputs: 1,
      wires: [[]],
    },
    {
      id: 'n-results',
      z: tab,
      type: 'function',
      func: record('results', 'msg.payload'),
      outputs: 1,
      wires: [[]],
    },
    { id: 'n-status', z: tab, type: 'status', scope: ['n-heater'], wires: [['n-statuses']] },
    {
      id: 'n-statuses',
      z: tab,
      type: 'function',
      func: record('statuses', 'msg.status'),
      outputs: 1,
      wires: [[]],
    },
    { id: 'n-catch', z: tab, type: 'catch', scope: null, uncaught: false, wires: [['n-caught']] },
    {
      id: 'n-caught',
      z: tab,
      type: 'function',
      func: record('caught', 'msg.error.message'),
      outputs: 1,
      wires: [[]],
    },
    { id: 'n-http', z: tab, type: 'http in', url: '/probe', method: 'get', wires: [['n-read']] },
    {
      id: 'n-read',
      z: tab,
      type: 'function',
      func: "msg.payload = { telemetry: global.get('telemetry') || [], results: global.get('results') || [], statuses: global.get('statuses') || [], caught: global.get('caught') || [] }; return msg;",
      outputs: 1,
      wires: [['n-resp']],
    },
    { id: 'n-resp', z: tab, type: 'http response', wires: [] },
  ];
}

describe('e2e: hpwh-modbus-out in a real Node-RED against a real Modbus TCP server', function () {
  this.timeout(60000);
  let red: NodeRedInstance | undefined;
  let device: RunningDevice | undefined;

  afterEach(async () => {
    await red?.stop();
    await device?.close();
    red = device = undefined;
  });

  it('writes commands and schedules, sends telemetry, goes red without the link and re-asserts on return', async () => {
    device = await startTcpDevice();
    const port = device.port!;
    red = await startNodeRed();
    await red.deploy(modbusFlow(port));
    const probe = async (): Promise<Probe> => (await (await red!.get('/probe')).json()) as Probe;

    await waitFor(async () => (await probe()).telemetry.length > 0, 10000, 'telemetry');
    const t = (await probe()).telemetry[0];
    assert.strictEqual(t.payload.operatingState, 'RunningNormal');
    assert.strictEqual(t.soc, 4.2);

    await red.inject('inj-loadup');
    await waitFor(async () => (await probe()).results.length > 0, 10000, 'the load-up result');
    assert.deepStrictEqual(holdingWrites(device.bank), [
      [100, 2],
      [101, 600],
    ]);

    await red.inject('inj-schedule');
    await waitFor(
      async () => (await probe()).results.some((r) => r.command === 'shed'),
      10000,
      'the shed result',
    );
    assert.deepStrictEqual(holdingWrites(device.bank).slice(2), [
      [100, 1],
      [101, 450],
    ]);
    await waitFor(
      async () => /^Shed until/.test((await probe()).statuses.at(-1)?.text ?? ''),
      5000,
      'status Shed',
    );

    await red.inject('inj-bad');
    await waitFor(async () => (await probe()).caught.length > 0, 10000, 'the bad command error');
    assert.match((await probe()).caught[0], /command: must be one of/);

    // Pull the link: red status; bring it back: the schedule's shed is written again.
    await device.close();
    device = undefined;
    await waitFor(async () => (await probe()).statuses.at(-1)?.fill === 'red', 10000, 'red status');
    assert.match((await probe()).statuses.at(-1)!.text!, /link down/);
    const bank = exampleBank();
    device = await startTcpDevice(bank, 1, port);
    await waitFor(
      async () => (await probe()).results.some((r) => r.source === 'reassert' && r.status === 'written'),
      10000,
      're-assert after reconnect',
    );
    assert.deepStrictEqual(holdingWrites(bank), [
      [100, 1],
      [101, 450],
    ]);
    assert.strictEqual(red.exited(), false);
    assert.doesNotMatch(red.log(), /Unhandled|uncaughtException/i);
  });

  it('examples/hpwh-modbus-out.json deploys as imported (only the port changed) and its injects drive the controller', async () => {
    device = await startTcpDevice();
    const flow = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'examples', 'hpwh-modbus-out.json'), 'utf8'),
    ) as Array<Record<string, unknown>>;
    assert.ok(
      flow.some((n) => n.type === 'comment'),
      'the example explains itself in a comment node',
    );
    const heaterNode = flow.find((n) => n.type === 'hpwh-modbus-out')!;
    heaterNode.port = device.port;
    red = await startNodeRed();
    await red.deploy(flow);
    const inject = (name: string) =>
      red!.inject(String(flow.find((n) => n.type === 'inject' && n.name === name)!.id));
    await inject('shed');
    await waitFor(() => device!.bank.writes.length >= 2, 10000, 'the shed writes');
    await inject('example schedule (scheduler output)');
    // The example schedule's last block (Normal) runs to 2099, so it is the one in force.
    await waitFor(() => device!.bank.writes.length >= 4, 10000, 'the schedule writes');
    assert.deepStrictEqual(holdingWrites(device.bank), [
      [100, 1],
      [101, 450],
      [100, 0],
      [101, 500],
    ]);
    assert.strictEqual(red.exited(), false);
  });
});
