import assert from 'assert';
import { builtNode, helper, nextMessage, recordStatuses, TestNode } from '../support/node-helper';

const portModule = builtNode('cta2045-port');
const outModule = builtNode('cta2045-out');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchModule = require('@node-red/nodes/core/common/25-catch.js');

interface SimLike {
  log: Array<{ command: string }>;
  mode: string;
}
interface PortLike extends TestNode {
  simulator: SimLike;
  wire: { unplug(): void; plug(): void };
  connection: { isUp: boolean };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function flow(portExtra: Record<string, unknown> = {}) {
  return [
    {
      id: 'hpwhPort',
      type: 'cta2045-port',
      transport: 'simulated',
      timeScale: 1,
      reconnectSeconds: 0.2,
      ...portExtra,
    },
    {
      id: 'heater',
      type: 'cta2045-out',
      port: 'hpwhPort',
      deviceLabel: 'HPWH',
      wires: [['telemetryOut'], ['resultsOut']],
    },
    { id: 'telemetryOut', type: 'helper' },
    { id: 'resultsOut', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
}

function nextWhere<T>(node: TestNode, pred: (m: T) => boolean, ms = 8000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching message on ${node.id}`)), ms);
    node.on('input', (m: T) => {
      if (pred(m)) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

describe('nodes: cta2045-port + cta2045-out with the simulated water heater', function () {
  this.timeout(30000);
  afterEach(() => helper.unload());

  async function load(portExtra: Record<string, unknown> = {}) {
    await helper.load([portModule, outModule, catchModule], flow(portExtra));
    const port = helper.getNode('hpwhPort') as PortLike;
    const out = helper.getNode('heater');
    const statuses = recordStatuses(out);
    await until(() => port.connection.isUp, 8000, 'handshake');
    return {
      port,
      out,
      statuses,
      results: helper.getNode('resultsOut'),
      telemetry: helper.getNode('telemetryOut'),
    };
  }

  it('runs a schedule: the Shed goes out, output 2 reports it acked, status says "HPWH · Shed until HH:MM"', async () => {
    const { port, out, statuses, results } = await load();
    const now = Date.now();
    const acked = nextWhere<{ payload: { command: string; outcome: string } }>(
      results,
      (m) => m.payload.command === 'shed',
    );
    out.receive({
      payload: {
        intervals: [
          {
            start: new Date(now - 60_000).toISOString(),
            end: new Date(now + 3_600_000).toISOString(),
            signal: -1,
            price: 0.4,
          },
          {
            start: new Date(now + 3_600_000).toISOString(),
            end: new Date(now + 7_200_000).toISOString(),
            signal: 0,
            price: 0.1,
          },
        ],
        totalCost: 1,
      },
    });
    const msg = await acked;
    assert.strictEqual(msg.payload.outcome, 'acked');
    assert.strictEqual(port.simulator.mode, 'shed');
    const end = new Date(now + 3_600_000);
    const hhmm = `${String(end.getHours()).padStart(2, '0')}:${String(end.getMinutes()).padStart(2, '0')}`;
    await until(
      () => statuses.some((s) => s.text === `HPWH · Shed until ${hhmm}` && s.fill === 'green'),
      2000,
      'status',
    );
  });

  it('accepts single commands by name and as {command, durationSeconds, extraWh}', async () => {
    const { port, out, results } = await load();
    const first = nextWhere<{ payload: { command: string; outcome: string } }>(
      results,
      (m) => m.payload.command === 'loadup',
    );
    out.receive({ payload: 'loadup' });
    assert.strictEqual((await first).payload.outcome, 'acked');
    const second = nextWhere<{ payload: { command: string; outcome: string; durationSeconds: number } }>(
      results,
      (m) => m.payload.command === 'advanced-loadup',
    );
    out.receive({ payload: { command: 'advanced-loadup', durationSeconds: 1800, extraWh: 1500 } });
    const alu = (await second).payload;
    assert.strictEqual(alu.outcome, 'acked');
    assert.strictEqual(alu.durationSeconds, 1800);
    assert.strictEqual(port.simulator.mode, 'advanced-loadup');
  });

  it('sends telemetry on request in the shared contract shape, with msg.soc in kWh', async () => {
    const { out, telemetry } = await load();
    const got = nextMessage<{ payload: Record<string, unknown>; soc: number }>(telemetry, 10000);
    out.receive({ payload: 'poll' });
    const msg = await got;
    for (const key of [
      'time',
      'operatingState',
      'energyTakeWh',
      'energyStoredWh',
      'capacityWh',
      'powerW',
      'customerOverride',
      'device',
    ]) {
      assert.ok(key in msg.payload, `telemetry has ${key}`);
    }
    assert.match(String(msg.payload.operatingState), /Normal$/);
    assert.strictEqual(msg.soc, (msg.payload.energyStoredWh as number) / 1000);
    assert.strictEqual((msg.payload.device as { model: string }).model, 'SIM-HPWH-50');
  });

  it('bad input goes to done(err) with a message naming the field; the node keeps working', async () => {
    const { out, results } = await load();
    const caught = helper.getNode('caught');
    const err1 = nextMessage<{ error: { message: string } }>(caught);
    out.receive({ payload: 'explode' });
    assert.match((await err1).error.message, /"explode" is not a command/);
    const err2 = nextMessage<{ error: { message: string } }>(caught);
    out.receive({ payload: { intervals: [{ start: 'x', end: new Date().toISOString(), signal: 0 }] } });
    assert.match((await err2).error.message, /intervals\[0\]\.start: is not a valid time: x/);
    const err3 = nextMessage<{ error: { message: string } }>(caught);
    out.receive({ payload: { command: 'shed', durationSeconds: 'long' } });
    assert.match((await err3).error.message, /durationSeconds must be a positive number/);
    const ok = nextWhere<{ payload: { command: string; outcome: string } }>(
      results,
      (m) => m.payload.command === 'normal',
    );
    out.receive({ payload: 'normal' });
    assert.strictEqual((await ok).payload.outcome, 'acked');
  });

  it('an error status stays red when the schedule moves on, until a later valid message replaces it', async () => {
    const { out, statuses, results } = await load();
    const now = Date.now();
    // Far enough ahead that the rejected message below surely comes before the boundary, even on a
    // busy machine; the Load Up it brings is awaited from the start so it cannot be missed.
    const boundary = now + 2000;
    const first = nextWhere<{ payload: { command: string } }>(results, (m) => m.payload.command === 'shed');
    const loadUp = nextWhere<{ payload: { command: string } }>(
      results,
      (m) => m.payload.command === 'loadup',
    );
    loadUp.catch(() => undefined); // awaited below; a failure before then must not go unhandled
    out.receive({
      payload: {
        intervals: [
          { start: new Date(now - 60_000).toISOString(), end: new Date(boundary).toISOString(), signal: -1 },
          {
            start: new Date(boundary).toISOString(),
            end: new Date(now + 3_600_000).toISOString(),
            signal: 1,
          },
        ],
      },
    });
    await first;
    await until(() => statuses.at(-1)?.fill === 'green', 2000, 'green after the schedule');
    const caught = nextMessage<{ error: { message: string } }>(helper.getNode('caught'));
    out.receive({ payload: 'explode' });
    await caught;
    assert.strictEqual(statuses.at(-1)?.fill, 'red');
    assert.ok(Date.now() < boundary, 'the rejected message came before the boundary');
    // The boundary: Load Up goes out (an update unrelated to the rejected message).
    await loadUp;
    await new Promise((r) => setTimeout(r, 200));
    assert.strictEqual(statuses.at(-1)?.fill, 'red', `still red, not "${statuses.at(-1)?.text}"`);
    assert.match(statuses.at(-1)?.text ?? '', /explode/);
    // A later valid message: the status tells the truth again.
    out.receive({ payload: { intervals: [] } });
    await until(() => statuses.at(-1)?.fill === 'green', 2000, 'green after a valid schedule');
    assert.match(statuses.at(-1)?.text ?? '', /HPWH/);
  });

  it('durations and times out of range are errors naming the field, never "until NaN:NaN"', async () => {
    const { out, statuses } = await load();
    const caught = helper.getNode('caught');
    for (const [payload, field] of [
      [{ command: 'loadup', durationSeconds: 1e308 }, /durationSeconds/],
      [{ command: 'shed', durationSeconds: 1e12 }, /durationSeconds/],
      [{ intervals: [{ start: new Date().toISOString(), end: 1e308, signal: 1 }] }, /intervals\[0\]\.end/],
      [{ intervals: [{ start: -1e20, end: Date.now() + 1000, signal: 1 }] }, /intervals\[0\]\.start/],
    ] as const) {
      const err = nextMessage<{ error: { message: string } }>(caught);
      out.receive({ payload });
      assert.match((await err).error.message, field);
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!statuses.some((s) => /NaN/.test(s.text ?? '')), statuses.map((s) => s.text).join(' | '));
  });

  it('a schedule with more intervals than the limit is refused before any work, naming the limit', async () => {
    const { out } = await load();
    const caught = helper.getNode('caught');
    const start = Date.now();
    const intervals = Array.from({ length: 10_001 }, (_, i) => ({
      start: new Date(start + i * 60_000).toISOString(),
      end: new Date(start + (i + 1) * 60_000).toISOString(),
      signal: 0,
    }));
    const err = nextMessage<{ error: { message: string } }>(caught);
    out.receive({ payload: { intervals } });
    assert.match((await err).error.message, /10001 intervals.*at most 10000.*maxScheduleIntervals/);
  });

  it('goes red when the link is pulled and green again after reconnecting', async () => {
    const { port, statuses } = await load();
    port.wire.unplug();
    await until(
      () => statuses.some((s) => s.fill === 'red' && /link down/.test(s.text ?? '')),
      3000,
      'red status',
    );
    port.wire.plug();
    await until(() => port.connection.isUp, 8000, 'reconnect');
    await until(() => statuses[statuses.length - 1]?.fill === 'green', 3000, 'green again');
  });

  it('on close sends End Shed then LOST before the port closes', async () => {
    const { port, out, results } = await load();
    const acked = nextWhere<{ payload: { command: string } }>(results, (m) => m.payload.command === 'shed');
    out.receive({ payload: { command: 'shed', durationSeconds: 3600 } });
    await acked;
    const sim = port.simulator;
    const n = sim.log.length;
    await helper.unload();
    assert.deepStrictEqual(
      sim.log.slice(n).map((e) => e.command),
      ['normal', 'outside-comm-lost'],
    );
  });

  it('refuses a second cta2045-out on the same port', async () => {
    const f = flow();
    f.push({ id: 'heater2', type: 'cta2045-out', port: 'hpwhPort', wires: [[], []] } as never);
    await helper.load([portModule, outModule, catchModule], f);
    const second = helper.getNode('heater2');
    const caught = helper.getNode('caught');
    const err = nextWhere<{ error: { message: string; source: { id: string } } }>(
      caught,
      (m) => m.error.source.id === 'heater2',
    );
    second.receive({ payload: 'shed' });
    assert.match((await err).error.message, /another cta2045-out already drives this port/);
  });

  it('reports a missing serial path on the port clearly', async () => {
    await helper.load([portModule, outModule, catchModule], flow({ transport: 'serial', serialPath: '' }));
    const out = helper.getNode('heater');
    const caught = helper.getNode('caught');
    const err = nextMessage<{ error: { message: string } }>(caught);
    out.receive({ payload: 'shed' });
    assert.match((await err).error.message, /serialPath is empty/);
  });

  it('lists serial ports on the admin endpoint, or says why it cannot', async () => {
    await helper.startServer();
    try {
      await helper.load([portModule, outModule, catchModule], flow());
      const request = helper.request() as { get(p: string): Promise<{ status: number; body: unknown }> };
      const res = await request.get('/cta2045/serialports');
      assert.strictEqual(res.status, 200);
      const body = res.body as { ports: unknown[]; error?: string };
      assert.ok(Array.isArray(body.ports));
      if (body.error) assert.match(body.error, /cannot list serial ports/);
    } finally {
      await helper.unload();
      await helper.stopServer();
    }
  });
});
