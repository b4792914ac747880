/**
 * examples/openadr31-price-server.json: imported through Node-RED's library API, deployed as
 * imported (the public server is out of reach offline: a yellow status, no error), then pointed
 * at a local fixture 3.1.0 price server (anonymous GETs, 3.1.0 shapes) — the only change — and
 * checked: prices read anonymously, a schedule planned, the simulated heater commanded.
 */
import assert from 'assert';
import { FixtureVtn, startFixtureVtn } from '../support/fixture-vtn';
import { NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';
import { probeNodes, recorderNode } from '../support/probe-flow';

const MODULE = 'node-red-contrib-openadr3-hpwh';
const HOUR = 3600000;
type FlowNode = Record<string, unknown> & { id: string; type: string; wires?: string[][] };
interface Probe {
  statuses: Array<{ id: string; fill?: string; text?: string }>;
  caught: string[];
  schedules: Array<{ first: string; last: string; intervals: number; prices: number[] }>;
  commands: Array<{ outcome?: string; command?: string }>;
}

describe('e2e: examples/openadr31-price-server.json', function () {
  this.timeout(180000);
  let red: NodeRedInstance | undefined;
  let server: FixtureVtn | undefined;
  after(async () => {
    await red?.stop();
    await server?.stop();
  });

  it('reads a 3.1.0 price server anonymously and drives the simulated heater from its prices', async () => {
    red = await startNodeRed();
    const res = await red.get(`/library/examples/flows/${MODULE}/openadr31-price-server`);
    assert.strictEqual(res.status, 200);
    const imported = (await res.json()) as FlowNode[];
    const conn = imported.find((n) => n.type === 'openadr3-vtn-config')!;
    assert.strictEqual(conn.authMode, 'anonymous');
    assert.strictEqual(conn.apiVersion, '3.1.0');
    assert.match(String(conn.baseUrl), /^https:\/\/.+\/openadr3\/3\.1\.0$/);
    const ven = imported.find((n) => n.type === 'openadr3-ven')!;

    const tab = 'ex31-tab';
    const probe = [
      ...probeNodes(tab, {
        statusScope: ['ex31-ven', 'ex31-lp', 'ex31-cta'],
        statusValue: '({ id: msg.status.source.id, fill: msg.status.fill, text: msg.status.text })',
        keys: ['statuses', 'caught', 'schedules', 'commands'],
      }),
      recorderNode(
        tab,
        'probe-rec-schedule',
        'schedules',
        '{ first: msg.payload.intervals[0].start, last: msg.payload.intervals[msg.payload.intervals.length - 1].end, intervals: msg.payload.intervals.length, prices: msg.payload.intervals.map((i) => i.price) }',
      ),
      recorderNode(tab, 'probe-rec-command', 'commands', 'msg.payload'),
    ];
    const observe = (nodes: FlowNode[]): FlowNode[] =>
      nodes.map((n) => {
        const copy: FlowNode = JSON.parse(JSON.stringify(n));
        if (copy.id === 'ex31-lp') copy.wires = [[...copy.wires![0], 'probe-rec-schedule']];
        if (copy.id === 'ex31-cta') copy.wires = [copy.wires![0], [...copy.wires![1], 'probe-rec-command']];
        return copy;
      });
    const readProbe = async (): Promise<Probe> => (await (await red!.get('/probe')).json()) as Probe;

    // 1 · As imported. Offline the public server cannot be reached: the VEN says so (yellow) and
    // retries; nothing is an error. (Online it would read real prices: green.)
    await red.deploy([...observe(imported), ...probe]);
    const first = await waitFor(
      async () => (await readProbe()).statuses.find((s) => s.id === 'ex31-ven' && s.fill !== undefined),
      60000,
      'a VEN status',
    );
    assert.notStrictEqual(first.fill, 'red', JSON.stringify(first));
    assert.doesNotMatch(red.log(), /\[error\]/, red.log());

    // 2 · Pointed at a local 3.1.0 price server with the program the example asks for.
    server = await startFixtureVtn({ mode: 'price31' });
    const program = server.seed('programs', {
      programName: ven.programName,
      attributes: [{ type: 'PROGRAM_LONG_NAME', values: ['PG&E EELEC on one circuit'] }],
      payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
    });
    const start = Math.floor(Date.now() / HOUR) * HOUR;
    const prices = Array.from({ length: 24 }, (_, h) => (h >= 16 && h < 21 ? 0.45 : 0.12) + h / 1000);
    server.seed('events', {
      programID: program.id,
      eventName: `${String(ven.programName)}-today`,
      targets: ['013532223'],
      payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
      intervals: prices.map((price, id) => ({
        id,
        intervalPeriod: { start: new Date(start + id * HOUR).toISOString(), duration: 'PT1H' },
        payloads: [{ type: 'PRICE', values: [price] }],
      })),
    });
    const seen = (await readProbe()).statuses.length;
    await red.deploy([
      ...observe(imported.map((n) => (n.id === conn.id ? { ...n, baseUrl: server!.url } : n))),
      ...probe,
    ]);

    const schedule = await waitFor(
      async () => (await readProbe()).schedules.find((s) => s.intervals > 0),
      60000,
      'a schedule from the server’s prices',
    );
    assert.strictEqual(Date.parse(schedule.last), start + 24 * HOUR, 'planned to the end of the prices');
    assert.ok(schedule.intervals >= 23 && schedule.intervals <= 24, `${schedule.intervals} intervals`);
    assert.deepStrictEqual(schedule.prices.slice(-3), prices.slice(-3));

    const probed = await waitFor(
      async () => {
        const p = await readProbe();
        return p.commands.some((c) => c.outcome === 'acked') ? p : undefined;
      },
      60000,
      'a command acked by the simulated heater',
    );
    assert.ok(probed.commands.some((c) => typeof c.command === 'string'));
    assert.ok(
      probed.statuses.slice(seen).some((s) => s.id === 'ex31-ven' && s.fill === 'green'),
      'the VEN shows the current price',
    );

    // Anonymous and read-only: no token asked for, no Authorization header, nothing written.
    assert.ok(server.log.some((r) => r.path === '/programs'));
    assert.ok(server.log.some((r) => r.path === '/events'));
    assert.deepStrictEqual(
      server.log.filter((r) => r.method !== 'GET' || r.auth !== undefined),
      [],
    );
    assert.deepStrictEqual(probed.caught, []);
    assert.doesNotMatch(red.log(), /\[error\]/, red.log());
  });
});
