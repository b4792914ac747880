/**
 * MQTT notifications against a real Mosquitto: the 3.1.0 topic layout, once per change and within
 * a second, per-VEN topics privacy-filtered, topic endpoints, and nothing lost over a broker restart.
 */
import assert from 'assert';
import { spawnSync } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import mqtt from 'mqtt';
import { freePort } from '../../support/ports';
import { createTestDatabase, requirePostgres } from '../../support/postgres';
import { listen, PrivateBroker, requireBroker, waitFor, type Received } from '../../support/mqtt-broker';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import { caller31, check31, type Caller } from '../../support/vtn31';

describe('VTN: MQTT notifications (3.1.0 topics, real broker)', function () {
  this.timeout(30000);
  let t: TestVtn | undefined;

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('publishes each change once, within 1 s, on the type, program and permitted VEN topics', async function () {
    const url = await requireBroker(this);
    // A prefix of our own: other runs may share the machine's broker.
    const prefix = `test-${crypto.randomUUID()}/OpenADR/3.1.0`;
    t = await startTestVtn({ mqtt: { url, prefix } });
    const call: Caller = caller31(t);
    const bl = await t.token('bl_client', '1001');
    const ven = await t.token('ven_client', '999');
    const sub = await listen(url, `${prefix}/#`);
    try {
      const notifiers = check31('listAllNotifiers', await call('GET', '/notifiers', ven), 200).body;
      assert.deepStrictEqual(notifiers.MQTT, {
        URIS: [url],
        serialization: 'JSON',
        authentication: { method: 'ANONYMOUS' },
      });
      const program = (await call('POST', '/programs', bl, { programName: 'mq' })).body;
      const venObj = (
        await call('POST', '/vens', bl, {
          objectType: 'BL_VEN_REQUEST',
          clientID: 'ven_client',
          venName: 'mq-ven',
          targets: ['group-a'],
        })
      ).body;
      const topics = check31(
        'listAllMqttNotifierTopicsVenEvents',
        await call('GET', `/notifiers/mqtt/topics/vens/${venObj.id}/events`, ven),
        200,
      ).body;
      assert.deepStrictEqual(topics.topics, {
        CREATE: `${prefix}/vens/${venObj.id}/events/create`,
        UPDATE: `${prefix}/vens/${venObj.id}/events/update`,
        DELETE: `${prefix}/vens/${venObj.id}/events/delete`,
        ALL: `${prefix}/vens/${venObj.id}/events/+`,
      });
      assert.strictEqual(
        (await call('GET', '/notifiers/mqtt/topics/events', ven)).status,
        403,
        'BL-only topic',
      );

      const before = sub.received.length;
      // When each change was committed (its REST answer): each message must arrive within 1 s of it.
      const madeAt = new Map<string, number>();
      const timed = async <T>(key: string, f: () => Promise<T>): Promise<T> => {
        const r = await f();
        madeAt.set(key, Date.now());
        return r;
      };
      const mine = (
        await timed('create for-a', () =>
          call('POST', '/events', bl, {
            programID: program.id,
            eventName: 'for-a',
            targets: ['group-a', 'group-secret'],
            intervalPeriod: { duration: 'PT1H' },
          }),
        )
      ).body;
      const other = (
        await timed('create for-b', () =>
          call('POST', '/events', bl, { programID: program.id, eventName: 'for-b', targets: ['group-b'] }),
        )
      ).body;
      await timed('delete for-a', () => call('DELETE', `/events/${mine.id}`, bl));
      const expected = [
        `${prefix}/events/create`,
        `${prefix}/programs/${program.id}/events/create`,
        `${prefix}/vens/${venObj.id}/events/create`,
        `${prefix}/events/create`,
        `${prefix}/programs/${program.id}/events/create`,
        `${prefix}/events/delete`,
        `${prefix}/programs/${program.id}/events/delete`,
        `${prefix}/vens/${venObj.id}/events/delete`,
      ];
      // Only the events' messages (the program's and ven's may still be arriving).
      const eventMessages = (): Received[] =>
        sub.received.slice(before).filter((m) => m.body.objectType === 'EVENT');
      await waitFor(() => eventMessages().length >= expected.length);
      await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up
      const got = eventMessages();
      assert.deepStrictEqual(
        got.map((m) => m.topic).sort(),
        [...expected].sort(),
        'each change once per topic; the VEN topic only for the event its targets allow',
      );
      for (const m of got) {
        const key = `${m.topic.endsWith('/delete') ? 'delete' : 'create'} ${m.body.eventName}`;
        const lag = m.at - madeAt.get(key)!;
        assert.ok(lag < 1000, `${m.topic} (${key}) arrived ${lag} ms after the change`);
      }
      const venCopy = got.find((m) => m.topic === `${prefix}/vens/${venObj.id}/events/create`)!.body;
      assert.deepStrictEqual([venCopy.id, venCopy.targets], [mine.id, ['group-a']], 'targets hidden per VEN');
      const full = got.find((m) => m.topic === `${prefix}/events/create` && m.body.id === other.id)!.body;
      assert.deepStrictEqual(full.targets, ['group-b'], 'objects are published in their 3.1.0 JSON');
    } finally {
      await sub.client.endAsync();
    }
  });

  it('two instances on one PostgreSQL database: each change published once, by the instance that made it', async function () {
    const url = await requireBroker(this);
    await requirePostgres(this);
    const db = await createTestDatabase();
    const prefix = `test-${crypto.randomUUID()}/OpenADR/3.1.0`;
    const a = await startTestVtn({ store: db.url, mqtt: { url, prefix } });
    const b = await startTestVtn({ store: db.url, mqtt: { url, prefix } });
    const sub = await listen(url, `${prefix}/programs/create`);
    try {
      const bl = await a.token('bl_client', '1001');
      await caller31(a)('POST', '/programs', bl, { programName: 'via-a' });
      await caller31(b)('POST', '/programs', bl, { programName: 'via-b' });
      await waitFor(() => sub.received.length >= 2);
      // Each instance hears the other's commit (LISTEN/NOTIFY) well within this: room for a copy.
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepStrictEqual(sub.received.map((m) => m.body.programName).sort(), ['via-a', 'via-b']);
    } finally {
      await sub.client.endAsync();
      await a.close();
      await b.close();
      await db.drop();
    }
  });

  it('a user and password in the broker URL: used to connect, never shown to VENs in GET /notifiers', async function () {
    await requireBroker(this); // the same mosquitto binary; this test runs its own instance
    // A broker that refuses anonymous clients; readable by the mosquitto user it may drop to as root.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosq-auth-'));
    fs.chmodSync(dir, 0o755);
    const pwFile = path.join(dir, 'passwords');
    const password = 'p@ss:w/rd'; // characters a URL must escape
    const made = spawnSync('mosquitto_passwd', ['-c', '-b', pwFile, 'vtn-user', password], {
      encoding: 'utf8',
    });
    assert.strictEqual(made.status, 0, made.stderr);
    fs.chmodSync(pwFile, 0o644);
    const broker = new PrivateBroker(await freePort(), ['allow_anonymous false', `password_file ${pwFile}`]);
    await broker.start();
    try {
      await assert.rejects(
        mqtt.connectAsync(broker.url, { reconnectPeriod: 0, connectTimeout: 3000 }),
        /Not authorized|not authori[sz]ed/i,
        'the broker really refuses a client without the password',
      );
      const withCredentials = new URL(broker.url);
      withCredentials.username = 'vtn-user';
      withCredentials.password = encodeURIComponent(password);
      t = await startTestVtn({ mqtt: { url: withCredentials.toString() } });
      const call = caller31(t);
      const ven = await t.token('ven_client', '999');
      const notifiers = check31('listAllNotifiers', await call('GET', '/notifiers', ven), 200).body;
      assert.deepStrictEqual(notifiers.MQTT.URIS, [broker.url], 'no credentials in what VENs are told');
      assert.ok(!JSON.stringify(notifiers).includes('vtn-user'), JSON.stringify(notifiers));
      const sub = await mqtt.connectAsync(broker.url, { username: 'vtn-user', password, reconnectPeriod: 0 });
      const got: string[] = [];
      sub.on('message', (_topic, payload) => got.push(JSON.parse(payload.toString()).programName));
      await sub.subscribeAsync('OpenADR/3.1.0/programs/create', { qos: 1 });
      try {
        await call('POST', '/programs', await t.token('bl_client', '1001'), { programName: 'authenticated' });
        await waitFor(() => got.length >= 1, 5000);
        assert.deepStrictEqual(got, ['authenticated'], "the VTN connected with the URL's user and password");
      } finally {
        await sub.endAsync(true);
      }
    } finally {
      await t?.close();
      t = undefined;
      await broker.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers changes made while the broker is down after it comes back, once each', async function () {
    await requireBroker(this); // the same mosquitto binary; this test runs its own instance
    const broker = new PrivateBroker(await freePort());
    await broker.start();
    try {
      // The VTN retries every second, the subscriber every 100 ms: the subscriber is back (and
      // subscribed) before the VTN sends what it queued, so nothing depends on broker sessions.
      t = await startTestVtn({ mqtt: { url: broker.url, reconnectPeriodMs: 1000 } });
      const call = caller31(t);
      const bl = await t.token('bl_client', '1001');
      // A persistent session: the broker keeps its subscription and queues for it across the restart.
      const sub = await listen(broker.url, 'OpenADR/3.1.0/programs/+', {
        clientId: `sub-${crypto.randomUUID()}`,
        clean: false,
        reconnectPeriod: 100,
      });
      try {
        await call('POST', '/programs', bl, { programName: 'before' });
        await waitFor(() => sub.received.length >= 1);
        await broker.stop();
        const during = (await call('POST', '/programs', bl, { programName: 'during' })).body;
        await broker.start();
        await call('POST', '/programs', bl, { programName: 'after' });
        await waitFor(() => sub.received.length >= 3, 8000);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepStrictEqual(
          sub.received.map((m) => `${m.topic} ${m.body.programName}`),
          [
            'OpenADR/3.1.0/programs/create before',
            'OpenADR/3.1.0/programs/create during',
            'OpenADR/3.1.0/programs/create after',
          ],
        );
        assert.strictEqual(sub.received[1].body.id, during.id);
      } finally {
        await sub.client.endAsync(true);
      }
    } finally {
      await t?.close();
      t = undefined;
      await broker.dispose();
    }
  });
});
