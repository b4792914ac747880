/**
 * Both scheduler nodes in a real Node-RED process, loaded as an installed module: inject prices
 * (a plain array with msg.soc, and the reference implementation's OpenADR event), read the schedules, statuses and
 * any errors back over HTTP.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { probeNodes, recordInGlobal } from '../support/probe-flow';

interface Probe {
  schedules: Array<{
    from: string;
    payload: {
      intervals: Array<{ control: number; signal: number; start: string }>;
      totalCost: number;
      converged: boolean;
      algorithm: string;
      engine?: string;
      initialSoc: number;
    };
  }>;
  statuses: Array<{ source: string; fill?: string; text?: string }>;
  caught: string[];
}

function flow(): unknown[] {
  const tab = 'tab-sched';
  const event = fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8');
  return [
    { id: tab, type: 'tab', label: 'schedulers' },
    {
      id: 'inj-array',
      z: tab,
      type: 'inject',
      props: [
        { p: 'payload', v: '[0.30, 0.12, 0.10, 0.25, 0.30, 0.35]', vt: 'json' },
        { p: 'soc', v: '2', vt: 'num' },
        { p: 'start', v: '2026-03-01T00:00:00Z', vt: 'str' },
      ],
      wires: [['n-lp']],
    },
    {
      id: 'inj-event',
      z: tab,
      type: 'inject',
      props: [{ p: 'payload', v: event, vt: 'json' }],
      wires: [['n-heur']],
    },
    {
      id: 'inj-bad',
      z: tab,
      type: 'inject',
      props: [{ p: 'payload', v: 'expensive', vt: 'str' }],
      wires: [['n-lp']],
    },
    {
      id: 'n-lp',
      z: tab,
      type: 'hpwh-lp-scheduler',
      name: 'lp',
      horizon: 'all',
      drawProfile: 'flat',
      dailyDrawKwh: 24,
      configVersion: 1,
      wires: [['n-rec-lp']],
    },
    {
      id: 'n-heur',
      z: tab,
      type: 'hpwh-heuristic-scheduler',
      name: 'heuristic',
      horizon: 'all',
      timeZone: 'America/Los_Angeles',
      initialSocKwh: 3,
      configVersion: 1,
      wires: [['n-rec-heur']],
    },
    {
      id: 'n-rec-lp',
      z: tab,
      type: 'function',
      func: recordInGlobal('schedules', "{ from: 'lp', payload: msg.payload }"),
      outputs: 1,
      wires: [[]],
    },
    {
      id: 'n-rec-heur',
      z: tab,
      type: 'function',
      func: recordInGlobal('schedules', "{ from: 'heuristic', payload: msg.payload }"),
      outputs: 1,
      wires: [[]],
    },
    ...probeNodes(tab, {
      statusScope: ['n-lp', 'n-heur'],
      statusValue: '{ source: msg.status.source.name, fill: msg.status.fill, text: msg.status.text }',
      keys: ['schedules', 'statuses', 'caught'],
    }),
  ];
}

describe('e2e: hpwh-lp-scheduler and hpwh-heuristic-scheduler in a real Node-RED process', function () {
  this.timeout(60000);
  let red: NodeRedInstance | undefined;

  after(async () => {
    await red?.stop();
    red = undefined;
  });

  it('schedule injected prices and an OpenADR event, report status, survive bad input', async () => {
    red = await startNodeRed();
    const nodes = (await (
      await fetch(`${red.url}/nodes`, { headers: { Accept: 'application/json' } })
    ).json()) as Array<{ types: string[] }>;
    const types = nodes.flatMap((n) => n.types);
    assert.ok(
      types.includes('hpwh-lp-scheduler') && types.includes('hpwh-heuristic-scheduler'),
      'both nodes installed',
    );
    await red.deploy(flow());
    const probe = async () => (await (await red!.get('/probe')).json()) as Probe;

    await red.inject('inj-array');
    await red.inject('inj-event');
    const both = await waitFor(
      async () => {
        const p = await probe();
        return p.schedules.length >= 2 ? p : undefined;
      },
      10000,
      'two schedules',
    );
    const lp = both.schedules.find((s) => s.from === 'lp')!.payload;
    assert.strictEqual(lp.algorithm, 'lp');
    assert.strictEqual(lp.engine, 'exact');
    assert.strictEqual(lp.converged, true);
    assert.strictEqual(lp.initialSoc, 2);
    assert.strictEqual(lp.intervals.length, 6);
    assert.strictEqual(lp.intervals[0].start, '2026-03-01T00:00:00.000Z');
    // Cheapest hour (0.10, index 2) heats hardest; the most expensive hour (index 5) sheds.
    assert.strictEqual(Math.max(...lp.intervals.map((i) => i.control)), lp.intervals[2].control);
    assert.strictEqual(lp.intervals[5].signal, -1);
    const heuristic = both.schedules.find((s) => s.from === 'heuristic')!.payload;
    assert.strictEqual(heuristic.algorithm, 'heuristic');
    assert.strictEqual(heuristic.intervals.length, 13);
    assert.strictEqual(heuristic.initialSoc, 3);

    const statuses = await waitFor(
      async () => {
        const p = await probe();
        return p.statuses.filter((s) => s.fill === 'green').length >= 2 ? p.statuses : undefined;
      },
      10000,
      'green statuses',
    );
    const lpStatus = statuses.filter((s) => s.source === 'lp').at(-1)!;
    assert.match(lpStatus.text!, /^\$\d+\.\d\d · saves \d+ % · 6 intervals$/);
    assert.match(statuses.filter((s) => s.source === 'heuristic').at(-1)!.text!, / · 13 intervals$/);

    await red.inject('inj-bad');
    const caught = await waitFor(
      async () => {
        const p = await probe();
        return p.caught.length ? p.caught : undefined;
      },
      10000,
      'the error to reach the Catch node',
    );
    assert.match(caught[0], /msg.payload must be a price timeline/);
    assert.strictEqual(red.exited(), false);
    assert.doesNotMatch(red.log(), /Unhandled|uncaughtException/i);
  });

  it('the example flow (examples/hpwh-schedulers.json) deploys as imported and schedules the sample event', async () => {
    red ??= await startNodeRed();
    const example = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'examples', 'hpwh-schedulers.json'), 'utf8'),
    ) as Array<Record<string, unknown>>;
    // Node-RED offers it under Import ▸ Examples.
    const listed = await red.get('/library/examples/flows/node-red-contrib-openadr3-hpwh/hpwh-schedulers');
    assert.strictEqual(listed.status, 200);
    assert.deepStrictEqual(await listed.json(), example);
    // As imported, plus a recorder on each scheduler's output (the example's own nodes unchanged).
    const tab = example.find((n) => n.type === 'tab')!.id as string;
    const record = {
      id: 'ex-probe',
      z: tab,
      type: 'function',
      func: "const l = global.get('ex') || []; l.push({ algorithm: msg.payload.algorithm, n: msg.payload.intervals.length, converged: msg.payload.converged, totalCost: msg.payload.totalCost }); global.set('ex', l); return null;",
      outputs: 1,
      wires: [[]],
    };
    const read = [
      { id: 'ex-http', z: tab, type: 'http in', url: '/ex', method: 'get', wires: [['ex-read']] },
      {
        id: 'ex-read',
        z: tab,
        type: 'function',
        func: "msg.payload = global.get('ex') || []; return msg;",
        outputs: 1,
        wires: [['ex-resp']],
      },
      { id: 'ex-resp', z: tab, type: 'http response', wires: [] },
    ];
    const flows = example.map((n) =>
      /^hpwh-/.test(String(n.type)) ? { ...n, wires: [[...(n.wires as string[][])[0], 'ex-probe']] } : n,
    );
    await red.deploy([...flows, record, ...read]);
    await red.inject('ex-sched-inject-event');
    const got = await waitFor(
      async () => {
        const l = (await (await red!.get('/ex')).json()) as Array<{
          algorithm: string;
          n: number;
          converged: boolean;
          totalCost: number;
        }>;
        return l.length >= 2 ? l : undefined;
      },
      10000,
      'both example schedules',
    );
    assert.deepStrictEqual(got.map((g) => g.algorithm).sort(), ['heuristic', 'lp']);
    for (const g of got) {
      assert.strictEqual(g.n, 13);
      assert.strictEqual(g.converged, true);
    }
    const lp = got.find((g) => g.algorithm === 'lp')!;
    const heuristic = got.find((g) => g.algorithm === 'heuristic')!;
    assert.ok(lp.totalCost <= heuristic.totalCost + 1e-12, 'the LP is never worse than the heuristic');
  });
});
