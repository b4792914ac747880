/**
 * VEN MQTT push (src/openadr/client/push-mqtt.ts) against the pack's own VTN publishing to a real
 * Mosquitto: discovery, the broker options each authentication method gives, a change arriving as
 * one debounced callback, a broker that is not there, and the catch-up after a broker restart
 * (a private mosquitto on a free port, never the shared one).
 */
import assert from 'assert';
import crypto from 'crypto';
import mqtt from 'mqtt';
import {
  brokerOptions,
  createVenClient,
  discoverNotifiers,
  startMqttPush,
  type MqttPush,
  type MqttPushState,
  type VenClient,
} from '../../../src/openadr/client';
import { PrivateBroker, requireBroker, waitFor } from '../../support/mqtt-broker';
import { freePort } from '../../support/ports';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const v31 = (t: TestVtn): string => t.url.replace(/\/openadr3\/3\.0\.1$/, '/openadr3/3.1.0');
const venClient = (t: TestVtn): VenClient =>
  createVenClient({
    baseUrl: v31(t),
    auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
    retries: 0,
  });

interface Recorder {
  changes: string[];
  states: MqttPushState[];
}
const recorder = (): Recorder => ({ changes: [], states: [] });

describe('VEN client: MQTT push (real VTN and broker)', function () {
  this.timeout(40000);
  let t: TestVtn | undefined;
  let push: MqttPush | undefined;
  let broker: PrivateBroker | undefined;

  afterEach(async () => {
    await push?.close();
    push = undefined;
    await t?.close();
    t = undefined;
    await broker?.dispose();
    broker = undefined;
  });

  /** A BL writes through 3.1.0; the program name is unique so parallel runs never meet. */
  async function blCaller(vtn: TestVtn) {
    const base = v31(vtn);
    const token = await vtn.token('bl_client', '1001');
    return async (method: string, path: string, body?: unknown): Promise<Obj> => {
      const res = await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as Obj;
    };
  }

  describe('discovery and broker options', () => {
    it('does not ask a 3.0.1 VTN, and finds no MQTT on a 3.1.0 VTN without a broker', async () => {
      t = await startTestVtn();
      let asked = 0;
      const c301 = createVenClient({
        baseUrl: t.url,
        fetch: (...args) => {
          asked++;
          return fetch(...args);
        },
      });
      assert.strictEqual(await discoverNotifiers(c301), undefined);
      assert.strictEqual(asked, 0, '3.0.1 has no /notifiers: nothing is sent');
      const c = venClient(t);
      assert.deepStrictEqual(await discoverNotifiers(c), { WEBHOOK: true });
      const r = recorder();
      const p = await startMqttPush({ client: c, programID: '1', onChange: (why) => r.changes.push(why) });
      assert.strictEqual(p, undefined, 'no MQTT binding: the caller keeps polling');
    });

    it('a VTN without /notifiers (404) means polling; a VTN that is down is an error to retry', async () => {
      const c = createVenClient({
        baseUrl: 'http://127.0.0.1:9/openadr3/3.1.0',
        retries: 0,
        fetch: async () => new Response('{"title":"Not Found"}', { status: 404 }),
      });
      assert.strictEqual(await discoverNotifiers(c), undefined);
      const down = createVenClient({ baseUrl: `http://127.0.0.1:${await freePort()}/3.1.0`, retries: 0 });
      await assert.rejects(discoverNotifiers(down), /cannot reach the VTN/);
    });

    it('maps each authentication method onto mqtt.js options, and refuses what it cannot use', () => {
      const uris = ['https://not-a-broker', 'mqtts://broker.example:8883'];
      assert.deepStrictEqual(brokerOptions({ URIS: uris, serialization: 'JSON' }, {}), {
        url: 'mqtts://broker.example:8883',
        options: {},
        bearer: false,
      });
      const bearer = brokerOptions(
        { URIS: uris, authentication: { method: 'OAUTH2_BEARER_TOKEN', username: '{clientID}' } },
        { clientID: 'ven-7' },
      );
      assert.deepStrictEqual([bearer.options.username, bearer.bearer], ['ven-7', true]);
      const literal = brokerOptions(
        { URIS: uris, authentication: { method: 'OAUTH2_BEARER_TOKEN', username: 'openadr' } },
        { clientID: 'ven-7' },
      );
      assert.strictEqual(literal.options.username, 'openadr');
      const cert = brokerOptions(
        {
          URIS: uris,
          authentication: { method: 'CERTIFICATE', caCert: 'CA', clientCert: 'CERT', clientKey: 'KEY' },
        },
        {},
      );
      assert.deepStrictEqual([cert.options.ca, cert.options.cert, cert.options.key], ['CA', 'CERT', 'KEY']);
      assert.throws(() => brokerOptions({ URIS: ['http://x'] }, {}), /no usable broker URI/);
      assert.throws(() => brokerOptions({ URIS: uris, serialization: 'XML' }, {}), /only JSON/);
      assert.throws(
        () => brokerOptions({ URIS: uris, authentication: { method: 'KERBEROS' } }, {}),
        /KERBEROS is not supported/,
      );
      assert.throws(
        () => brokerOptions({ URIS: uris, authentication: { method: 'OAUTH2_BEARER_TOKEN' } }, {}),
        /connects anonymously/,
      );
      assert.throws(
        () => brokerOptions({ URIS: uris, authentication: { method: 'CERTIFICATE' } }, {}),
        /wants a client certificate: set one in the VTN connection's TLS configuration/,
      );
    });

    it('OAUTH2_BEARER_TOKEN: connects with the client id as username and a VTN token as password', async function () {
      const url = await requireBroker(this);
      const prefix = `test-${crypto.randomUUID()}/OpenADR/3.1.0`;
      t = await startTestVtn({
        mqtt: { url, prefix, venAuthentication: { method: 'OAUTH2_BEARER_TOKEN', username: '{clientID}' } },
      });
      const bl = await blCaller(t);
      const program = await bl('POST', '/programs', { programName: `p-${crypto.randomUUID()}` });
      const c = venClient(t);
      const seen: mqtt.IClientOptions[] = [];
      const r = recorder();
      push = await startMqttPush({
        client: c,
        programID: String(program.id),
        onChange: (why) => r.changes.push(why),
        onState: (s) => r.states.push(s),
        connect: (u, o) => {
          seen.push(o);
          return mqtt.connect(u, o);
        },
      });
      assert.ok(push);
      await waitFor(() => r.changes.length > 0, 10000);
      assert.strictEqual(seen[0].username, 'ven_client');
      const check = await fetch(`${v31(t)}/programs`, {
        headers: { authorization: `Bearer ${String(seen[0].password)}` },
      });
      assert.strictEqual(check.status, 200, 'the password is a token the VTN accepts');
    });
  });

  it('subscribes to the program’s event topics and reports a change as one debounced callback', async function () {
    const url = await requireBroker(this);
    const prefix = `test-${crypto.randomUUID()}/OpenADR/3.1.0`;
    t = await startTestVtn({ mqtt: { url, prefix } });
    const bl = await blCaller(t);
    const program = await bl('POST', '/programs', { programName: `p-${crypto.randomUUID()}` });
    const other = await bl('POST', '/programs', { programName: `q-${crypto.randomUUID()}` });
    const r = recorder();
    push = await startMqttPush({
      client: venClient(t),
      programID: String(program.id),
      onChange: (why) => r.changes.push(why),
      onState: (s) => r.states.push(s),
      // Long enough that five quick writes are one burst even on a busy machine.
      debounceMs: 1500,
      maxDelayMs: 5000,
    });
    assert.ok(push);
    assert.deepStrictEqual(
      [...push.topics].sort(),
      [`${prefix}/programs/${program.id}/+`, `${prefix}/programs/${program.id}/events/+`].sort(),
    );
    await waitFor(() => r.changes.length > 0, 10000);
    assert.deepStrictEqual(r.changes, ['subscribed'], 'one catch-up after subscribing');
    assert.deepStrictEqual(r.states.at(-1), { active: true });

    // Another program's event is not ours.
    await bl('POST', '/events', { programID: other.id, eventName: 'theirs' });
    const event = await bl('POST', '/events', {
      programID: program.id,
      eventName: 'price',
      intervalPeriod: { start: new Date().toISOString(), duration: 'PT1H' },
      intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] }],
    });
    for (let i = 2; i <= 5; i++)
      await bl('PUT', `/events/${event.id}`, {
        ...event,
        intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [i / 10] }] }],
      });
    await waitFor(() => r.changes.length > 1, 10000);
    await new Promise((res) => setTimeout(res, 2500)); // room for more callbacks to show up
    assert.deepStrictEqual(r.changes, ['subscribed', 'message'], 'five changes, one refresh');
    await push.close();
    push = undefined;
  });

  it('a broker that is not there: inactive with the reason, no callbacks, closes cleanly', async () => {
    const port = await freePort();
    t = await startTestVtn({ mqtt: { url: `mqtt://127.0.0.1:${port}`, reconnectPeriodMs: 60000 } });
    const bl = await blCaller(t);
    const program = await bl('POST', '/programs', { programName: `p-${crypto.randomUUID()}` });
    const r = recorder();
    push = await startMqttPush({
      client: venClient(t),
      programID: String(program.id),
      onChange: (why) => r.changes.push(why),
      onState: (s) => r.states.push(s),
      reconnectPeriodMs: 500,
    });
    assert.ok(push);
    await waitFor(() => r.states.length > 0, 10000);
    assert.strictEqual(r.states[0].active, false);
    assert.match(r.states[0].error ?? '', /ECONNREFUSED/);
    await new Promise((res) => setTimeout(res, 1500)); // several reconnect attempts
    assert.strictEqual(r.states.length, 1, 'the same failure is reported once');
    assert.deepStrictEqual(r.changes, []);
  });

  it('after a broker restart: resubscribes and asks for one catch-up, then gets messages again', async function () {
    await requireBroker(this); // the same mosquitto binary; this test runs its own instance
    broker = new PrivateBroker(await freePort());
    await broker.start();
    t = await startTestVtn({ mqtt: { url: broker.url, reconnectPeriodMs: 500 } });
    const bl = await blCaller(t);
    const program = await bl('POST', '/programs', { programName: `p-${crypto.randomUUID()}` });
    const r = recorder();
    push = await startMqttPush({
      client: venClient(t),
      programID: String(program.id),
      onChange: (why) => r.changes.push(why),
      onState: (s) => r.states.push(s),
      reconnectPeriodMs: 300,
      debounceMs: 50,
    });
    assert.ok(push);
    await waitFor(() => r.changes.length === 1, 10000);
    await bl('POST', '/events', { programID: program.id, eventName: 'before' });
    await waitFor(() => r.changes.length === 2, 10000);
    assert.deepStrictEqual(r.changes, ['subscribed', 'message']);

    await broker.stop();
    await waitFor(() => push!.state().active === false, 10000);
    assert.strictEqual(push.state().active, false);
    // Made while the VEN cannot hear: only the catch-up can bring it in.
    await bl('POST', '/events', { programID: program.id, eventName: 'during' });
    await broker.start();
    await waitFor(() => r.changes.length >= 3, 15000);
    assert.strictEqual(r.changes[2], 'subscribed', 'a catch-up after resubscribing');
    assert.deepStrictEqual(push.state(), { active: true });
    const n = r.changes.length;
    await bl('POST', '/events', { programID: program.id, eventName: 'after' });
    await waitFor(() => r.changes.length > n, 10000);
    assert.strictEqual(r.changes.at(-1), 'message', 'subscribed again: messages arrive');
  });
});
