import assert from 'assert';
import { builtNode, helper, recordStatuses, TestNode } from '../support/node-helper';
import { FixtureVtn, startFixtureVtn } from '../support/fixture-vtn';
import { waitFor } from '../support/node-red-process';
import { recentStart } from '../support/clock';

const configNode = builtNode('openadr3-vtn-config');
const venNode = builtNode('openadr3-ven');

const HOUR = 3600000;

function todayEvent(programID: string, prices = [0.11, 0.22, 0.33], start = recentStart()) {
  return {
    programID,
    eventName: 'today',
    intervalPeriod: { start: new Date(start).toISOString(), duration: 'PT1H' },
    payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
    intervals: prices.map((v, id) => ({ id, payloads: [{ type: 'PRICE', values: [v] }] })),
  };
}

interface Collected {
  events: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  timelines: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  statuses: Array<{ fill?: string; shape?: string; text?: string }>;
  errors: string[];
  warnings: string[];
}

function flow(extra: Record<string, unknown> = {}, cfg: Record<string, unknown> = {}, vtn?: FixtureVtn) {
  return [
    {
      id: 'cfg',
      type: 'openadr3-vtn-config',
      baseUrl: vtn?.url ?? 'http://127.0.0.1:9/x',
      authMode: 'oauth2',
      retries: 0,
      timeoutS: 2,
      ...cfg,
    },
    {
      id: 'ven',
      type: 'openadr3-ven',
      vtn: 'cfg',
      programName: 'tou',
      pollIntervalS: 1,
      wires: [['events'], ['timeline']],
      ...extra,
    },
    { id: 'events', type: 'helper' },
    { id: 'timeline', type: 'helper' },
  ];
}

async function load(
  f: unknown[],
  creds: Record<string, unknown> = { cfg: { clientId: 'ven', clientSecret: 'ven_secret' } },
): Promise<{ ven: TestNode; got: Collected }> {
  await helper.load([configNode, venNode], f, creds);
  const ven = helper.getNode('ven');
  const got: Collected = {
    events: [],
    timelines: [],
    statuses: recordStatuses(ven),
    errors: [],
    warnings: [],
  };
  helper.getNode('events').on('input', (m: Record<string, unknown>) => got.events.push(m));
  helper.getNode('timeline').on('input', (m: Record<string, unknown>) => got.timelines.push(m));
  ven.on('call:error', (call: { args: unknown[] }) => got.errors.push(String(call.args[0])));
  ven.on('call:warn', (call: { args: unknown[] }) => got.warnings.push(String(call.args[0])));
  return { ven, got };
}

const lastStatus = (got: Collected) => got.statuses.at(-1) ?? {};

describe('nodes: openadr3-ven', function () {
  this.timeout(20000);
  let vtn: FixtureVtn;
  beforeEach(async () => {
    vtn = await startFixtureVtn({ clients: { ven: 'ven_secret' } });
  });
  afterEach(async () => {
    await helper.unload();
    await vtn.stop();
  });

  it('polls on start: events on output 1, the price timeline on output 2, current price in the status', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    const start = recentStart();
    vtn.seed('events', todayEvent(String(program.id), undefined, start));
    const { got } = await load(flow({}, {}, vtn));
    await waitFor(() => got.timelines.length > 0, 5000, 'a timeline');
    assert.strictEqual(got.events.length, 1);
    assert.strictEqual(got.events[0].payload.length, 1);
    assert.deepStrictEqual(
      got.events[0].changes.added.map((e: { eventName: string }) => e.eventName),
      ['today'],
    );
    const t = got.timelines[0];
    assert.deepStrictEqual(
      t.payload.map((s: { price: number }) => s.price),
      [0.11, 0.22, 0.33],
    );
    assert.deepStrictEqual(Object.keys(t.payload[0]).slice(0, 7), [
      'start',
      'end',
      'price',
      'currency',
      'units',
      'eventID',
      'intervalID',
    ]);
    assert.strictEqual(t.currentPrice, 0.11);
    assert.strictEqual(t.nextChange, new Date(start + HOUR).toISOString());
    await waitFor(() => lastStatus(got).fill === 'green', 3000, 'green status');
    assert.match(lastStatus(got).text ?? '', /^0\.11 USD\/KWH · 3 slots · next \d\d:\d\dZ$/);
  });

  it('sends the timeline on every input, and events only when they change', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    vtn.seed('events', todayEvent(String(program.id)));
    const { ven, got } = await load(flow({ pollIntervalS: 3600 }, {}, vtn));
    await waitFor(() => got.timelines.length === 1, 5000, 'first timeline');
    ven.receive({ payload: 'poll' });
    await waitFor(() => got.timelines.length === 2, 5000, 'timeline for the input');
    assert.strictEqual(got.events.length, 1, 'unchanged events are not sent again');
    // Change the event on the VTN: output 1 says what changed.
    const stored = vtn.store.events[0];
    stored.intervals = todayEvent(String(program.id), [0.5, 0.5, 0.5]).intervals;
    stored.modificationDateTime = new Date().toISOString();
    ven.receive({ payload: 'poll' });
    await waitFor(() => got.events.length === 2, 5000, 'changed events');
    assert.strictEqual(got.events[1].changes.changed.length, 1);
    assert.strictEqual(got.timelines.at(-1)!.currentPrice, 0.5);
    vtn.store.events.length = 0;
    ven.receive({ payload: 'poll' });
    await waitFor(() => got.events.length === 3, 5000, 'removed event');
    assert.strictEqual(got.events[2].changes.removed.length, 1);
    assert.deepStrictEqual(got.timelines.at(-1)!.payload, []);
  });

  it('VTN down: yellow status with since when, keeps and serves the last timeline, recovers by itself', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    vtn.seed('events', todayEvent(String(program.id)));
    const { ven, got } = await load(flow({}, {}, vtn));
    await waitFor(() => got.timelines.length > 0, 5000, 'a timeline');
    await vtn.stop();
    await waitFor(() => /unreachable/.test(lastStatus(got).text ?? ''), 5000, 'unreachable status');
    const down = lastStatus(got);
    assert.strictEqual(down.fill, 'yellow');
    assert.match(down.text ?? '', /^VTN unreachable since \d\d:\d\dZ · last timeline kept$/);
    const before = got.timelines.length;
    ven.receive({ payload: 'poll' });
    await waitFor(() => got.timelines.length > before, 5000, 'stale timeline');
    const stale = got.timelines.at(-1)!;
    assert.strictEqual(stale.stale, true);
    assert.strictEqual(stale.currentPrice, 0.11);
    assert.match(stale.error, /cannot reach the VTN/);
    assert.strictEqual(
      got.warnings.filter((e) => /poll failed, retrying: .*cannot reach the VTN/.test(e)).length,
      1,
      'a repeated failure is logged once, as a warning (it is retried, like the yellow status says)',
    );
    assert.deepStrictEqual(
      got.errors.filter((e) => /poll failed/.test(e)),
      [],
      'an unreachable VTN is not an error in the log',
    );
    await vtn.start();
    await waitFor(() => lastStatus(got).fill === 'green', 5000, 'recovery');
  });

  it('VTN down from the start: yellow "retrying", then green once it comes up, with no redeploy', async () => {
    vtn.seed('programs', { programName: 'tou' });
    await vtn.stop();
    const { got } = await load(flow({}, {}, vtn));
    await waitFor(() => /retrying/.test(lastStatus(got).text ?? ''), 5000, 'retrying status');
    assert.strictEqual(lastStatus(got).fill, 'yellow');
    await vtn.start();
    await waitFor(() => lastStatus(got).fill === 'green', 5000, 'green');
    assert.strictEqual(got.timelines.length, 1);
  });

  it('an expired or revoked token is replaced without the node noticing', async () => {
    vtn.tokenLifetimeS = 1;
    const program = vtn.seed('programs', { programName: 'tou' });
    vtn.seed('events', todayEvent(String(program.id)));
    const { got } = await load(flow({}, {}, vtn));
    await waitFor(() => lastStatus(got).fill === 'green', 5000, 'green');
    await waitFor(() => vtn.tokensIssued >= 3, 8000, 'tokens to be renewed');
    vtn.revokeTokens();
    const before = vtn.log.length;
    await waitFor(
      () => vtn.log.slice(before).some((r) => r.path === '/events' && r.status === 200),
      5000,
      'a good poll',
    );
    assert.ok(
      got.statuses.every((st) => st.fill !== 'red'),
      'never red',
    );
  });

  it('500s and bad JSON show a status and the node recovers on the next poll', async () => {
    vtn.seed('programs', { programName: 'tou' });
    const { got } = await load(flow({}, {}, vtn));
    await waitFor(() => lastStatus(got).fill === 'green', 5000, 'green');
    vtn.failNext(2, 500);
    await waitFor(() => lastStatus(got).fill === 'yellow', 5000, 'yellow after 500');
    assert.match(lastStatus(got).text ?? '', /unreachable/);
    await waitFor(() => lastStatus(got).fill === 'green', 5000, 'green again');
    vtn.badJsonNext(1);
    await waitFor(() => lastStatus(got).fill === 'red', 5000, 'red after bad JSON');
    assert.match(lastStatus(got).text ?? '', /not JSON/);
    await waitFor(() => lastStatus(got).fill === 'green', 5000, 'green after bad JSON');
  });

  it('wrong credentials: red status naming the refusal, input gets an error, recovers once the VTN accepts them', async () => {
    const clients: Record<string, string> = { ven: 'ven_secret' };
    await vtn.stop();
    vtn = await startFixtureVtn({ clients });
    vtn.seed('programs', { programName: 'tou' });
    const { ven, got } = await load(flow({}, {}, vtn), {
      cfg: { clientId: 'ven', clientSecret: 'new-secret' },
    });
    await waitFor(() => lastStatus(got).fill === 'red', 5000, 'red status');
    assert.match(lastStatus(got).text ?? '', /token request for client id "ven" refused \(401/);
    const errorsBefore = got.errors.length;
    ven.receive({ payload: 'poll' });
    await waitFor(() => got.errors.length > errorsBefore, 5000, 'an error for the input');
    // The operator registers the new secret on the VTN: the next poll gets a token, no redeploy.
    clients.ven = 'new-secret';
    await waitFor(() => lastStatus(got).fill === 'green', 5000, 'green after the fix');
  });

  it('waits (yellow) for a program not yet published, says so, and picks it up when it appears', async () => {
    vtn.seed('programs', { programName: 'other' });
    const { ven, got } = await load(flow({ programName: 'tou', pollIntervalS: 1 }, {}, vtn));
    await waitFor(() => lastStatus(got).fill === 'yellow', 5000, 'yellow');
    assert.match(lastStatus(got).text ?? '', /waiting for program "tou" on the VTN/);
    // A poll asked for by a message still reports the problem to the flow.
    const errorsBefore = got.errors.length;
    ven.receive({ payload: 'poll' });
    await waitFor(() => got.errors.length > errorsBefore, 5000, 'an error for the input');
    assert.strictEqual(lastStatus(got).fill, 'red');
    const program = vtn.seed('programs', { programName: 'tou' });
    vtn.seed('events', todayEvent(String(program.id)));
    await waitFor(() => lastStatus(got).fill === 'green', 5000, 'green once the program is there');
  });

  it('a missing connection gives a red status that says what is wrong', async () => {
    const f = flow({ vtn: '' }, {}, vtn);
    const second = await load(f);
    await waitFor(() => lastStatus(second.got).fill === 'red', 5000, 'red');
    assert.match(lastStatus(second.got).text ?? '', /no VTN connection selected/);
  });

  it('logs a timeline warning (a priority tie) once, not on every poll', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    vtn.seed('events', { ...todayEvent(String(program.id)), eventName: 'a', priority: 1 });
    const { ven, got } = await load(flow({ pollIntervalS: 3600 }, {}, vtn));
    const warnings: string[] = [];
    ven.on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));
    await waitFor(() => got.timelines.length === 1, 5000, 'first timeline');
    // The tie appears only now, so every warning it causes is seen by the listener.
    vtn.seed('events', { ...todayEvent(String(program.id)), eventName: 'b', priority: 1 });
    for (let i = 2; i <= 4; i++) {
      ven.receive({ payload: 'poll' });
      await waitFor(() => got.timelines.length === i, 5000, `timeline ${i}`);
    }
    assert.match(got.timelines[3].warnings[0], /same priority 1/);
    assert.strictEqual(warnings.filter((w) => /same priority 1/.test(w)).length, 1);
    assert.match(lastStatus(got).text ?? '', / · 1 warning$/);
  });

  it('a connection with OAuth2 but no credentials (an imported flow) waits for them: yellow, no polling, inputs dropped without errors', async () => {
    const { ven, got } = await load(flow({}, {}, vtn), {});
    const first = (ven.status as unknown as { args: Array<[{ fill?: string; text?: string }]> }).args[0][0];
    assert.deepStrictEqual(first, { fill: 'yellow', shape: 'ring', text: 'enter client credentials' });
    ven.receive({ payload: 'poll' });
    await waitFor(() => /message dropped/.test(lastStatus(got).text ?? ''), 3000, 'dropped status');
    assert.strictEqual(lastStatus(got).fill, 'yellow');
    await new Promise((r) => setTimeout(r, 1500)); // longer than the 1 s poll interval
    assert.deepStrictEqual(got.errors, []);
    assert.strictEqual(got.timelines.length, 0);
    assert.strictEqual(vtn.log.length, 0, 'nothing was sent to the VTN');
  });

  it('a connection that is wrong in another way (bad base URL) is red and answers inputs with an error', async () => {
    const { ven, got } = await load(flow({}, { baseUrl: 'not a url' }, vtn));
    const first = (ven.status as unknown as { args: Array<[{ fill?: string; text?: string }]> }).args[0][0];
    assert.strictEqual(first.fill, 'red');
    ven.receive({ payload: 'poll' });
    await waitFor(() => got.errors.length > 0, 3000, 'an error for the input');
    assert.doesNotMatch(got.errors[0], /enter client credentials/);
  });

  it('polls a public 3.1.0 price server anonymously', async () => {
    await vtn.stop();
    vtn = await startFixtureVtn({ mode: 'price31' });
    const program = vtn.seed('programs', { id: 'tou', programName: 'tou', programLongName: 'TOU' });
    vtn.seed('events', { ...todayEvent(String(program.id)), targets: ['zone-1'] });
    const { got } = await load(flow({}, { authMode: 'anonymous' }, vtn), {});
    await waitFor(() => got.timelines.length > 0, 5000, 'a timeline');
    assert.strictEqual(got.timelines[0].payload.length, 3);
    assert.strictEqual(got.timelines[0].program.programLongName, 'TOU');
  });

  it('diagnostics: the session logs at debug on the VEN node, each request at trace on its connection', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    vtn.seed('events', todayEvent(String(program.id)));
    const { ven, got } = await load(flow({}, {}, vtn));
    const debug: string[] = [];
    const trace: string[] = [];
    ven.on('call:debug', (c: { args: unknown[] }) => debug.push(String(c.args[0])));
    helper.getNode('cfg').on('call:trace', (c: { args: unknown[] }) => trace.push(String(c.args[0])));
    await waitFor(() => got.timelines.length > 0 && debug.some((l) => /poll ok/.test(l)), 5000, 'a poll');
    assert.ok(
      debug.some((l) => /^session: poll ok, 1 events, timeline (changed|unchanged)$/.test(l)),
      debug.join('\n'),
    );
    await waitFor(
      () => trace.some((l) => /^GET \/events\b.* → 200 \(\d+ ms\)$/.test(l)),
      5000,
      'a trace line',
    );
    // They reach Node-RED's log at their own levels, shown when settings.js sets that level.
    const levels = new Set(
      (helper.log().args as Array<[{ level: number; msg: unknown }]>)
        .filter(([o]) => /poll ok|GET \/events/.test(String(o.msg)))
        .map(([o]) => o.level),
    );
    assert.deepStrictEqual([...levels].sort(), [50, 60], 'Node-RED levels debug (50) and trace (60)');
  });
});
