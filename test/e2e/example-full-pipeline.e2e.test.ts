/**
 * examples/full-pipeline.json as a user gets it: imported through Node-RED's library API with no
 * credentials (Node-RED never exports them), deployed — the nodes that need credentials wait with
 * a yellow status and nothing logs an error — then given the demo clients' credentials through
 * the Admin API, as a user would type them, and checked hop by hop over HTTP.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { demoVtnReader } from '../support/demo-vtn';
import { freePort } from '../support/ports';
import { probeNodes, recordInGlobal } from '../support/probe-flow';

const MODULE = 'node-red-contrib-openadr3-hpwh';
type FlowNode = Record<string, unknown> & { id: string; type: string; wires?: string[][] };
interface Status {
  id: string;
  fill?: string;
  text?: string;
}
interface Probe {
  statuses: Status[];
  caught: string[];
  schedules: Array<{ initialSoc: number; soc?: number; intervals: number }>;
}

const readJson = (...p: string[]): unknown => JSON.parse(fs.readFileSync(path.join(repoRoot, ...p), 'utf8'));

describe('e2e: examples/full-pipeline.json (the demo flow)', function () {
  this.timeout(240000);
  let red: NodeRedInstance | undefined;
  after(() => red?.stop());

  it('is the flow `npm start` deploys: flows/demo.json is the same flow, and the demo credentials name its connections', () => {
    const example = readJson('examples', 'full-pipeline.json') as FlowNode[];
    assert.deepStrictEqual(readJson('flows', 'demo.json'), example);
    const creds = readJson('flows', 'demo-credentials.json') as Record<string, unknown>;
    const connections = example.filter((n) => n.type === 'openadr3-vtn-config').map((n) => n.id);
    assert.deepStrictEqual(Object.keys(creds).sort(), connections.sort());
    assert.ok(
      example.every((n) => n.credentials === undefined),
      'an example carries no credentials',
    );
  });

  it('deploys as imported with yellow "enter client credentials" and no errors; with credentials it runs prices → VTN → VEN → schedule → heater → report', async () => {
    red = await startNodeRed();
    const res = await red.get(`/library/examples/flows/${MODULE}/full-pipeline`);
    assert.strictEqual(res.status, 200);
    const imported = (await res.json()) as FlowNode[];

    // The one change a user makes when port 8080 is taken (other tests may hold it on this machine).
    const vtnPort = await freePort();
    const flow = imported.map((n) => {
      const copy: FlowNode = JSON.parse(JSON.stringify(n));
      if (copy.type === 'openadr3-vtn') copy.port = vtnPort;
      if (typeof copy.baseUrl === 'string') copy.baseUrl = copy.baseUrl.replace(':8080/', `:${vtnPort}/`);
      // Observe the scheduler's output (what it planned from) without changing the example.
      if (copy.id === 'demo-lp') copy.wires = [[...copy.wires![0], 'probe-rec-schedule']];
      return copy;
    });
    const tab = 'demo-tab';
    const probe = [
      ...probeNodes(tab, {
        statusScope: ['demo-publish', 'demo-ven', 'demo-report', 'demo-lp', 'demo-vtn', 'demo-cta'],
        statusValue: '({ id: msg.status.source.id, fill: msg.status.fill, text: msg.status.text })',
        keys: ['statuses', 'caught', 'schedules'],
      }),
      {
        id: 'probe-rec-schedule',
        z: tab,
        type: 'function',
        func: recordInGlobal(
          'schedules',
          '{ initialSoc: msg.payload.initialSoc, soc: msg.soc, intervals: msg.payload.intervals.length }',
        ),
        outputs: 1,
        wires: [[]],
      },
    ];
    const readProbe = async (): Promise<Probe> => (await (await red!.get('/probe')).json()) as Probe;

    // 1 · As imported: no credentials.
    await red.deploy([...flow, ...probe]);
    const waiting = (id: string) => (p: Probe) =>
      p.statuses.some(
        (s) =>
          s.id === id &&
          s.fill === 'yellow' &&
          /^enter client credentials.*message dropped/.test(s.text ?? ''),
      );
    // Olivine's fetch fails offline (sample used) and its event reaches publish; the simulated
    // heater's first telemetry reaches report: both drop the message and say why.
    let last: Probe | undefined;
    const before = await waitFor(
      async () => {
        const p = (last = await readProbe());
        // A red status or a caught error ends the wait at once; the assertions below say which.
        if (p.statuses.some((s) => s.fill === 'red') || p.caught.length) return p;
        return waiting('demo-publish')(p) && waiting('demo-report')(p) ? p : undefined;
      },
      90000,
      'publish and report waiting for credentials',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(last)}\n${red!.log().slice(-3000)}`);
    });
    assert.deepStrictEqual(
      before.statuses.filter((s) => s.fill === 'red'),
      [],
      'no red status before credentials',
    );
    assert.deepStrictEqual(before.caught, []);
    assert.ok(waiting('demo-publish')(before) && waiting('demo-report')(before));
    assert.match(red.log(), /enter the OAuth2 client id and secret/);
    assert.doesNotMatch(red.log(), /\[error\]/, red.log());
    // The VTN runs anyway (with the demo clients while its Clients field is empty), still empty.
    const vtn = await demoVtnReader(vtnPort, red.userDir);
    assert.deepStrictEqual(await vtn.get('/programs'), [], 'nothing was published without credentials');

    // 2 · The user enters the credentials (here through the Admin API, as scripts/start.js does).
    const creds = readJson('flows', 'demo-credentials.json') as Record<string, unknown>;
    const seen = before.statuses.length;
    await red.deploy([...flow.map((n) => (creds[n.id] ? { ...n, credentials: creds[n.id] } : n)), ...probe]);

    const { event } = await vtn.waitForPricing(60000);

    // The VEN read it: its status shows the current price (green).
    await waitFor(
      async () =>
        (await readProbe()).statuses
          .slice(seen)
          .some((s) => s.id === 'demo-ven' && s.fill === 'green' && / slots/.test(s.text ?? '')),
      60000,
      'the VEN showing the price timeline',
    );

    // The simulated heater acknowledged a command.
    const state = await waitFor(
      async () => {
        const s = (await (await red!.get('/demo/state')).json()) as {
          commands: Array<{ outcome?: string; command?: string }>;
          telemetry: Array<{ energyStoredWh: number | null }>;
        };
        return s.commands.some((c) => c.outcome === 'acked') && s.telemetry.length ? s : undefined;
      },
      60000,
      'a command acked by the simulated heater',
    );
    assert.ok(state.commands.some((c) => typeof c.command === 'string' && c.command.length > 0));

    // Receding horizon: a schedule planned from the tank energy the heater reported.
    const replanned = await waitFor(
      async () => {
        const p = await readProbe();
        return p.schedules.find((s) => typeof s.soc === 'number' && s.initialSoc === s.soc);
      },
      60000,
      'a schedule re-planned from the reported tank energy',
    );
    assert.ok(replanned.intervals > 0);
    const reported = state.telemetry.map((t) => t.energyStoredWh).filter((w): w is number => w !== null);
    assert.ok(reported.length > 0, 'the heater reports its stored energy');

    // Telemetry came back to the VTN as a report.
    const reports = await vtn.waitForList('/reports', 60000, 'a telemetry report on the VTN');
    assert.strictEqual(reports[0].clientName, 'demo-hpwh');
    assert.strictEqual(reports[0].eventID, event.id);

    const after = await readProbe();
    assert.deepStrictEqual(after.caught, []);
    assert.doesNotMatch(red.log(), /\[error\]/, red.log());
    assert.strictEqual(red.exited(), false);
  });
});
