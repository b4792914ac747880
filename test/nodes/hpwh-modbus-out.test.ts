import assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { requireTool } from '../support/tools';
import { builtNode, helper, nextMessage, recordStatuses, TestNode } from '../support/node-helper';
import {
  exampleBank,
  holdingWrites,
  RunningDevice,
  startSerialDevice,
  startTcpDevice,
} from '../support/modbus-device';
import { freePort } from '../support/ports';

const modbusOut = builtNode('hpwh-modbus-out');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

type Status = { fill?: string; shape?: string; text?: string };

function flow(port: number, extra: Record<string, unknown> = {}) {
  return [
    {
      id: 'heater',
      type: 'hpwh-modbus-out',
      transport: 'tcp',
      host: '127.0.0.1',
      port,
      unitId: 1,
      timeoutMs: 500,
      pollSeconds: 0,
      reconnectSeconds: 0.2,
      registerMap: '',
      configVersion: 1,
      wires: [['telemetry'], ['results']],
      ...extra,
    },
    { id: 'telemetry', type: 'helper' },
    { id: 'results', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

describe('nodes: hpwh-modbus-out (against a real ServerTCP)', () => {
  let device: RunningDevice | undefined;

  afterEach(async () => {
    await helper.unload();
    await device?.close();
    device = undefined;
  });

  async function load(extra: Record<string, unknown> = {}) {
    device = await startTcpDevice();
    await helper.load([modbusOut, catchNode], flow(device.port!, extra));
    const heater = helper.getNode('heater') as TestNode;
    const statuses = recordStatuses(heater);
    return { heater, statuses };
  }

  const lastStatus = (s: Status[]) => s[s.length - 1] ?? {};

  it('writes a command string and reports the result on output 2, status shows the mode', async () => {
    const { heater, statuses } = await load();
    await waitUntil(() => lastStatus(statuses).fill === 'green', 3000, 'link up');
    const result = nextMessage<{ payload: { status: string; command: string; writes: unknown[] } }>(
      helper.getNode('results') as TestNode,
    );
    heater.receive({ payload: 'Shed' });
    const r = await result;
    assert.strictEqual(r.payload.status, 'written');
    assert.strictEqual(r.payload.command, 'shed');
    assert.deepStrictEqual(holdingWrites(device!.bank), [
      [100, 1],
      [101, 450],
    ]);
    await waitUntil(() => lastStatus(statuses).text === 'Shed', 2000, 'status Shed');
    assert.strictEqual(lastStatus(statuses).fill, 'green');
  });

  it('reports a write the controller refuses as failed (output 2) and a red status with the reason', async () => {
    const { heater, statuses } = await load();
    await waitUntil(() => lastStatus(statuses).fill === 'green', 3000, 'link up');
    device!.bank.rejectWrites.add(101);
    const result = nextMessage<{ payload: { status: string; reason: string } }>(
      helper.getNode('results') as TestNode,
    );
    heater.receive({ payload: 'loadup' });
    const r = await result;
    assert.strictEqual(r.payload.status, 'failed');
    assert.match(r.payload.reason, /holding 101 \(setpoint °C\) failed: Modbus exception 3/);
    await waitUntil(() => lastStatus(statuses).fill === 'red', 2000, 'red status');
    assert.match(lastStatus(statuses).text!, /^Load Up: write to holding 101/);
  });

  it('follows a schedule and shows "until" the end of the block', async () => {
    const { heater, statuses } = await load();
    await waitUntil(() => lastStatus(statuses).fill === 'green', 3000, 'link up');
    const now = Date.now();
    const iso = (ms: number) => new Date(now + ms).toISOString();
    const results = helper.getNode('results') as TestNode;
    const first = nextMessage<{ payload: { command: string; source: string } }>(results);
    heater.receive({
      payload: {
        intervals: [
          { start: iso(-1000), end: iso(3_600_000), signal: 1, price: 0.1 },
          { start: iso(3_600_000), end: iso(7_200_000), signal: -1, price: 0.4 },
        ],
        totalCost: 1,
      },
    });
    const r = await first;
    assert.deepStrictEqual([r.payload.command, r.payload.source], ['loadup', 'schedule']);
    const until = new Date(now + 3_600_000).toTimeString().slice(0, 5);
    await waitUntil(
      () => lastStatus(statuses).text === `Load Up until ${until}`,
      2000,
      'status Load Up until',
    );
  });

  it('sends telemetry on output 1 with msg.soc in kWh', async () => {
    const { heater: _h } = await load({ pollSeconds: 0.2 });
    const t = await nextMessage<{ payload: Record<string, unknown>; soc: number }>(
      helper.getNode('telemetry') as TestNode,
      5000,
    );
    assert.strictEqual(t.payload.operatingState, 'RunningNormal');
    assert.strictEqual(t.payload.energyStoredWh, 4200);
    assert.strictEqual(t.soc, 4.2);
  });

  it('turns bad input into an error naming msg.payload, and keeps working', async () => {
    const { heater, statuses } = await load();
    await waitUntil(() => lastStatus(statuses).fill === 'green', 3000, 'link up');
    const caught = nextMessage<{ error: { message: string } }>(helper.getNode('caught') as TestNode);
    heater.receive({ payload: 42 });
    assert.match((await caught).error.message, /msg\.payload: expected a schedule/);
    const caught2 = nextMessage<{ error: { message: string } }>(helper.getNode('caught') as TestNode);
    heater.receive({ payload: { intervals: [{ start: 'soon', end: 'later', signal: 0 }] } });
    assert.match((await caught2).error.message, /schedule\.intervals\[0\]\.start/);
    const caught3 = nextMessage<{ error: { message: string } }>(helper.getNode('caught') as TestNode);
    heater.receive({ payload: 'boost' });
    assert.match((await caught3).error.message, /command: must be one of/);
    const ok = nextMessage<{ payload: { status: string } }>(helper.getNode('results') as TestNode);
    heater.receive({ payload: { command: 'loadup', durationSeconds: 60 } });
    assert.strictEqual((await ok).payload.status, 'written');
  });

  it('a huge duration or an oversized schedule is an error naming the field or the limit', async () => {
    const { heater } = await load();
    const caught = helper.getNode('caught') as TestNode;
    const err1 = nextMessage<{ error: { message: string } }>(caught);
    heater.receive({ payload: { command: 'loadup', durationSeconds: 1e308 } });
    const m1 = (await err1).error.message;
    assert.match(m1, /durationSeconds/);
    assert.doesNotMatch(m1, /Invalid time value/);
    const start = Date.now();
    const intervals = Array.from({ length: 10_001 }, (_, i) => ({
      start: new Date(start + i * 60_000).toISOString(),
      end: new Date(start + (i + 1) * 60_000).toISOString(),
      signal: i % 2,
    }));
    const err2 = nextMessage<{ error: { message: string } }>(caught);
    heater.receive({ payload: { intervals } });
    assert.match((await err2).error.message, /10001 intervals.*at most 10000.*maxScheduleIntervals/);
  });

  it('rejects an invalid register map: every input fails with errors naming the fields, nothing is written', async () => {
    const map = JSON.stringify({ commands: { shed: [{ kind: 'holding', address: -1, value: 1 }] } });
    const { heater } = await load({ registerMap: map });
    const caught = nextMessage<{ error: { message: string } }>(helper.getNode('caught') as TestNode);
    heater.receive({ payload: 'shed' });
    const message = (await caught).error.message;
    assert.match(message, /commands\.shed\[0\]\.address: must be an integer 0\.\.65535/);
    assert.match(message, /commands\.normal: required/);
    assert.deepStrictEqual(device!.bank.writes, [], 'nothing written with a bad map');
  });

  it('goes red while nothing answers, then green when the controller appears; close drops the connection', async () => {
    const port = await freePort();
    await helper.load([modbusOut, catchNode], flow(port));
    const heater = helper.getNode('heater') as TestNode;
    const statuses = recordStatuses(heater);
    await waitUntil(() => lastStatus(statuses).fill === 'red', 3000, 'red status');
    assert.match(lastStatus(statuses).text!, /^link down: .*ECONNREFUSED/);
    device = await startTcpDevice(exampleBank(), 1, port);
    await waitUntil(() => lastStatus(statuses).fill === 'green', 3000, 'green status');
    assert.strictEqual(device.connections(), 1);
    await helper.unload();
    await waitUntil(() => device!.connections() === 0, 3000, 'the node to close its connection');
  });
});

describe('nodes: hpwh-modbus-out over RTU (ServerSerial on a socat pty pair)', function () {
  let socat: ChildProcess | undefined;
  let device: RunningDevice | undefined;
  let dir = '';

  before(function () {
    requireTool(this, 'socat');
  });

  afterEach(async () => {
    await helper.unload();
    await device?.close();
    if (socat && socat.exitCode === null) {
      const gone = new Promise((r) => socat!.once('exit', r));
      socat.kill();
      await gone;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    socat = device = undefined;
    dir = '';
  });

  it('writes a timed command and sends telemetry over RTU', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modbus-node-pty-'));
    const [ucm, dev] = [path.join(dir, 'ucm'), path.join(dir, 'device')];
    socat = spawn('socat', [`pty,raw,echo=0,link=${ucm}`, `pty,raw,echo=0,link=${dev}`], { stdio: 'ignore' });
    await waitUntil(() => fs.existsSync(ucm) && fs.existsSync(dev), 5000, 'socat ptys');
    device = await startSerialDevice(dev);
    await helper.load(
      [modbusOut, catchNode],
      flow(0, { transport: 'rtu', host: '', serialPath: ucm, baudRate: 19200, pollSeconds: 0.3 }),
    );
    const heater = helper.getNode('heater') as TestNode;
    const telemetry = await nextMessage<{
      payload: { energyTakeWh: number; device: { connection: string } };
    }>(helper.getNode('telemetry') as TestNode, 5000);
    assert.strictEqual(telemetry.payload.energyTakeWh, 66000);
    assert.strictEqual(telemetry.payload.device.connection, `rtu ${ucm} unit 1`);
    const result = nextMessage<{ payload: { status: string; until: string } }>(
      helper.getNode('results') as TestNode,
    );
    heater.receive({ payload: { command: 'critical-peak', durationSeconds: 600 } });
    const r = await result;
    assert.strictEqual(r.payload.status, 'written');
    assert.ok(Date.parse(r.payload.until) > Date.now() + 590_000);
    assert.deepStrictEqual(holdingWrites(device.bank), [
      [100, 4],
      [101, 430],
    ]);
  });
});

/** supertest against the helper's admin app (where RED.httpAdmin routes live). */
interface AdminRequest {
  get(path: string): Promise<{ status: number; body: unknown }>;
  post(path: string): { send(body: unknown): Promise<{ status: number; body: unknown }> };
}

describe('nodes: hpwh-modbus-out editor endpoints', () => {
  afterEach(() => helper.unload());

  it('serves the EXAMPLE map and validates maps with the runtime rules', async () => {
    await helper.load(
      [modbusOut],
      [
        {
          id: 'h',
          type: 'hpwh-modbus-out',
          transport: 'tcp',
          host: '127.0.0.1',
          port: 1,
          pollSeconds: 0,
          reconnectSeconds: 60,
        },
      ],
    );
    const admin = helper.request() as AdminRequest;
    const example = (await admin.get('/hpwh-modbus-out/example-map')).body as { description: string };
    assert.match(example.description, /EXAMPLE/);
    const post = async (map: string) =>
      (await admin.post('/hpwh-modbus-out/validate-map').send({ map })).body as {
        valid: boolean;
        errors?: string[];
      };
    assert.deepStrictEqual(await post(JSON.stringify(example)), { valid: true });
    assert.deepStrictEqual(await post('  '), { valid: true, usesExample: true });
    const bad = await post('{"commands": {"shed": []}}');
    assert.strictEqual(bad.valid, false);
    assert.ok(bad.errors!.includes('commands.shed: must be a non-empty list of writes'), String(bad.errors));
    assert.match((await post('{oops')).errors![0], /not valid JSON/);
  });
});
