/**
 * The VEN session without Node-RED: polling on its own timer, webhook push against the pack's
 * own VTN (a real subscription and real callbacks), fallbacks to polling when push is not
 * available, the safety poll while MQTT is up, and a clean close.
 */
import assert from 'assert';
import crypto from 'crypto';
import http from 'http';
import type { AddressInfo } from 'net';
import {
  createPricePoller,
  createVenClient,
  VenSession,
  type MqttPushState,
  type PollResult,
  type PushProblem,
  type PushState,
  type VenClient,
  type VenSessionOptions,
} from '../../../src/openadr/client';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import { waitFor } from '../../support/node-red-process';
import { recentStartIso } from '../../support/clock';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('unit: VEN session (poll, push, fallbacks) against the pack’s VTN', function () {
  this.timeout(30_000);
  let t: TestVtn;
  let session: VenSession | undefined;
  let hook: http.Server | undefined;
  let blToken: string;
  let programName: string;
  let programID: string;
  let client: VenClient;

  const bl = async (method: string, path: string, body?: unknown): Promise<Obj> => {
    const r = await t.call(method, path, blToken, body);
    assert.ok(r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
    return r.body as Obj;
  };
  const addEvent = (price: number): Promise<Obj> =>
    bl('POST', '/events', {
      programID,
      eventName: `prices-${price}`,
      intervalPeriod: { start: recentStartIso(), duration: 'PT1H' },
      payloadDescriptors: [{ objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'PRICE', currency: 'USD' }],
      intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [price] }] }],
    });

  beforeEach(async () => {
    t = await startTestVtn();
    blToken = await t.token('bl_client', '1001');
    programName = `session-${crypto.randomUUID()}`;
    programID = String((await bl('POST', '/programs', { programName })).id);
    client = createVenClient({
      baseUrl: t.url,
      auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
      retries: 0,
    });
  });
  afterEach(async () => {
    await session?.close();
    session = undefined;
    await new Promise((r) => (hook ? hook.close(r) : r(undefined)));
    hook = undefined;
    await client.close();
    await t.close();
  });

  interface Seen {
    results: PollResult[];
    errors: unknown[];
    problems: PushProblem[];
    states: PushState[];
    logs: string[];
  }
  function start(options: Partial<VenSessionOptions>): Seen {
    const seen: Seen = { results: [], errors: [], problems: [], states: [], logs: [] };
    session = new VenSession({
      client,
      poller: createPricePoller({ client, programName }),
      pushMode: 'none',
      pollMs: 60_000,
      safetyMs: 600_000,
      onResult: (r) => seen.results.push(r),
      onError: (err) => {
        seen.errors.push(err);
        return true;
      },
      onProblem: (p) => seen.problems.push(p),
      onPushState: (s) => seen.states.push(s),
      log: (level, message) => seen.logs.push(`${level}: ${message}`),
      ...options,
    });
    session.start();
    return seen;
  }

  it('polls at once and then every pollMs, single flight; push off', async () => {
    await addEvent(0.2);
    const seen = start({ pollMs: 100 });
    assert.strictEqual(session!.pushState, 'off');
    await waitFor(() => seen.results.length >= 3, 5000);
    assert.strictEqual(seen.results[0].timeline.currentPrice, 0.2);
    assert.strictEqual(seen.results[0].eventsChanged, true);
    assert.strictEqual(seen.results[1].eventsChanged, false);
    assert.strictEqual(session!.periodMs, 100);
    // Two fresh requests at once: the second waits for the first and polls anew.
    const before = seen.results.length;
    const [a, b] = await Promise.all([
      session!.poll({ force: true, fresh: true }),
      session!.poll({ force: true, fresh: true }),
    ]);
    assert.ok(a && b && a !== b);
    assert.ok(seen.results.length >= before + 2);
    assert.ok(
      seen.logs.some((l) => /^debug: session: poll ok/.test(l)),
      'debug lines go to the log hook',
    );
  });

  it('webhook: subscribes after the first poll, polls when the VTN calls, drops the subscription on close', async () => {
    let calls = 0;
    hook = http.createServer((req, res) => {
      req.resume();
      calls++;
      res.end('{}');
      void session?.notify();
    });
    await new Promise<void>((r) => hook!.listen(0, '127.0.0.1', () => r()));
    const port = (hook.address() as AddressInfo).port;
    const seen = start({
      pushMode: 'webhook',
      webhook: {
        configured: true,
        callbackUrl: `http://127.0.0.1:${port}/notify`,
        venName: 'session-ven',
        registerVen: false,
        bearerToken: 'secret-token',
      },
    });
    await waitFor(() => session!.pushState === 'webhook', 5000);
    assert.ok(session!.subscription);
    assert.deepStrictEqual(seen.states, ['webhook']);
    const subs = await bl('GET', '/subscriptions');
    assert.strictEqual(subs.length, 1);
    assert.strictEqual(subs[0].programID, programID);
    // A new event: the VTN calls back, the session polls (the poll interval is a minute).
    await addEvent(0.3);
    await waitFor(() => seen.results.some((r) => r.timeline.currentPrice === 0.3), 5000);
    assert.ok(calls >= 1);
    // A redeploy stops the node and then, in the same tick, its connection: the delete that
    // began first still reaches the VTN; a request begun after the close is refused as 'closed'.
    const stopping = session!.close();
    const closingClient = client.close();
    await assert.rejects(client.getPrograms(), (e: { kind?: string }) => e.kind === 'closed');
    await Promise.all([stopping, closingClient]);
    assert.strictEqual(session!.pushState, 'closed');
    assert.deepStrictEqual(await bl('GET', '/subscriptions'), [], 'the subscription was dropped');
  });

  it('webhook without a usable callback base: says why once, keeps polling', async () => {
    await addEvent(0.4);
    const seen = start({
      pushMode: 'webhook',
      pollMs: 100,
      webhook: {
        configured: true,
        callbackUrl: undefined,
        callbackProblem: 'set a callback base URL',
        venName: 'v',
        registerVen: false,
        bearerToken: 'x',
      },
    });
    await waitFor(() => seen.results.length >= 3, 5000);
    assert.deepStrictEqual(seen.problems, [{ kind: 'webhookNotSetUp', error: 'set a callback base URL' }]);
    assert.strictEqual(session!.pushState, 'polling');
    assert.strictEqual(session!.periodMs, 100);
  });

  it('mqtt on a 3.0.1 VTN (no notifier): says so once and polls; auto stays silent', async () => {
    const seen = start({ pushMode: 'mqtt', pollMs: 100 });
    await waitFor(() => seen.results.length >= 3, 5000);
    assert.deepStrictEqual(seen.problems, [{ kind: 'noMqtt' }]);
    assert.strictEqual(session!.pushState, 'polling');
    await session!.close();
    const quiet = start({ pushMode: 'auto', pollMs: 100 });
    await waitFor(() => quiet.results.length >= 2, 5000);
    assert.deepStrictEqual(quiet.problems, []);
    assert.strictEqual(session!.pushState, 'polling');
  });

  it('MQTT up: safety poll period; down: poll period and one warning per outage; closes MQTT', async () => {
    let onState: ((s: MqttPushState) => void) | undefined;
    let onChange: (() => void) | undefined;
    let closed = 0;
    const seen = start({
      pushMode: 'mqtt',
      pollMs: 200,
      safetyMs: 60_000,
      // The broker is the edge of the world here; the node tests use a real one.
      startMqttPush: async (o) => {
        onState = o.onState;
        onChange = () => o.onChange('message');
        return {
          url: 'mqtt://broker',
          topics: [],
          state: () => ({ active: false }),
          close: async () => void closed++,
        };
      },
    });
    await waitFor(() => onState !== undefined, 5000);
    assert.strictEqual(session!.pushState, 'pending', 'connecting');
    onState!({ active: true });
    assert.strictEqual(session!.pushState, 'mqtt');
    assert.strictEqual(session!.periodMs, 60_000);
    const polls = seen.results.length;
    await new Promise((r) => setTimeout(r, 600));
    assert.strictEqual(seen.results.length, polls, 'no poll at the 200 ms interval while MQTT is up');
    await addEvent(0.5);
    onChange!();
    await waitFor(() => seen.results.some((r) => r.timeline.currentPrice === 0.5), 5000);
    onState!({ active: false, error: 'connection lost' });
    onState!({ active: false, error: 'connection refused' });
    assert.strictEqual(session!.pushState, 'mqtt-down');
    assert.strictEqual(session!.periodMs, 200);
    const down = seen.results.length;
    await waitFor(() => seen.results.length >= down + 2, 5000);
    assert.deepStrictEqual(seen.problems, [{ kind: 'mqttDown', error: 'connection lost', seconds: 0.2 }]);
    onState!({ active: true });
    assert.deepStrictEqual(seen.states, ['mqtt', 'mqtt-down', 'mqtt']);
    await session!.close();
    assert.strictEqual(closed, 1);
  });
});
