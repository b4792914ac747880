/**
 * The four OpenADR client nodes in a real Node-RED process against a fixture VTN (the product
 * VTN, openadr3-vtn, is tested with these nodes by the lead): publish a day of prices, the VEN
 * polls it into a timeline, and telemetry goes back as a report answering that event.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { FixtureVtn, startFixtureVtn } from '../support/fixture-vtn';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { recentStart, recentStartIso } from '../support/clock';

type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function recordInto(key: string, value = 'msg.payload'): string {
  return `const list = global.get('${key}') || []; list.push(${value}); global.set('${key}', list); return null;`;
}

function flow(
  vtnUrl: string,
  event: unknown,
  telemetry: unknown,
  venExtra: Record<string, unknown> = {},
): unknown[] {
  const tab = 'tab-openadr';
  const fn = (id: string, func: string, wires: string[][] = [[]]) => ({
    id,
    z: tab,
    type: 'function',
    func,
    outputs: 1,
    wires,
  });
  return [
    { id: tab, type: 'tab', label: 'openadr3 client e2e' },
    {
      id: 'conn-bl',
      type: 'openadr3-vtn-config',
      name: 'BL',
      baseUrl: vtnUrl,
      authMode: 'oauth2',
      apiVersion: 'auto',
      retries: 1,
      timeoutS: 5,
      configVersion: 1,
      credentials: { clientId: 'bl_client', clientSecret: '1001' },
    },
    {
      id: 'conn-ven',
      type: 'openadr3-vtn-config',
      name: 'VEN',
      baseUrl: vtnUrl,
      authMode: 'oauth2',
      apiVersion: 'auto',
      retries: 1,
      timeoutS: 5,
      configVersion: 1,
      credentials: { clientId: 'ven_client', clientSecret: '999' },
    },
    {
      id: 'inject-event',
      z: tab,
      type: 'inject',
      payload: JSON.stringify(event),
      payloadType: 'json',
      wires: [['node-publish']],
    },
    {
      id: 'node-publish',
      z: tab,
      type: 'openadr3-publish',
      vtn: 'conn-bl',
      programName: 'etou-dynamic-pricing',
      retentionDays: '',
      configVersion: 1,
      wires: [['rec-published']],
    },
    fn('rec-published', recordInto('published')),
    {
      id: 'node-ven',
      z: tab,
      type: 'openadr3-ven',
      vtn: 'conn-ven',
      programName: 'etou-dynamic-pricing',
      programID: '',
      pollIntervalS: 1,
      payloadType: 'PRICE',
      configVersion: 1,
      wires: [['node-report', 'rec-events'], ['rec-timeline']],
      ...venExtra,
    },
    fn('rec-events', recordInto('events')),
    fn('rec-timeline', recordInto('timelines', '{ payload: msg.payload, currentPrice: msg.currentPrice }')),
    {
      id: 'inject-telemetry',
      z: tab,
      type: 'inject',
      payload: JSON.stringify(telemetry),
      payloadType: 'json',
      wires: [['node-report']],
    },
    {
      id: 'node-report',
      z: tab,
      type: 'openadr3-report',
      vtn: 'conn-ven',
      clientName: 'hpwh-e2e',
      resourceName: 'tank',
      reportName: '',
      eventID: '',
      maxIntervals: 96,
      configVersion: 1,
      wires: [['rec-report']],
    },
    fn('rec-report', recordInto('reports')),
    { id: 'node-catch', z: tab, type: 'catch', scope: null, uncaught: false, wires: [['rec-errors']] },
    fn('rec-errors', recordInto('errors', 'msg.error.message')),
    { id: 'probe-in', z: tab, type: 'http in', url: '/probe', method: 'get', wires: [['probe-read']] },
    fn(
      'probe-read',
      "msg.payload = { published: global.get('published') || [], events: global.get('events') || [], timelines: global.get('timelines') || [], reports: global.get('reports') || [], errors: global.get('errors') || [] }; return msg;",
      [['probe-out']],
    ),
    { id: 'probe-out', z: tab, type: 'http response', wires: [] },
  ];
}

describe('e2e: openadr3 publish → VTN → ven timeline → report, in a real Node-RED', function () {
  this.timeout(90000);
  let red: NodeRedInstance | undefined;
  let vtn: FixtureVtn | undefined;

  afterEach(async () => {
    await red?.stop();
    await vtn?.stop();
    red = undefined;
    vtn = undefined;
  });

  it('publishes a day of prices, polls it into a timeline, and reports telemetry against the event', async () => {
    vtn = await startFixtureVtn({
      mode: 'reference',
      clients: { bl_client: '1001', ven_client: '999' },
    });
    const event = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8'),
    );
    const hour = recentStart();
    event.intervalPeriod.start = new Date(hour).toISOString();
    const telemetry = {
      time: new Date().toISOString(),
      operatingState: 'IdleNormal',
      energyTakeWh: 800,
      energyStoredWh: 3200,
      capacityWh: 4000,
      powerW: 0,
      customerOverride: false,
      device: { vendor: 'sim' },
    };
    red = await startNodeRed();
    await red.deploy(flow(vtn.url, event, telemetry));
    const probe = async (): Promise<Msg> => (await (await red!.get('/probe')).json()) as Msg;

    await red.inject('inject-event');
    const published = await waitFor(
      async () => (await probe()).published[0],
      15000,
      'the event to be published',
    );
    assert.strictEqual(vtn.store.programs[0].programName, 'etou-dynamic-pricing');
    assert.strictEqual(published.programID, vtn.store.programs[0].id);

    const timeline = await waitFor(
      async () => (await probe()).timelines.find((t: Msg) => t.payload.length === 13),
      15000,
      'a 13-slot timeline',
    );
    assert.strictEqual(timeline.currentPrice, 0.12097);
    assert.strictEqual(timeline.payload[0].start, new Date(hour).toISOString());
    assert.strictEqual(timeline.payload[0].eventID, published.id);
    await waitFor(async () => (await probe()).events.length > 0, 10000, 'events on output 1');

    await red.inject('inject-telemetry');
    const report = await waitFor(async () => (await probe()).reports[0], 15000, 'a stored report');
    assert.strictEqual(report.eventID, published.id);
    assert.strictEqual(report.clientName, 'hpwh-e2e');
    const payloads = report.resources[0].intervals[0].payloads;
    assert.deepStrictEqual(payloads.find((p: Msg) => p.type === 'OPERATING_STATE').values, ['IDLE_NORMAL']);
    assert.deepStrictEqual(payloads.find((p: Msg) => p.type === 'STORAGE_CHARGE_LEVEL').values, [80]);
    assert.strictEqual(vtn.store.reports.length, 1);
    assert.deepStrictEqual((await probe()).errors, []);

    // The VTN goes away: Node-RED keeps running, and the VEN recovers when it is back.
    const port = vtn.port;
    await vtn.stop();
    await new Promise((r) => setTimeout(r, 2500));
    assert.strictEqual(red.exited(), false);
    await vtn.start();
    assert.strictEqual(vtn.port, port);
    const before = vtn.log.length;
    await waitFor(
      () => vtn!.log.slice(before).some((r) => r.path === '/events' && r.status === 200),
      10000,
      'polling to resume',
    );
    assert.doesNotMatch(red.log(), /Unhandled|uncaughtException/i);
  });

  it('optional push: registers the VEN, subscribes with a webhook, and polls at once on a notification', async () => {
    vtn = await startFixtureVtn({ clients: { bl_client: '1001', ven_client: '999' } });
    const event = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8'),
    );
    event.intervalPeriod.start = recentStartIso();
    vtn.seed('programs', { programName: 'etou-dynamic-pricing' });
    red = await startNodeRed();
    // Polling once an hour: only a push can bring the new event in within the test.
    await red.deploy(
      flow(
        vtn.url,
        event,
        {},
        {
          pollIntervalS: 3600,
          webhook: true,
          callbackBase: red.url,
          venName: 'hpwh-ven-1',
          resourceName: 'tank',
        },
      ),
    );
    const probe = async (): Promise<Msg> => (await (await red!.get('/probe')).json()) as Msg;
    await waitFor(() => vtn!.store.subscriptions.length === 1, 15000, 'the subscription');
    const sub = vtn.store.subscriptions[0] as Msg;
    assert.strictEqual(sub.clientName, 'hpwh-ven-1');
    assert.strictEqual(sub.objectOperations[0].callbackUrl, `${red.url}/openadr3-ven/node-ven/notify`);
    assert.strictEqual(vtn.store.vens[0].venName, 'hpwh-ven-1');
    assert.strictEqual(vtn.store.resources[0].resourceName, 'tank');
    const first = (await probe()).timelines.length;

    await red.inject('inject-event');
    const timeline = await waitFor(
      async () => (await probe()).timelines.slice(first).find((t: Msg) => t.payload.length === 13),
      10000,
      'a timeline pushed by the notification',
    );
    assert.strictEqual(timeline.currentPrice, 0.12097);
    assert.ok(vtn.notifications.some((n) => n.status === 200));

    // A caller without the bearer token is refused.
    const forged = await fetch(sub.objectOperations[0].callbackUrl, { method: 'POST', body: '{}' });
    assert.strictEqual(forged.status, 401);

    // Redeploying without the node deletes the subscription.
    await red.deploy([{ id: 'tab-empty', type: 'tab', label: 'empty' }]);
    await waitFor(() => vtn!.store.subscriptions.length === 0, 10000, 'the subscription to be deleted');
  });

  it('examples/openadr3-client.json deploys and works as imported (once pointed at a VTN with credentials)', async () => {
    vtn = await startFixtureVtn({ mode: 'reference', clients: { bl_client: '1001', ven_client: '999' } });
    const example = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'examples', 'openadr3-client.json'), 'utf8'),
    ) as Msg[];
    const creds: Record<string, Msg> = {
      'ex-conn-bl': { clientId: 'bl_client', clientSecret: '1001' },
      'ex-conn-ven': { clientId: 'ven_client', clientSecret: '999' },
    };
    // What a user does after importing: point the connections at the VTN and enter credentials.
    const flows = example.map((n) =>
      n.type === 'openadr3-vtn-config' ? { ...n, baseUrl: vtn!.url, credentials: creds[n.id] } : n,
    );
    red = await startNodeRed();
    await red.deploy(flows);
    // The example moves the day to the top of the current hour, whichever hour that was.
    const hourOf = (ms: number) => new Date(Math.floor(ms / 3600000) * 3600000).toISOString();
    const injected = Date.now();
    await red.inject('ex-inject-day');
    await waitFor(() => vtn!.store.events.length === 1, 15000, 'the example to publish');
    const stored = vtn.store.events[0] as Msg;
    assert.ok(
      [hourOf(injected), hourOf(Date.now())].includes(stored.intervalPeriod.start),
      stored.intervalPeriod.start,
    );
    await red.inject('ex-inject-poll');
    await waitFor(
      () => vtn!.log.some((r) => r.path === '/events' && r.status === 200 && r.auth),
      10000,
      'the VEN to poll',
    );
    // The report node learns the event from the VEN's output 1; give that message a moment.
    await waitFor(
      async () => {
        await red!.inject('ex-inject-telemetry');
        await new Promise((r) => setTimeout(r, 300));
        return vtn!.store.reports.length > 0;
      },
      15000,
      'a report',
    );
    assert.strictEqual((vtn.store.reports[0] as Msg).eventID, stored.id);
    assert.strictEqual(red.exited(), false);
  });
});
