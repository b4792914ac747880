/**
 * MQTT push end to end in a real Node-RED: the pack's openadr3-vtn node (3.0.1 and 3.1.0 over one
 * store, publishing to a private Mosquitto), openadr3-publish writing prices through 3.0.1, and
 * openadr3-ven reading through 3.1.0 in push `auto` mode with an hourly poll. A republished day of
 * prices reaches the VEN's timeline only because the VTN's MQTT message made it re-read the events.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { PrivateBroker, requireBroker } from '../support/mqtt-broker';
import { type NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { freePort } from '../support/ports';
import { recordInGlobal } from '../support/probe-flow';
import { recentStartIso } from '../support/clock';

type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function dayOfPrices(price: number): Msg {
  const event = JSON.parse(fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8'));
  event.intervalPeriod.start = recentStartIso();
  event.intervals[0].payloads[0].values = [price];
  return event;
}

function flow(vtnPort: number, storePath: string, brokerUrl: string): unknown[] {
  const tab = 'tab-mqtt-push';
  const base = `http://127.0.0.1:${vtnPort}/openadr3`;
  const fn = (id: string, func: string, wires: string[][] = [[]]) => ({
    id,
    z: tab,
    type: 'function',
    func,
    outputs: 1,
    wires,
  });
  const conn = (id: string, url: string, clientId: string, clientSecret: string) => ({
    id,
    type: 'openadr3-vtn-config',
    baseUrl: url,
    authMode: 'oauth2',
    apiVersion: 'auto',
    retries: 1,
    timeoutS: 5,
    configVersion: 1,
    credentials: { clientId, clientSecret },
  });
  return [
    { id: tab, type: 'tab', label: 'mqtt push e2e' },
    {
      id: 'node-vtn',
      z: tab,
      type: 'openadr3-vtn',
      port: vtnPort,
      host: '127.0.0.1',
      basePath: '/openadr3/3.0.1',
      storeType: 'file',
      storePath,
      mqttUrl: brokerUrl,
      wires: [[]],
    },
    conn('conn-bl', `${base}/3.0.1`, 'bl_client', '1001'),
    conn('conn-ven', `${base}/3.1.0`, 'ven_client', '999'),
    { id: 'inject-day1', z: tab, type: 'inject', payload: '', payloadType: 'str', wires: [['day1']] },
    fn('day1', `msg.payload = ${JSON.stringify(dayOfPrices(0.111))}; return msg;`, [['node-publish']]),
    { id: 'inject-day2', z: tab, type: 'inject', payload: '', payloadType: 'str', wires: [['day2']] },
    fn('day2', `msg.payload = ${JSON.stringify(dayOfPrices(0.222))}; return msg;`, [['node-publish']]),
    {
      id: 'node-publish',
      z: tab,
      type: 'openadr3-publish',
      vtn: 'conn-bl',
      programName: 'mqtt-push-e2e',
      retentionDays: '',
      configVersion: 1,
      wires: [['rec-published']],
    },
    fn('rec-published', recordInGlobal('published', 'msg.action')),
    { id: 'inject-poll', z: tab, type: 'inject', payload: '', payloadType: 'date', wires: [['node-ven']] },
    {
      id: 'node-ven',
      z: tab,
      type: 'openadr3-ven',
      vtn: 'conn-ven',
      programName: 'mqtt-push-e2e',
      programID: '',
      pollIntervalS: 3600,
      payloadType: 'PRICE',
      push: 'auto',
      safetyPollS: '',
      configVersion: 2,
      wires: [[], ['rec-timeline']],
    },
    fn(
      'rec-timeline',
      recordInGlobal('timelines', '{ currentPrice: msg.currentPrice, slots: msg.payload.length }'),
    ),
    { id: 'node-status', z: tab, type: 'status', scope: ['node-ven'], wires: [['rec-status']] },
    fn('rec-status', recordInGlobal('statuses', 'msg.status.text')),
    { id: 'node-catch', z: tab, type: 'catch', scope: null, uncaught: false, wires: [['rec-errors']] },
    fn('rec-errors', recordInGlobal('errors', 'msg.error.message')),
    { id: 'probe-in', z: tab, type: 'http in', url: '/probe', method: 'get', wires: [['probe-read']] },
    fn(
      'probe-read',
      "msg.payload = { published: global.get('published') || [], timelines: global.get('timelines') || [], statuses: global.get('statuses') || [], errors: global.get('errors') || [] }; return msg;",
      [['probe-out']],
    ),
    { id: 'probe-out', z: tab, type: 'http response', wires: [] },
  ];
}

describe('e2e: openadr3-ven MQTT push in a real Node-RED', function () {
  this.timeout(120000);
  let red: NodeRedInstance | undefined;
  let broker: PrivateBroker | undefined;

  afterEach(async () => {
    await red?.stop();
    red = undefined;
    await broker?.dispose();
    broker = undefined;
  });

  it('a day published through 3.0.1 reaches a 3.1.0 VEN polling hourly, by MQTT push', async function () {
    await requireBroker(this); // the mosquitto binary; this test runs its own broker
    broker = new PrivateBroker(await freePort());
    await broker.start();
    red = await startNodeRed();
    // Node-RED logs "Started flows" for its empty start-up flows a little after it answers HTTP;
    // a deploy before that line would take it for its own start.
    await waitFor(() => /Started flows/.test(red!.log()), 30000, 'the start-up flows');
    const vtnPort = await freePort();
    await red.deploy(flow(vtnPort, path.join(red.userDir, 'vtn-mqtt.db'), broker.url));
    const probe = async (): Promise<Msg> => (await (await red!.get('/probe')).json()) as Msg;

    // The program must exist before the VEN can subscribe to its topics: publish, then ask the
    // VEN to poll (its own timer waits an hour).
    await red.inject('inject-day1');
    await waitFor(async () => (await probe()).published.length > 0, 20000, 'the first day published');
    await waitFor(
      async () => {
        await red!.inject('inject-poll');
        await new Promise((r) => setTimeout(r, 500));
        return (await probe()).timelines.find((t: Msg) => t.currentPrice === 0.111);
      },
      30000,
      'the first day in the timeline',
    );
    await waitFor(
      async () => (await probe()).statuses.some((s: string) => /· push mqtt/.test(s)),
      20000,
      'status "· push mqtt"',
    );

    await red.inject('inject-day2'); // replaces the event (same eventName)
    const pushed = await waitFor(
      async () => (await probe()).timelines.find((t: Msg) => t.currentPrice === 0.222),
      15000,
      'the republished day by push',
    );
    assert.strictEqual(pushed.slots > 0, true);
    assert.deepStrictEqual((await probe()).errors, []);
    assert.doesNotMatch(red.log(), /Unhandled|uncaughtException/i);
  });
});
