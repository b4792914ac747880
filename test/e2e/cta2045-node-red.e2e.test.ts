/**
 * cta2045-out in a real Node-RED process, on a real serial line (socat pty pair) to the
 * simulator CLI: handshake, a schedule, the cable pulled mid-block (status goes red, a command
 * meanwhile is refused), the cable back (green, the current command re-asserted, nothing stale).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { requireTool } from '../support/tools';
import { PtyPair, ptyPair, SimProcess, startSimulator } from '../support/pty';

interface Probe {
  statuses: Array<{ fill?: string; text?: string }>;
  results: Array<{ command: string; outcome: string; trigger?: string }>;
  caught: string[];
}

function flow(serialPath: string): unknown[] {
  const tab = 'ctaTab';
  const record = (key: string, value: string) =>
    `const list = global.get('${key}') || []; list.push(${value}); global.set('${key}', list); return null;`;
  return [
    { id: tab, type: 'tab', label: 'cta2045 e2e' },
    {
      id: 'cfgPort',
      type: 'cta2045-port',
      transport: 'serial',
      serialPath,
      baudRate: 19200,
      reconnectSeconds: 0.5,
    },
    {
      id: 'injSchedule',
      z: tab,
      type: 'inject',
      wires: [['fnSchedule']],
    },
    {
      id: 'fnSchedule',
      z: tab,
      type: 'function',
      func:
        'const now = Date.now(); msg.payload = { intervals: [' +
        '{ start: new Date(now - 60000).toISOString(), end: new Date(now + 3600000).toISOString(), signal: -1 },' +
        '{ start: new Date(now + 3600000).toISOString(), end: new Date(now + 7200000).toISOString(), signal: 0 } ] }; return msg;',
      outputs: 1,
      wires: [['hpwhOut']],
    },
    {
      id: 'injCpp',
      z: tab,
      type: 'inject',
      payload: '{"command":"critical-peak","durationSeconds":5}',
      payloadType: 'json',
      wires: [['hpwhOut']],
    },
    {
      id: 'hpwhOut',
      z: tab,
      type: 'cta2045-out',
      port: 'cfgPort',
      deviceLabel: 'HPWH',
      wires: [[], ['fnResults']],
    },
    {
      id: 'fnResults',
      z: tab,
      type: 'function',
      func: record('results', 'msg.payload'),
      outputs: 1,
      wires: [[]],
    },
    { id: 'stWatch', z: tab, type: 'status', scope: ['hpwhOut'], wires: [['fnStatuses']] },
    {
      id: 'fnStatuses',
      z: tab,
      type: 'function',
      func: record('statuses', 'msg.status'),
      outputs: 1,
      wires: [[]],
    },
    { id: 'ctWatch', z: tab, type: 'catch', scope: null, uncaught: false, wires: [['fnCaught']] },
    {
      id: 'fnCaught',
      z: tab,
      type: 'function',
      func: record('caught', 'msg.error.message'),
      outputs: 1,
      wires: [[]],
    },
    { id: 'httpProbe', z: tab, type: 'http in', url: '/cta-probe', method: 'get', wires: [['fnProbe']] },
    {
      id: 'fnProbe',
      z: tab,
      type: 'function',
      func: "msg.payload = { statuses: global.get('statuses') || [], results: global.get('results') || [], caught: global.get('caught') || [] }; return msg;",
      outputs: 1,
      wires: [['httpResp']],
    },
    { id: 'httpResp', z: tab, type: 'http response', wires: [] },
  ];
}

describe('e2e: cta2045-out in Node-RED over a real pty to the simulator', function () {
  this.timeout(180_000);
  let red: NodeRedInstance | undefined;
  let pty: PtyPair | undefined;
  let sim: SimProcess | undefined;

  afterEach(async () => {
    await red?.stop();
    await sim?.stop();
    await pty?.stop();
    red = undefined;
    sim = undefined;
    pty = undefined;
  });

  it('the example flow deploys as imported and drives the simulated water heater', async () => {
    const example = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'examples', 'cta2045-simulated-water-heater.json'), 'utf8'),
    ) as Array<Record<string, unknown>>;
    const tab = 'exCtaTab';
    const record = `const list = global.get('st') || []; list.push(msg.status); global.set('st', list); return null;`;
    red = await startNodeRed();
    await red.deploy([
      ...example,
      { id: 'exWatch', z: tab, type: 'status', scope: ['exCtaOut'], wires: [['exRecord']] },
      { id: 'exRecord', z: tab, type: 'function', func: record, outputs: 1, wires: [[]] },
      { id: 'exHttp', z: tab, type: 'http in', url: '/ex-probe', method: 'get', wires: [['exRead']] },
      {
        id: 'exRead',
        z: tab,
        type: 'function',
        func: "msg.payload = global.get('st') || []; return msg;",
        outputs: 1,
        wires: [['exResp']],
      },
      { id: 'exResp', z: tab, type: 'http response', wires: [] },
    ]);
    const last = async () =>
      ((await (await red!.get('/ex-probe')).json()) as Array<{ text?: string }>).slice(-1)[0];
    await waitFor(async () => (await last())?.text === 'HPWH · connected', 15_000, 'connected');
    await red.inject('exCtaInjectShed');
    await waitFor(
      async () => /^HPWH · Shed until \d\d:\d\d$/.test((await last())?.text ?? ''),
      10_000,
      'shed',
    );
    await red.inject('exCtaInjectSchedule');
    await red.inject('exCtaInjectNormal');
    await waitFor(async () => (await last())?.text === 'HPWH · Normal', 10_000, 'normal');
  });

  it('goes red when the cable is pulled, reconnects, re-asserts the current command and never a stale one', async function () {
    const socat = requireTool(this, 'socat');
    pty = ptyPair(socat);
    await pty.start();
    sim = startSimulator(pty.devicePath);
    red = await startNodeRed();
    await red.deploy(flow(pty.ucmPath));
    const probe = async (): Promise<Probe> => (await (await red!.get('/cta-probe')).json()) as Probe;
    const lastStatus = async () => (await probe()).statuses.slice(-1)[0];

    await waitFor(async () => (await lastStatus())?.text === 'HPWH · connected', 15_000, 'connected status');
    await red.inject('injSchedule');
    await waitFor(
      async () => /^HPWH · Shed until \d\d:\d\d$/.test((await lastStatus())?.text ?? ''),
      10_000,
      'shed status',
    );
    assert.strictEqual((await lastStatus()).fill, 'green');
    assert.ok(sim.commands().some((c) => c.command === 'shed'));

    await pty.kill();
    await waitFor(
      async () => {
        const s = await lastStatus();
        return s?.fill === 'red' && /link down/.test(s.text ?? '') ? s : undefined;
      },
      10_000,
      'red status',
    );
    const before = sim.commands().length;
    await red.inject('injCpp');
    await waitFor(
      async () => (await probe()).caught.some((m) => /link is down, command not sent/.test(m)),
      5000,
      'refusal',
    );
    // Let the 5-second CPP lapse while the cable is out: it must never reach the heater.
    await new Promise((r) => setTimeout(r, 6000));

    await pty.start();
    await waitFor(
      async () => /^HPWH · Shed until/.test((await lastStatus())?.text ?? ''),
      20_000,
      'green again',
    );
    await waitFor(() => sim!.commands().length > before, 10_000, 'a re-assert');
    await new Promise((r) => setTimeout(r, 1000));
    const after = sim.commands().slice(before);
    assert.deepStrictEqual(
      after.map((c) => c.command),
      ['shed'],
      JSON.stringify(after),
    );
    const results = (await probe()).results;
    assert.ok(
      results.some((r) => r.trigger === 'reconnect' && r.command === 'shed' && r.outcome === 'acked'),
    );
    assert.ok(!results.some((r) => r.command === 'critical-peak' && r.outcome === 'acked'));
  });
});
