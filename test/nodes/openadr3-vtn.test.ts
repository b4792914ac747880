import assert from 'assert';
import net from 'net';
import {
  builtNode,
  helper,
  inLanguage,
  nextMessage,
  recordStatuses,
  type TestNode,
} from '../support/node-helper';
import { listen, requireBroker } from '../support/mqtt-broker';
import { freePort } from '../support/ports';
import { createTestDatabase, requirePostgres } from '../support/postgres';
import { startPrivatePostgres } from '../support/private-postgres';

const vtnNode = builtNode('openadr3-vtn');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

async function token(base: string, id: string, secret: string): Promise<string> {
  const r = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}`,
  });
  return ((await r.json()) as { access_token: string }).access_token;
}

async function until(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('nodes: openadr3-vtn', () => {
  let port: number;
  let base: string;
  beforeEach(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}/openadr3/3.0.1`;
  });
  afterEach(() => helper.unload());

  const flow = (extra: Record<string, unknown> = {}) => [
    {
      id: 'vtn1',
      type: 'openadr3-vtn',
      port,
      host: '127.0.0.1',
      storeType: 'memory',
      wires: [['out1']],
      ...extra,
    },
    { id: 'out1', type: 'helper' },
  ];

  it('serves the API, shows counts in the status, and sends one message per change', async () => {
    await helper.load(vtnNode, flow());
    const vtn = helper.getNode('vtn1') as TestNode;
    const out = helper.getNode('out1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('listening', () => statuses.some((s) => /^listening/.test(s.text ?? '')));
    const bl = await token(base, 'bl_client', '1001');
    const got = nextMessage<{ topic: string; operation: string; payload: { programName: string } }>(out);
    const r = await fetch(`${base}/programs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bl}`, 'content-type': 'application/json' },
      body: JSON.stringify({ programName: 'from-http' }),
    });
    assert.strictEqual(r.status, 201);
    const msg = await got;
    assert.deepStrictEqual(
      [msg.topic, msg.operation, msg.payload.programName],
      ['PROGRAM', 'create', 'from-http'],
    );
    await until('status with 1 program', () =>
      statuses.some(
        (s) => s.text === `listening :${port} · 1 program · 0 events · 0 VENs` && s.fill === 'green',
      ),
    );
  });

  it('runs BL operations from the flow (create, upsert by name, delete) answering with the stored object', async () => {
    await helper.load(vtnNode, flow());
    const vtn = helper.getNode('vtn1') as TestNode;
    const out = helper.getNode('out1') as TestNode;
    const seen: Array<Record<string, any>> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    out.on('input', (m: Record<string, unknown>) => seen.push(m));
    vtn.receive({
      topic: 'program',
      operation: 'create',
      payload: { programName: 'flow-prog' },
      tag: 'kept',
    });
    await until('create answer', () => seen.length === 1);
    assert.strictEqual(seen[0].topic, 'PROGRAM');
    assert.strictEqual(seen[0].operation, 'create');
    assert.strictEqual(seen[0].tag, 'kept');
    const programID = seen[0].payload.id as string;
    const ev = {
      programID,
      eventName: 'prices',
      intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] }],
    };
    vtn.receive({ topic: 'event', operation: 'upsert', payload: ev });
    await until('event created', () => seen.length === 2);
    vtn.receive({ topic: 'event', operation: 'upsert', payload: { ...ev, priority: 2 } });
    await until('event updated', () => seen.length === 3);
    assert.strictEqual(seen[2].operation, 'update');
    assert.strictEqual(seen[2].payload.id, seen[1].payload.id, 'upsert matched eventName');
    await new Promise((r) => setTimeout(r, 100));
    assert.strictEqual(seen.length, 3, 'the answer replaces the change message: no duplicate');
    const bl = await token(base, 'bl_client', '1001');
    const list = (await (
      await fetch(`${base}/events`, { headers: { authorization: `Bearer ${bl}` } })
    ).json()) as unknown[];
    assert.strictEqual(list.length, 1);
    vtn.receive({ topic: 'event', operation: 'delete', payload: { id: seen[1].payload.id } });
    await until('event deleted', () => seen.length === 4);
    assert.strictEqual(seen[3].operation, 'delete');
    const after = (await (
      await fetch(`${base}/events`, { headers: { authorization: `Bearer ${bl}` } })
    ).json()) as unknown[];
    assert.strictEqual(after.length, 0);
  });

  it('with cascade deletes, a program delete from the flow is answered and each child delete is output', async () => {
    await helper.load(vtnNode, flow({ cascadeDeletes: true }));
    const vtn = helper.getNode('vtn1') as TestNode;
    const out = helper.getNode('out1') as TestNode;
    const seen: Array<Record<string, any>> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    out.on('input', (m: Record<string, unknown>) => seen.push(m));
    vtn.receive({ topic: 'program', operation: 'create', payload: { programName: 'cascade' } });
    await until('program', () => seen.length === 1);
    const programID = seen[0].payload.id as string;
    const ev = (n: string) => ({
      programID,
      eventName: n,
      intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [1] }] }],
    });
    vtn.receive({ topic: 'event', operation: 'create', payload: ev('a') });
    vtn.receive({ topic: 'event', operation: 'create', payload: ev('b') });
    await until('events', () => seen.length === 3);
    vtn.receive({ topic: 'program', operation: 'delete', payload: { id: programID }, answer: true });
    await until('deletes', () => seen.length === 6);
    await new Promise((r) => setTimeout(r, 100));
    const deletes = seen.slice(3).map((m) => `${m.topic}:${m.operation}:${m.answer ? 'answer' : 'change'}`);
    assert.deepStrictEqual(deletes.sort(), [
      'EVENT:delete:change',
      'EVENT:delete:change',
      'PROGRAM:delete:answer',
    ]);
    assert.strictEqual(seen.length, 6);
  });

  it('serves the status page unless it is turned off', async () => {
    await helper.load(vtnNode, flow());
    let statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
    await until('listening', () => statuses.some((s) => /^listening/.test(s.text ?? '')));
    const on = await fetch(`http://127.0.0.1:${port}/`);
    assert.strictEqual(on.status, 200);
    assert.strictEqual(on.headers.get('x-frame-options'), 'DENY');
    await helper.unload();
    await helper.load(vtnNode, flow({ statusPage: false }));
    statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
    await until('listening', () => statuses.some((s) => /^listening/.test(s.text ?? '')));
    assert.strictEqual((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
  });

  describe('flows saved by earlier versions (1: 0.1.0, or the callback settings before HTTPS; 2: HTTPS)', () => {
    /** Where a subscription's callback may go: the status of creating one, per destination. */
    async function callbackAnswers(apiBase: string): Promise<{ loopback: number; lan: number }> {
      const bl = await token(apiBase, 'bl_client', '1001');
      const subscribe = async (callbackUrl: string) =>
        (
          await fetch(`${apiBase}/subscriptions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${bl}`, 'content-type': 'application/json' },
            body: JSON.stringify({
              clientName: 'flow',
              programID: 'any',
              objectOperations: [{ objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl }],
            }),
          })
        ).status;
      return {
        loopback: await subscribe('http://127.0.0.1:9/cb'),
        lan: await subscribe('http://192.168.1.10:9/cb'),
      };
    }
    async function listening(): Promise<void> {
      const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
      await until('listening', () => statuses.some((s) => /listening :/.test(s.text ?? '')));
    }
    /** What the runtime logged as warnings for vtn1. */
    function warnings(): string[] {
      const log = (
        helper as unknown as { log(): { args: Array<[{ id?: string; level?: number; msg?: unknown }]> } }
      ).log();
      return log.args
        .map((a) => a[0])
        .filter((e) => e && e.id === 'vtn1' && e.level === 30)
        .map((e) => String(e.msg));
    }
    const NARROWED = /public https destinations only/;

    it('0.1.0 on loopback with "allow http callbacks to loopback / LAN": both still allowed, no warning', async () => {
      await helper.load(vtnNode, flow({ allowInsecureCallbacks: true }));
      await listening();
      assert.deepStrictEqual(await callbackAnswers(base), { loopback: 201, lan: 201 });
      assert.strictEqual((await fetch(`http://127.0.0.1:${port}/`)).status, 200, 'status page on');
      assert.deepStrictEqual(
        warnings().filter((w) => NARROWED.test(w)),
        [],
      );
    });

    it('0.1.0 with that setting off: public destinations only', async () => {
      await helper.load(vtnNode, flow({ configVersion: 1, allowInsecureCallbacks: false }));
      await listening();
      assert.deepStrictEqual(await callbackAnswers(base), { loopback: 400, lan: 400 });
      assert.deepStrictEqual(
        warnings().filter((w) => NARROWED.test(w)),
        [],
      );
    });

    it('version 1 with the callback and status page settings: kept as saved', async () => {
      await helper.load(
        vtnNode,
        flow({ configVersion: 1, callbacksLan: false, callbacksLoopback: true, statusPage: false }),
      );
      await listening();
      assert.deepStrictEqual(await callbackAnswers(base), { loopback: 201, lan: 400 });
      assert.strictEqual((await fetch(`http://127.0.0.1:${port}/`)).status, 404, 'status page off');
    });

    it('version 2 reachable from the network (behind a proxy) with the old setting: public only, and a warning', async () => {
      await helper.load(
        vtnNode,
        flow({
          configVersion: 2,
          host: '0.0.0.0',
          behindProxy: true,
          publicUrl: 'https://vtn.example.com',
          allowInsecureCallbacks: true,
        }),
      );
      await listening();
      assert.deepStrictEqual(await callbackAnswers(base), { loopback: 400, lan: 400 });
      assert.strictEqual(warnings().filter((w) => NARROWED.test(w)).length, 1, warnings().join('\n'));
    });

    it('version 2 on loopback with the old setting: both still allowed', async () => {
      await helper.load(vtnNode, flow({ configVersion: 2, allowInsecureCallbacks: true }));
      await listening();
      assert.deepStrictEqual(await callbackAnswers(base), { loopback: 201, lan: 201 });
    });

    it('version 3 ignores a leftover old setting', async () => {
      await helper.load(
        vtnNode,
        flow({
          configVersion: 3,
          allowInsecureCallbacks: true,
          callbacksLan: false,
          callbacksLoopback: false,
        }),
      );
      await listening();
      assert.deepStrictEqual(await callbackAnswers(base), { loopback: 400, lan: 400 });
      assert.deepStrictEqual(
        warnings().filter((w) => NARROWED.test(w)),
        [],
      );
    });
  });

  it('shows dead webhooks in the status (yellow) after the configured tries', async function () {
    this.timeout(15000);
    await helper.load(vtnNode, flow({ webhookAttempts: 2, callbacksLoopback: true }));
    const vtn = helper.getNode('vtn1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('listening', () => statuses.some((st) => /^listening/.test(st.text ?? '')));
    const bl = await token(base, 'bl_client', '1001');
    const closedPort = await freePort(); // nothing listens there: every delivery fails
    const sub = await fetch(`${base}/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bl}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        clientName: 'flow',
        programID: 'any',
        objectOperations: [
          { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: `http://127.0.0.1:${closedPort}/cb` },
        ],
      }),
    });
    assert.strictEqual(sub.status, 201);
    vtn.receive({ topic: 'program', payload: { programName: 'notify-me' } });
    await until(
      'dead webhook status',
      () => statuses.some((st) => st.fill === 'yellow' && /^1 dead webhook · listening/.test(st.text ?? '')),
      10000,
    );
  });

  it('serves 3.1.0 beside 3.0.1 and publishes changes to the configured MQTT broker', async function () {
    const url = await requireBroker(this);
    await helper.load(vtnNode, flow({ mqttUrl: url }));
    const vtn = helper.getNode('vtn1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('listening', () => statuses.some((st) => /^listening/.test(st.text ?? '')));
    const name = `mqtt-node-${Date.now()}`;
    const sub = await listen(url, 'OpenADR/3.1.0/programs/create');
    try {
      vtn.receive({ topic: 'program', payload: { programName: name, retailerName: 'PUC' } });
      await until('MQTT message', () => sub.received.some((m) => m.body.programName === name));
      const msg = sub.received.find((m) => m.body.programName === name)!;
      assert.deepStrictEqual(msg.body.attributes, [{ type: 'RETAILER_NAME', values: ['PUC'] }], '3.1.0 JSON');
      const base31 = base.replace('3.0.1', '3.1.0');
      const bl = await token(base31, 'bl_client', '1001');
      const r = await fetch(`${base31}/programs/${msg.body.id}`, {
        headers: { authorization: `Bearer ${bl}` },
      });
      assert.strictEqual(((await r.json()) as { id: string }).id, msg.body.id);
      const n = await fetch(`${base31}/notifiers`, { headers: { authorization: `Bearer ${bl}` } });
      assert.deepStrictEqual(((await n.json()) as { MQTT: { URIS: string[] } }).MQTT.URIS, [url]);
    } finally {
      await sub.client.endAsync();
    }
  });

  it('refuses a malformed MQTT broker URL with a red status naming the field', async () => {
    await helper.load(vtnNode, flow({ mqttUrl: 'localhost:1883' }));
    const vtn = helper.getNode('vtn1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('error status', () => statuses.some((st) => /MQTT broker URL/.test(st.text ?? '')));
  });

  it('reports bad input through done(err) without stopping', async () => {
    await helper.load(
      [vtnNode, catchNode],
      [
        ...flow(),
        { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ],
    );
    const vtn = helper.getNode('vtn1') as TestNode;
    const caught = helper.getNode('caught') as TestNode;
    let got = nextMessage<{ error: { message: string } }>(caught);
    vtn.receive({ topic: 'program', operation: 'create', payload: { programLongName: 'no name' } });
    assert.match((await got).error.message, /programName/);
    got = nextMessage<{ error: { message: string } }>(caught);
    vtn.receive({ topic: 'banana', payload: {} });
    assert.match((await got).error.message, /msg\.topic/);
  });

  it('warns (yellow) when demo secrets are served on a non-loopback address', async () => {
    // Plain HTTP beyond loopback only behind a TLS-terminating proxy.
    await helper.load(
      vtnNode,
      flow({ host: '0.0.0.0', behindProxy: true, publicUrl: 'https://vtn.example.com' }),
    );
    const vtn = helper.getNode('vtn1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('warning status', () =>
      statuses.some((s) => s.fill === 'yellow' && /demo secrets/.test(s.text ?? '')),
    );
  });

  it('warns (yellow) about demo secrets behind a proxy even when it binds loopback', async () => {
    // The proxy makes it reachable from the network whatever address it binds.
    await helper.load(vtnNode, flow({ behindProxy: true, publicUrl: 'https://vtn.example.com' }));
    const vtn = helper.getNode('vtn1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('warning status', () =>
      statuses.some((s) => s.fill === 'yellow' && /demo secrets/.test(s.text ?? '')),
    );
  });

  it('uses configured clients from credentials', async () => {
    await helper.load(vtnNode, flow(), { vtn1: { clients: 'ops s3cret BL\nheater-1 h1 VEN' } });
    const vtn = helper.getNode('vtn1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('listening', () => statuses.some((st) => /^listening/.test(st.text ?? '')));
    assert.strictEqual(typeof (await token(base, 'ops', 's3cret')), 'string');
    const demo = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
    });
    assert.strictEqual(demo.status, 401, 'demo clients are off when clients are configured');
    assert.strictEqual(typeof (await token(base, 'heater-1', 'h1')), 'string');
  });

  it('when the port is taken: a red status naming the Port setting (en-US, de), and Node-RED keeps running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      // The status names the port and the editor's own label of the setting to change.
      const expected = [
        ['en-US', `port ${port} in use: change Port in this node`],
        ['de', `Port ${port} belegt: „Port“ in diesem Knoten ändern`],
      ];
      for (const [lang, text] of expected) {
        await inLanguage(lang, async () => {
          await helper.load(vtnNode, flow());
          const vtn = helper.getNode('vtn1') as TestNode;
          const statuses = recordStatuses(vtn);
          const errors: string[] = [];
          vtn.on('call:error', (call: { args: [string] }) => errors.push(String(call.args[0])));
          await until(`the ${lang} port-taken status`, () =>
            statuses.some((st) => st.fill === 'red' && st.text === text),
          );
          assert.ok(
            errors.some((e) => e.includes(String(port)) && e.includes('8081')),
            `the log says which port and what to do: ${errors.join(' | ')}`,
          );
          await helper.unload();
        });
      }
      // Once the port is free again, a redeploy starts the VTN.
      await new Promise<void>((r) => blocker.close(() => r()));
      await helper.load(vtnNode, flow());
      const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
      await until('listening', () => statuses.some((st) => /^listening/.test(st.text ?? '')));
    } finally {
      if (blocker.listening) await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('stores in PostgreSQL from the Database URL credential; a second node on the same database sees the data', async function () {
    this.timeout(30000);
    await requirePostgres(this);
    const db = await createTestDatabase();
    try {
      const port2 = await freePort();
      await helper.load(
        vtnNode,
        [
          ...flow({ storeType: 'postgres' }),
          {
            id: 'vtn2',
            type: 'openadr3-vtn',
            port: port2,
            host: '127.0.0.1',
            storeType: 'postgres',
            pgConsistency: 'notify',
            wires: [['out2']],
          },
          { id: 'out2', type: 'helper' },
        ],
        { vtn1: { pgUrl: db.url }, vtn2: { pgUrl: db.url } },
      );
      const s1 = recordStatuses(helper.getNode('vtn1') as TestNode);
      const s2 = recordStatuses(helper.getNode('vtn2') as TestNode);
      await until(
        'both listening',
        () =>
          s1.some((s) => /^listening .* · PostgreSQL · /.test(s.text ?? '')) &&
          s2.some((s) => /^listening .* · PostgreSQL \(notify\) · /.test(s.text ?? '')),
        15000,
      );
      const bl = await token(base, 'bl_client', '1001');
      const heardOn2 = nextMessage<{
        topic: string;
        operation: string;
        remote?: boolean;
        payload: { programName: string };
      }>(helper.getNode('out2') as TestNode);
      const r = await fetch(`${base}/programs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bl}`, 'content-type': 'application/json' },
        body: JSON.stringify({ programName: 'in-postgres' }),
      });
      assert.strictEqual(r.status, 201);
      // Same database, same signing key: vtn2 accepts vtn1's token and serves vtn1's program.
      const list = await fetch(`http://127.0.0.1:${port2}/openadr3/3.0.1/programs`, {
        headers: { authorization: `Bearer ${bl}` },
      });
      assert.strictEqual(list.status, 200);
      const msg2 = await heardOn2;
      assert.deepStrictEqual(
        [msg2.topic, msg2.operation, msg2.remote, msg2.payload.programName],
        ['PROGRAM', 'create', true, 'in-postgres'],
      );
      assert.deepStrictEqual(
        ((await list.json()) as Array<{ programName: string }>).map((p) => p.programName),
        ['in-postgres'],
      );
      await helper.unload();
    } finally {
      await db.drop();
    }
  });

  it('turns red when its PostgreSQL database goes away', async function () {
    this.timeout(30000);
    await requirePostgres(this);
    const db = await createTestDatabase();
    let dropped = false;
    try {
      await helper.load(vtnNode, flow({ storeType: 'postgres' }), { vtn1: { pgUrl: db.url } });
      const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
      await until(
        'listening',
        () => statuses.some((s) => /^listening .* · PostgreSQL · /.test(s.text ?? '')),
        15000,
      );
      await db.drop();
      dropped = true;
      await until(
        'red status',
        () => statuses.some((s) => s.fill === 'red' && /^database unavailable: /.test(s.text ?? '')),
        15000,
      );
      await helper.unload();
    } finally {
      if (!dropped) await db.drop();
    }
  });

  it('says "database unavailable" (red) while its PostgreSQL restarts, 503s meanwhile, and turns green again', async function () {
    this.timeout(120000);
    // A private cluster: the shared server on 5432 is never stopped.
    const cluster = await startPrivatePostgres(this);
    try {
      await helper.load(vtnNode, flow({ storeType: 'postgres' }), { vtn1: { pgUrl: cluster.url() } });
      const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
      const green = (): boolean => {
        const last = statuses.at(-1);
        return last?.fill === 'green' && /^listening .* · PostgreSQL · /.test(last.text ?? '');
      };
      await until('listening', green, 30000);
      const bl = await token(base, 'bl_client', '1001');
      await cluster.stop();
      const during = await fetch(`${base}/programs`, { headers: { authorization: `Bearer ${bl}` } });
      assert.strictEqual(during.status, 503);
      assert.ok(during.headers.get('retry-after'));
      await until(
        'red "database unavailable"',
        () => statuses.some((s) => s.fill === 'red' && /^database unavailable: /.test(s.text ?? '')),
        30000,
      );
      await cluster.start();
      // Back without a redeploy: the next health check (or request) finds the database again.
      await until('green again', green, 30000);
      const after = await fetch(`${base}/programs`, { headers: { authorization: `Bearer ${bl}` } });
      assert.strictEqual(after.status, 200);
      await helper.unload();
    } finally {
      await cluster.destroy();
    }
  });

  it('shows a red status naming the Database URL when PostgreSQL is chosen without a valid URL', async () => {
    await helper.load(vtnNode, flow({ storeType: 'postgres' }), { vtn1: { pgUrl: 'mysql://nope' } });
    const vtn = helper.getNode('vtn1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('error status', () =>
      statuses.some((st) => st.fill === 'red' && /Database URL must be a postgres:\/\//.test(st.text ?? '')),
    );
  });

  it('close stops the server and frees the port within a few seconds', async () => {
    await helper.load(vtnNode, flow());
    const vtn = helper.getNode('vtn1') as TestNode;
    const statuses = recordStatuses(vtn);
    await until('listening', () => statuses.some((s) => /^listening/.test(s.text ?? '')));
    // An open keep-alive connection must not hold the port.
    await fetch(`${base}/programs`);
    const t0 = Date.now();
    await helper.unload();
    assert.ok(Date.now() - t0 < 4000);
    assert.strictEqual(await portIsFree(port), true);
  });
});
