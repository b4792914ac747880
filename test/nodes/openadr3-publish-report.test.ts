import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { builtNode, helper, nextMessage, recordStatuses, repoRoot, TestNode } from '../support/node-helper';
import { FixtureVtn, startFixtureVtn } from '../support/fixture-vtn';
import { waitFor } from '../support/node-red-process';
import { recentStartIso } from '../support/clock';

const configNode = builtNode('openadr3-vtn-config');
const publishNode = builtNode('openadr3-publish');
const reportNode = builtNode('openadr3-report');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const sampleEvent = () =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8'));
type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** The first status a node set (the test helper wraps node.status in a sinon spy). */
const firstStatus = (node: TestNode) =>
  (node.status as unknown as { args: Array<[{ fill?: string; shape?: string; text?: string }]> })
    .args[0]?.[0];

const telemetry = (time: string, powerW: number | null = 450) => ({
  time,
  operatingState: 'RunningNormal',
  energyTakeWh: 1000,
  energyStoredWh: 2000,
  capacityWh: 4000,
  powerW,
  customerOverride: false,
  device: {},
});

describe('nodes: openadr3-publish and openadr3-report', function () {
  this.timeout(20000);
  let vtn: FixtureVtn;
  beforeEach(async () => {
    vtn = await startFixtureVtn({ clients: { bl: 'bl_secret', ven: 'ven_secret' } });
  });
  afterEach(async () => {
    await helper.unload();
    await vtn.stop();
  });

  const cfg = (id: string) => ({
    id,
    type: 'openadr3-vtn-config',
    baseUrl: vtn.url,
    authMode: 'oauth2',
    retries: 0,
    timeoutS: 2,
  });
  const creds = {
    bl: { clientId: 'bl', clientSecret: 'bl_secret' },
    venc: { clientId: 'ven', clientSecret: 'ven_secret' },
  };

  async function loadPublish(
    extra: Record<string, unknown> = {},
    credentials: Record<string, unknown> = creds,
    conn: Record<string, unknown> = {},
  ) {
    await helper.load(
      [configNode, publishNode, catchNode],
      [
        { ...cfg('bl'), ...conn },
        { id: 'pub', type: 'openadr3-publish', vtn: 'bl', programName: '', wires: [['out']], ...extra },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      credentials,
    );
    const pub = helper.getNode('pub');
    return {
      pub,
      out: helper.getNode('out'),
      caught: helper.getNode('caught'),
      statuses: recordStatuses(pub),
    };
  }

  it('publish: creates the sample program and the event, then replaces the event by eventName', async () => {
    const { pub, out, statuses } = await loadPublish();
    let got = nextMessage<Msg>(out);
    pub.receive({ payload: sampleEvent() });
    const first = await got;
    assert.strictEqual(first.action, 'created');
    assert.strictEqual(first.programCreated, true);
    assert.strictEqual(first.program.programName, 'etou-dynamic-pricing');
    assert.strictEqual(first.payload.programID, first.program.id);
    assert.ok(first.payload.id);
    assert.match(statuses.at(-1)?.text ?? '', /^created event etou-dyn-2026-02-17$/);
    got = nextMessage<Msg>(out);
    pub.receive({ payload: sampleEvent() });
    const second = await got;
    assert.strictEqual(second.action, 'replaced');
    assert.strictEqual(second.payload.id, first.payload.id);
    assert.strictEqual(vtn.store.events.length, 1);
    assert.strictEqual(vtn.store.programs.length, 1);
  });

  it('publish: updates arriving together give one program and one event per name, no conflict error', async () => {
    const { pub, out, caught } = await loadPublish();
    const results: Msg[] = [];
    out.on('input', (m: Msg) => results.push(m));
    const errors: Msg[] = [];
    caught.on('input', (m: Msg) => errors.push(m));
    // Before the program exists: both would find no program and create one.
    pub.receive({ payload: sampleEvent() });
    pub.receive({ payload: sampleEvent() });
    await waitFor(() => results.length + errors.length >= 2, 5000, 'both messages handled');
    // Once it exists: both would find no event of a new name and create one each.
    const tomorrow = { ...sampleEvent(), eventName: 'etou-dyn-next-day' };
    pub.receive({ payload: tomorrow });
    pub.receive({ payload: tomorrow });
    await waitFor(() => results.length + errors.length >= 4, 5000, 'all four messages handled');
    assert.deepStrictEqual(
      errors.map((e) => e.error.message),
      [],
    );
    assert.deepStrictEqual(
      results.map((r) => r.action),
      ['created', 'replaced', 'created', 'replaced'],
    );
    assert.strictEqual(vtn.store.programs.length, 1);
    assert.deepStrictEqual(vtn.store.events.map((e) => e.eventName).sort(), [
      'etou-dyn-2026-02-17',
      'etou-dyn-next-day',
    ]);
  });

  it('publish: a program payload is created or replaced by programName', async () => {
    const { pub, out } = await loadPublish();
    let got = nextMessage<Msg>(out);
    pub.receive({ payload: { programName: 'cpp', programLongName: 'Critical peak' } });
    assert.strictEqual((await got).action, 'created');
    got = nextMessage<Msg>(out);
    pub.receive({ payload: { programName: 'cpp', programLongName: 'Critical peak pricing' } });
    const second = await got;
    assert.strictEqual(second.action, 'replaced');
    assert.strictEqual(vtn.store.programs[0].programLongName, 'Critical peak pricing');
  });

  it('publish: bad input and a VTN that is down give clear errors; the node keeps working', async () => {
    const { pub, out, caught, statuses } = await loadPublish({ programName: 'tou' });
    let err = nextMessage<Msg>(caught);
    pub.receive({ payload: 42 });
    assert.match((await err).error.message, /msg.payload must be an OpenADR event/);
    err = nextMessage<Msg>(caught);
    pub.receive({ payload: { hello: 'world' } });
    assert.match((await err).error.message, /neither an event .* nor a program/);
    await vtn.stop();
    err = nextMessage<Msg>(caught);
    pub.receive({ payload: sampleEvent() });
    assert.match((await err).error.message, /cannot reach the VTN/);
    await waitFor(
      () => statuses.some((s) => s.fill === 'yellow' && /VTN unreachable since/.test(s.text ?? '')),
      3000,
      'yellow',
    );
    await vtn.start();
    const ok = nextMessage<Msg>(out);
    pub.receive({ payload: sampleEvent() });
    assert.strictEqual((await ok).program.programName, 'tou');
    assert.strictEqual(statuses.at(-1)?.fill, 'green');
    const greenText = statuses.at(-1)?.text;
    // The status follows the shared connection: another user of it sees the VTN go down and
    // come back, and this node's status goes yellow and back to its last green text.
    const shared = (
      helper.getNode('bl') as unknown as { getClient(): { getPrograms(): Promise<unknown> } }
    ).getClient();
    await vtn.stop();
    await assert.rejects(shared.getPrograms());
    await waitFor(() => statuses.at(-1)?.fill === 'yellow', 3000, 'yellow');
    await vtn.start();
    await shared.getPrograms();
    await waitFor(() => statuses.at(-1)?.fill === 'green', 3000, 'green');
    assert.deepStrictEqual(statuses.at(-1), { fill: 'green', shape: 'dot', text: greenText });
  });

  async function loadReport(
    credentials: Record<string, unknown> = creds,
    conn: Record<string, unknown> = {},
  ) {
    await helper.load(
      [configNode, reportNode, catchNode],
      [
        { ...cfg('venc'), ...conn },
        {
          id: 'rep',
          type: 'openadr3-report',
          vtn: 'venc',
          clientName: 'hpwh-1',
          resourceName: 'tank',
          maxIntervals: 96,
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
      credentials,
    );
    const rep = helper.getNode('rep');
    return {
      rep,
      out: helper.getNode('out'),
      caught: helper.getNode('caught'),
      statuses: recordStatuses(rep),
    };
  }

  it('report: samples arriving together make one report with every sample in it', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    const start = recentStartIso();
    const current = vtn.seed('events', {
      ...sampleEvent(),
      programID: program.id,
      intervalPeriod: { start, duration: 'PT1H' },
    });
    const { rep, out, statuses } = await loadReport();
    rep.receive({ payload: [current] });
    await waitFor(() => /answering event/.test(statuses.at(-1)?.text ?? ''), 3000, 'answering status');
    const results: Msg[] = [];
    out.on('input', (m: Msg) => results.push(m));
    rep.receive({ payload: telemetry('2026-02-17T19:00:00Z') });
    rep.receive({ payload: telemetry('2026-02-17T19:05:00Z') });
    rep.receive({ payload: telemetry('2026-02-17T19:10:00Z') });
    await waitFor(() => results.length === 3, 5000, 'three reports sent');
    assert.deepStrictEqual(
      results.map((r) => r.created),
      [true, false, false],
    );
    assert.strictEqual(vtn.store.reports.length, 1);
    assert.strictEqual(results[2].payload.resources[0].intervals.length, 3);
  });

  it('report: remembers the events it is sent, then creates and updates one report per event', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    const start = recentStartIso();
    const current = vtn.seed('events', {
      ...sampleEvent(),
      programID: program.id,
      intervalPeriod: { start, duration: 'PT1H' },
    });
    const old = vtn.seed('events', { ...sampleEvent(), eventName: 'old', programID: program.id });
    const { rep, out, statuses } = await loadReport();
    rep.receive({ payload: [old, current] }); // like openadr3-ven output 1
    await waitFor(
      () => /answering event etou-dyn-2026-02-17/.test(statuses.at(-1)?.text ?? ''),
      3000,
      'answering status',
    );
    let got = nextMessage<Msg>(out);
    rep.receive({ payload: telemetry('2026-02-17T19:00:00Z') });
    const first = await got;
    assert.strictEqual(first.created, true);
    assert.strictEqual(first.payload.eventID, current.id);
    assert.strictEqual(first.payload.programID, program.id);
    assert.strictEqual(first.payload.clientName, 'hpwh-1');
    assert.strictEqual(first.payload.resources[0].resourceName, 'tank');
    got = nextMessage<Msg>(out);
    rep.receive({ payload: telemetry('2026-02-17T19:05:00Z', 0) });
    const second = await got;
    assert.strictEqual(second.created, false);
    assert.strictEqual(second.payload.id, first.payload.id);
    assert.strictEqual(vtn.store.reports.length, 1);
    assert.strictEqual(second.payload.resources[0].intervals.length, 2);
    await waitFor(
      () => /updated report · 2 intervals/.test(statuses.at(-1)?.text ?? ''),
      3000,
      'updated status',
    );
    // msg.event overrides the remembered one.
    got = nextMessage<Msg>(out);
    rep.receive({ payload: telemetry('2026-02-17T19:10:00Z'), event: old });
    assert.strictEqual((await got).payload.eventID, old.id);
    assert.strictEqual(vtn.store.reports.length, 2);
  });

  it('report: keeps only a few open reports in memory; an older event gets its stored report back', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    const events = [0, 1, 2, 3, 4, 5].map((d) =>
      vtn.seed('events', { ...sampleEvent(), eventName: `day-${d}`, programID: program.id }),
    );
    const { rep, out } = await loadReport();
    const send = async (event: unknown, time: string): Promise<Msg> => {
      const got = nextMessage<Msg>(out);
      rep.receive({ payload: telemetry(time), event });
      return got;
    };
    const first = await send(events[0], '2026-02-17T19:00:00Z');
    // One new event a day (as the daily price event is): the first falls out of memory…
    for (const e of events.slice(1)) await send(e, '2026-02-17T19:05:00Z');
    assert.strictEqual(vtn.store.reports.length, 6);
    // …and a late sample for it adopts its stored report instead of creating a duplicate.
    const again = await send(events[0], '2026-02-17T19:10:00Z');
    assert.strictEqual(again.created, false);
    assert.strictEqual(again.payload.id, first.payload.id);
    assert.strictEqual(again.payload.resources[0].intervals.length, 2);
    assert.strictEqual(vtn.store.reports.length, 6);
  });

  it('report: bad telemetry and no event give errors that name the problem', async () => {
    const { rep, caught } = await loadReport();
    let err = nextMessage<Msg>(caught);
    rep.receive({ payload: telemetry('2026-02-17T19:00:00Z') });
    assert.match((await err).error.message, /no event to answer/);
    err = nextMessage<Msg>(caught);
    rep.receive({
      payload: { ...telemetry('2026-02-17T19:00:00Z'), powerW: 'lots' },
      eventID: 'e',
      programID: 'p',
    });
    assert.match((await err).error.message, /msg.payload.powerW must be a number or null/);
  });

  // An imported example has no credentials (Node-RED never exports them): the nodes wait for
  // them with a yellow status and drop messages quietly instead of an error per message.
  it('publish and report without credentials: yellow "enter client credentials", messages dropped, no errors, nothing sent', async () => {
    const program = vtn.seed('programs', { programName: 'tou' });
    const event = vtn.seed('events', { ...sampleEvent(), programID: program.id });
    const caughtAll: Msg[] = [];
    {
      const { pub, out, caught, statuses } = await loadPublish({}, {}, { name: 'my VTN' });
      caught.on('input', (m: Msg) => caughtAll.push(m));
      let outs = 0;
      out.on('input', () => outs++);
      // The deploy-time status was set before recordStatuses listened: read the status spy.
      assert.deepStrictEqual(firstStatus(pub), {
        fill: 'yellow',
        shape: 'ring',
        text: 'enter client credentials in "my VTN"',
      });
      for (let i = 0; i < 3; i++) pub.receive({ payload: sampleEvent() });
      await waitFor(() => /message dropped/.test(statuses.at(-1)?.text ?? ''), 3000, 'dropped status');
      await new Promise((r) => setTimeout(r, 200));
      assert.strictEqual(statuses.at(-1)?.fill, 'yellow');
      assert.strictEqual(outs, 0);
      await helper.unload();
    }
    {
      const { rep, out, caught, statuses } = await loadReport({});
      caught.on('input', (m: Msg) => caughtAll.push(m));
      let outs = 0;
      out.on('input', () => outs++);
      rep.receive({ payload: telemetry('2026-02-17T19:00:00Z'), event });
      await waitFor(() => /message dropped/.test(statuses.at(-1)?.text ?? ''), 3000, 'dropped status');
      assert.match(statuses.at(-1)?.text ?? '', /^enter client credentials/);
      await new Promise((r) => setTimeout(r, 200));
      assert.strictEqual(outs, 0);
    }
    assert.deepStrictEqual(caughtAll, []);
    assert.deepStrictEqual(vtn.log, [], 'nothing was sent to the VTN');
  });

  it('a connection broken in another way (no base URL) is still an error for every message', async () => {
    const { pub, caught, statuses } = await loadPublish({}, creds, { baseUrl: '' });
    assert.strictEqual(firstStatus(pub)?.fill, 'red');
    const err = nextMessage<Msg>(caught);
    pub.receive({ payload: sampleEvent() });
    assert.doesNotMatch((await err).error.message, /enter client credentials/);
    assert.strictEqual(statuses.at(-1)?.fill, 'red');
  });

  it('publish during a redeploy: the connection closing under it drops the message with a warning, no [error] line', async () => {
    // A connection with a pool of its own (TLS settings: here "allow unverified", over http) is
    // the one whose pool closes under a request: UND_ERR_DESTROYED before the fix.
    const { pub, caught } = await loadPublish({}, creds, { allowUnverified: true });
    const errors: string[] = [];
    const warnings: string[] = [];
    const debug: string[] = [];
    pub.on('call:error', (c: { args: unknown[] }) => errors.push(String(c.args[0])));
    pub.on('call:warn', (c: { args: unknown[] }) => warnings.push(String(c.args[0])));
    pub.on('call:debug', (c: { args: unknown[] }) => debug.push(String(c.args[0])));
    let caughtCount = 0;
    caught.on('input', () => caughtCount++);
    vtn.delayNext(500); // the token request: the connection closes while it is answered
    pub.receive({ payload: sampleEvent(), _msgid: 'redeploy-1' });
    await waitFor(() => vtn.log.length > 0 || debug.length > 0, 5000, 'the publish started');
    await new Promise((r) => setTimeout(r, 100));
    // The connection closes first, as in a full redeploy where it finishes before its users.
    await (helper.getNode('bl') as unknown as { close(removed: boolean): Promise<void> }).close(false);
    await waitFor(() => warnings.length > 0 || errors.length > 0, 5000, 'the message ended');
    assert.deepStrictEqual(errors, [], 'no error line');
    assert.strictEqual(caughtCount, 0, 'no Catch node saw an error');
    assert.strictEqual(warnings.length, 1);
    assert.match(warnings[0], /redeploy-1.*connection to the VTN was closed/);
    assert.ok(
      debug.some((l) => /^publishing event "/.test(l)),
      'what it sent, at debug',
    );
  });
});
