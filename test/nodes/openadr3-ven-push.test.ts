/**
 * openadr3-ven with push over MQTT, against the pack's own VTN (3.1.0 view) publishing to a real
 * Mosquitto: a new or changed pricing event arrives while the poll interval is an hour, an
 * unreachable broker means one warning and polling, a broker restart is caught up, and closing
 * the node ends its MQTT connection. Restarts use a private mosquitto on a free port.
 */
import assert from 'assert';
import crypto from 'crypto';
import mqtt from 'mqtt';
import { builtNode, helper, recordStatuses, TestNode } from '../support/node-helper';
import { PrivateBroker, requireBroker } from '../support/mqtt-broker';
import { waitFor } from '../support/node-red-process';
import { freePort } from '../support/ports';
import { startTestVtn, type TestVtn } from '../support/vtn-client';
import { recentStartIso } from '../support/clock';

const configNode = builtNode('openadr3-vtn-config');
const venNode = builtNode('openadr3-ven');

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const v31 = (t: TestVtn): string => t.url.replace(/\/openadr3\/3\.0\.1$/, '/openadr3/3.1.0');

function pricingEvent(programID: string, price: number): Obj {
  return {
    programID,
    eventName: 'prices',
    intervalPeriod: { start: recentStartIso(), duration: 'PT1H' },
    payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', currency: 'USD' }],
    intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [price] }] }],
  };
}

interface Got {
  timelines: Obj[];
  statuses: Array<{ fill?: string; shape?: string; text?: string }>;
  warnings: string[];
  errors: string[];
}

describe('nodes: openadr3-ven push over MQTT (real VTN and broker)', function () {
  this.timeout(60000);
  let t: TestVtn | undefined;
  let broker: PrivateBroker | undefined;

  afterEach(async () => {
    await helper.unload();
    await t?.close();
    t = undefined;
    await broker?.dispose();
    broker = undefined;
  });

  /** A BL client writing through 3.1.0, and a program of a name no parallel run shares. */
  async function setUp(vtn: TestVtn) {
    const token = await vtn.token('bl_client', '1001');
    const bl = async (method: string, path: string, body?: unknown): Promise<Obj> => {
      const res = await fetch(v31(vtn) + path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Obj;
    };
    const program = await bl('POST', '/programs', { programName: `push-${crypto.randomUUID()}` });
    return { bl, program };
  }

  async function load(vtn: TestVtn, programName: string, ven: Obj): Promise<{ node: TestNode; got: Got }> {
    await helper.load(
      [configNode, venNode],
      [
        {
          id: 'cfg',
          type: 'openadr3-vtn-config',
          baseUrl: v31(vtn),
          authMode: 'oauth2',
          retries: 0,
          timeoutS: 5,
        },
        {
          id: 'ven',
          type: 'openadr3-ven',
          configVersion: 2,
          vtn: 'cfg',
          programName,
          payloadType: 'PRICE',
          wires: [[], ['timeline']],
          ...ven,
        },
        { id: 'timeline', type: 'helper' },
      ],
      { cfg: { clientId: 'ven_client', clientSecret: '999' } },
    );
    const node = helper.getNode('ven');
    const got: Got = { timelines: [], statuses: recordStatuses(node), warnings: [], errors: [] };
    helper.getNode('timeline').on('input', (m: Obj) => got.timelines.push(m));
    node.on('call:warn', (c: { args: unknown[] }) => got.warnings.push(String(c.args[0])));
    node.on('call:error', (c: { args: unknown[] }) => got.errors.push(String(c.args[0])));
    return { node, got };
  }

  const priced = (got: Got, price: number) => () => got.timelines.find((m) => m.currentPrice === price);
  const pushUp = (got: Got) => () => /· push mqtt/.test(got.statuses.at(-1)?.text ?? '');

  it('auto: gets a new and a changed pricing event by MQTT push while polling hourly, and closes its MQTT client', async function () {
    await requireBroker(this); // the mosquitto binary; this test counts clients on its own broker
    broker = new PrivateBroker(await freePort(), ['sys_interval 1']);
    await broker.start();
    t = await startTestVtn({ mqtt: { url: broker.url } });
    const { bl, program } = await setUp(t);
    // Connected clients as the broker counts them: the VTN, this watcher, and the VEN when it is up.
    const watcher = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    let clients = -1;
    watcher.on('message', (_topic, payload) => (clients = Number(payload.toString())));
    await watcher.subscribeAsync('$SYS/broker/clients/connected');
    try {
      await waitFor(() => clients === 2, 10000, 'the VTN and the watcher on the broker');
      // auto: MQTT, because this VTN offers it.
      const { got } = await load(t, program.programName, { push: 'auto', pollIntervalS: 3600 });
      await waitFor(() => got.timelines.length > 0, 15000, 'the first timeline');
      await waitFor(pushUp(got), 15000, 'status "· push mqtt"');
      assert.strictEqual(got.statuses.at(-1)?.fill, 'green');
      await waitFor(() => clients === 3, 10000, 'the VEN on the broker');

      const event = await bl('POST', '/events', pricingEvent(program.id, 0.21));
      const first = await waitFor(priced(got, 0.21), 10000, 'the new event by push (no poll for an hour)');
      assert.strictEqual(first.payload.length, 1);
      await bl('PUT', `/events/${event.id}`, pricingEvent(program.id, 0.34));
      await waitFor(priced(got, 0.34), 10000, 'the changed event by push');
      assert.deepStrictEqual([got.warnings, got.errors], [[], []]);

      await helper.unload();
      await waitFor(() => clients === 2, 10000, 'the VEN’s MQTT connection to end on close');
    } finally {
      await watcher.endAsync(true);
    }
  });

  it('falls back to polling with one warning when the broker cannot be reached, and never crashes', async () => {
    const nobody = `mqtt://127.0.0.1:${await freePort()}`;
    t = await startTestVtn({ mqtt: { url: nobody, reconnectPeriodMs: 60000 } });
    const { bl, program } = await setUp(t);
    const { got } = await load(t, program.programName, { push: 'mqtt', pollIntervalS: 1 });
    await waitFor(() => got.warnings.some((w) => /MQTT push down/.test(w)), 15000, 'the warning');
    await bl('POST', '/events', pricingEvent(program.id, 0.55));
    await waitFor(priced(got, 0.55), 15000, 'the event by polling');
    await new Promise((r) => setTimeout(r, 2000)); // more polls and reconnect attempts
    const down = got.warnings.filter((w) => /MQTT push/.test(w));
    assert.strictEqual(down.length, 1, `warned once: ${JSON.stringify(got.warnings)}`);
    assert.match(down[0], /ECONNREFUSED/);
    assert.doesNotMatch(got.statuses.at(-1)?.text ?? '', /push/);
    assert.strictEqual(got.statuses.at(-1)?.fill, 'green', 'polling works: green');
    assert.deepStrictEqual(got.errors, []);
  });

  it('catches up after a broker restart: a change made while the broker was down arrives', async function () {
    await requireBroker(this); // the mosquitto binary; this test restarts its own instance
    broker = new PrivateBroker(await freePort());
    await broker.start();
    t = await startTestVtn({ mqtt: { url: broker.url, reconnectPeriodMs: 500 } });
    const { bl, program } = await setUp(t);
    const { got } = await load(t, program.programName, { push: 'mqtt', pollIntervalS: 3600 });
    await waitFor(pushUp(got), 15000, 'status "· push mqtt"');

    await broker.stop();
    await waitFor(() => got.warnings.some((w) => /MQTT push down/.test(w)), 15000, 'the warning');
    assert.doesNotMatch(got.statuses.at(-1)?.text ?? '', /push mqtt/, 'status no longer claims push');
    await bl('POST', '/events', pricingEvent(program.id, 0.77));
    await new Promise((r) => setTimeout(r, 1500)); // reconnection attempts refused meanwhile
    await broker.start();
    // The VEN's reconnection (5 s apart) and catch-up poll bring it in; the hourly poll cannot.
    await waitFor(priced(got, 0.77), 20000, 'the change made during the outage');
    await waitFor(pushUp(got), 10000, 'status "· push mqtt" again');
    assert.strictEqual(got.warnings.filter((w) => /MQTT push/.test(w)).length, 1, 'one warning per outage');
    assert.deepStrictEqual(got.errors, []);
  });

  it('auto on a 3.0.1 VTN polls without a word; mqtt on a VTN without a broker warns once', async () => {
    t = await startTestVtn();
    const { bl, program } = await setUp(t);
    await helper.load(
      [configNode, venNode],
      [
        { id: 'cfg', type: 'openadr3-vtn-config', baseUrl: t.url, authMode: 'oauth2', retries: 0 },
        {
          id: 'ven',
          type: 'openadr3-ven',
          configVersion: 2,
          vtn: 'cfg',
          programName: program.programName,
          push: 'auto',
          pollIntervalS: 1,
          wires: [[], ['timeline']],
        },
        { id: 'timeline', type: 'helper' },
      ],
      { cfg: { clientId: 'ven_client', clientSecret: '999' } },
    );
    const warnings: string[] = [];
    helper.getNode('ven').on('call:warn', (c: { args: unknown[] }) => warnings.push(String(c.args[0])));
    const timelines: Obj[] = [];
    helper.getNode('timeline').on('input', (m: Obj) => timelines.push(m));
    await bl('POST', '/events', pricingEvent(program.id, 0.42));
    await waitFor(() => timelines.find((m) => m.currentPrice === 0.42), 15000, 'the event by polling');
    assert.deepStrictEqual(warnings, []);
    await helper.unload();

    const { got } = await load(t, program.programName, { push: 'mqtt', pollIntervalS: 1 });
    await waitFor(() => got.timelines.length > 0, 15000, 'a timeline');
    await new Promise((r) => setTimeout(r, 2500)); // several polls: still one warning
    assert.deepStrictEqual(
      got.warnings.filter((w) => /MQTT/.test(w)),
      ['the VTN offers no MQTT notifier (3.0.1, or no broker configured): polling only'],
    );
  });

  it('a binding it cannot use (unknown broker authentication): one warning, then polling only', async () => {
    t = await startTestVtn({
      mqtt: { url: `mqtt://127.0.0.1:${await freePort()}`, venAuthentication: { method: 'KERBEROS' } },
    });
    const { bl, program } = await setUp(t);
    let notifierCalls = 0;
    // Count GET /notifiers: a middleware moved in front of the VTN's routes (Express 5 router).
    t.vtn.app.use((req, _res, next) => {
      if (req.path.endsWith('/notifiers')) notifierCalls++;
      next();
    });
    const { stack } = (t.vtn.app as unknown as { router: { stack: unknown[] } }).router;
    stack.unshift(stack.pop());
    const { got } = await load(t, program.programName, { push: 'auto', pollIntervalS: 1 });
    await bl('POST', '/events', pricingEvent(program.id, 0.66));
    await waitFor(priced(got, 0.66), 15000, 'the event by polling');
    await new Promise((r) => setTimeout(r, 2500)); // several polls
    assert.deepStrictEqual(
      got.warnings.filter((w) => /MQTT/.test(w)),
      [
        'MQTT push not set up (polling continues without it): MQTT authentication method KERBEROS is not supported',
      ],
    );
    assert.strictEqual(notifierCalls, 1, 'not asked again on every poll');
    assert.strictEqual(got.statuses.at(-1)?.fill, 'green');
  });

  it('refuses an unknown push mode and a config from a newer release with a red status', async () => {
    t = await startTestVtn();
    for (const [ven, why] of [
      [{ push: 'pigeon' }, /push must be one of none, webhook, mqtt, auto/],
      [{ configVersion: 3 }, /newer version of the node/],
    ] as const) {
      const { got } = await load(t, 'x', { pollIntervalS: 1, ...ven });
      await waitFor(() => got.statuses.length > 0, 5000, 'a status');
      assert.strictEqual(got.statuses.at(-1)?.fill, 'red');
      assert.match(got.statuses.at(-1)?.text ?? '', why);
      await helper.unload();
    }
  });
});
