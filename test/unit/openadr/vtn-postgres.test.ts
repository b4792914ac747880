/** Several VTN instances on one PostgreSQL database, over real HTTP. */
import assert from 'assert';
import http from 'http';
import pg from 'pg';
import { freePort } from '../../support/ports';
import {
  createTestDatabase,
  requirePostgres,
  terminateConnections,
  terminateListeners,
  type TestDatabase,
} from '../../support/postgres';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import type { Change, VtnOptions } from '../../../src/openadr/vtn';

async function until(what: string, test: () => boolean | Promise<boolean>, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('VTN on PostgreSQL: several instances, one database', function () {
  this.timeout(30000);
  let db: TestDatabase | undefined;
  const vtns: TestVtn[] = [];
  const start = async (webhookPollMs = 1000, more: VtnOptions = {}): Promise<TestVtn> => {
    const v = await startTestVtn({ store: db!.url, webhooks: { pollMs: webhookPollMs }, ...more });
    vtns.push(v);
    return v;
  };
  beforeEach(async function () {
    await requirePostgres(this);
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(vtns.splice(0).map((v) => v.close()));
    await db?.drop();
    db = undefined;
  });

  it('two instances racing on one programName / venName / resourceName: exactly one 201 and one 409', async () => {
    const a = await start();
    const b = await start();
    const [ta, tb] = [await a.token('bl_client', '1001'), await b.token('bl_client', '1001')];
    for (let i = 0; i < 10; i++) {
      const body = { programName: `race-${i}` };
      const replies = await Promise.all([
        a.call('POST', '/programs', ta, body),
        b.call('POST', '/programs', tb, body),
      ]);
      assert.deepStrictEqual(
        replies.map((r) => r.status).sort(),
        [201, 409],
        `round ${i}: ${replies.map((r) => r.text).join(' | ')}`,
      );
      assert.match(replies.find((r) => r.status === 409)!.body.detail, /programName: .* already exists/);
    }
    assert.strictEqual((await a.call('GET', '/programs?limit=50', ta)).body.length, 10);

    const [va, vb] = [await a.token('ven_client', '999'), await b.token('ven_client', '999')];
    const vens = await Promise.all([
      a.call('POST', '/vens', va, { venName: 'heater-1' }),
      b.call('POST', '/vens', vb, { venName: 'heater-1' }),
    ]);
    assert.deepStrictEqual(vens.map((r) => r.status).sort(), [201, 409]);
    const venID = vens.find((r) => r.status === 201)!.body.id as string;
    const resources = await Promise.all([
      a.call('POST', `/vens/${venID}/resources`, va, { resourceName: 'tank' }),
      b.call('POST', `/vens/${venID}/resources`, vb, { resourceName: 'tank' }),
    ]);
    assert.deepStrictEqual(resources.map((r) => r.status).sort(), [201, 409]);
  });

  it('shares the token signing key: a token from one instance works on the other', async () => {
    const a = await start();
    const b = await start();
    const token = await a.token('bl_client', '1001');
    assert.strictEqual((await b.call('GET', '/programs', token)).status, 200);
    assert.strictEqual((await b.call('POST', '/programs', token, { programName: 'via-b' })).status, 201);
    // A VTN on another database has its own key: the same token is refused there.
    const elsewhere = await startTestVtn({ store: ':memory:' });
    vtns.push(elsewhere);
    const refused = await elsewhere.call('GET', '/programs', token);
    assert.strictEqual(refused.status, 403);
    assert.match(refused.body.detail, /invalid bearer token: invalid signature/);
  });

  it('never serves a stale poll page after another instance changed the data', async () => {
    const a = await start();
    const b = await start();
    const ta = await a.token('bl_client', '1001');
    const tb = await b.token('bl_client', '1001');
    for (let i = 0; i < 5; i++) {
      // Poll B twice so its page cache holds the page, then change the data through A.
      await b.call('GET', '/programs?limit=50', tb);
      const cached = await b.call('GET', '/programs?limit=50', tb);
      assert.strictEqual(cached.body.length, i);
      assert.strictEqual((await a.call('POST', '/programs', ta, { programName: `fresh-${i}` })).status, 201);
      const after = await b.call('GET', '/programs?limit=50', tb);
      assert.deepStrictEqual(
        after.body.map((p: { programName: string }) => p.programName),
        Array.from({ length: i + 1 }, (_, k) => `fresh-${k}`),
      );
    }
    const programID = (await b.call('GET', '/programs', tb)).body[0].id as string;
    await b.call('GET', `/events?programID=${programID}`, tb);
    await b.call('GET', `/events?programID=${programID}`, tb);
    assert.strictEqual((await a.call('DELETE', `/programs/${programID}`, ta)).status, 200);
    assert.strictEqual(
      (await b.call('GET', '/programs?limit=50', tb)).body.some((p: { id: string }) => p.id === programID),
      false,
    );
  });

  it('delivers each notification exactly once with two instances sharing the outbox', async () => {
    const got: string[] = [];
    const ids: string[] = [];
    const port = await freePort();
    const server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        got.push((JSON.parse(data) as { object: { programName: string } }).object.programName);
        ids.push(String(req.headers['x-openadr-notification-id']));
        // A slow receiver widens the window in which both instances see the row as pending.
        setTimeout(() => res.end(), 20);
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const a = await start(50);
      const b = await start(50);
      const ta = await a.token('bl_client', '1001');
      const tb = await b.token('bl_client', '1001');
      const sub = await a.call('POST', '/subscriptions', ta, {
        clientName: 'once',
        programID: 'any',
        objectOperations: [
          { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: `http://127.0.0.1:${port}/cb` },
        ],
      });
      assert.strictEqual(sub.status, 201);
      const N = 30;
      const names = Array.from({ length: N }, (_, i) => `note-${i}`);
      const replies = await Promise.all(
        names.map((programName, i) =>
          i % 2
            ? a.call('POST', '/programs', ta, { programName })
            : b.call('POST', '/programs', tb, { programName }),
        ),
      );
      assert.ok(replies.every((r) => r.status === 201));
      await until(`${N} deliveries`, () => got.length >= N);
      await new Promise((r) => setTimeout(r, 500)); // time for any duplicate to show up
      assert.strictEqual(got.length, N, `deliveries: ${got.length}`);
      assert.deepStrictEqual([...got].sort(), [...names].sort());
      // The notification id is the shared outbox row's: distinct per notification, whichever instance sends.
      assert.strictEqual(new Set(ids).size, N, `ids ${JSON.stringify(ids)}`);
      assert.ok(ids.every((id) => /^[1-9][0-9]*$/.test(id)));
      const summary = (await b.call('GET', `/subscriptions/${sub.body.id}`, tb)).body.deliveryStatus;
      assert.strictEqual(summary.delivered, N);
      assert.strictEqual(summary.pending, 0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("a report written right after another instance's change follows it: new subscription notified, deleted event refused", async () => {
    const got: string[] = [];
    const port = await freePort();
    const server = http.createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        got.push((JSON.parse(data) as { object: { clientName: string } }).object.clientName);
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      const a = await start(50, { cascadeDeletes: true });
      const b = await start(50, { cascadeDeletes: true });
      const ta = await a.token('bl_client', '1001');
      const tb = await b.token('ven_client', '999');
      const program = await a.call('POST', '/programs', ta, { programName: 'reads' });
      const event = await a.call('POST', '/events', ta, {
        programID: program.body.id,
        intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] }],
      });
      const report = (clientName: string) => ({
        programID: program.body.id,
        eventID: event.body.id,
        clientName,
        resources: [
          { resourceName: 'tank', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [1] }] }] },
        ],
      });
      // B has looked up the event and the (empty) subscription list: both now in its memory.
      assert.strictEqual((await b.call('POST', '/reports', tb, report('before'))).status, 201);
      assert.strictEqual((await b.call('POST', '/reports', tb, report('before-2'))).status, 201);
      const sub = await a.call('POST', '/subscriptions', ta, {
        clientName: 'reads',
        programID: program.body.id,
        objectOperations: [
          { objects: ['REPORT'], operations: ['CREATE'], callbackUrl: `http://127.0.0.1:${port}/cb` },
        ],
      });
      assert.strictEqual(sub.status, 201);
      // Written through B at once: B must not use its remembered "no subscriptions".
      assert.strictEqual((await b.call('POST', '/reports', tb, report('after'))).status, 201);
      await until('the notification', () => got.includes('after'));
      assert.deepStrictEqual(got, ['after']);
      // Nor its remembered event once A deleted it.
      assert.strictEqual((await a.call('DELETE', `/events/${event.body.id}`, ta)).status, 200);
      const late = await b.call('POST', '/reports', tb, report('late'));
      assert.ok([400, 409].includes(late.status), `${late.status} ${late.text}`);
      assert.match(late.body.detail, /eventID/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('sends every change, from whichever instance, to the change output of every instance once, in order', async () => {
    const heard: Record<'a' | 'b' | 'c', Change[]> = { a: [], b: [], c: [] };
    const a = await start(1000, { onChange: (c) => heard.a.push(c) });
    const b = await start(1000, { onChange: (c) => heard.b.push(c) });
    const c = await start(1000, { onChange: (ch) => heard.c.push(ch) });
    const ta = await a.token('bl_client', '1001');
    const tb = await b.token('bl_client', '1001');
    const p = await a.call('POST', '/programs', ta, { programName: 'heard' });
    assert.strictEqual(
      (await b.call('PUT', `/programs/${p.body.id}`, tb, { programName: 'heard-2' })).status,
      200,
    );
    assert.strictEqual((await c.call('DELETE', `/programs/${p.body.id}`, ta)).status, 200);
    const summary = (cs: Change[]) =>
      cs.map((ch) => `${ch.operation} ${String(ch.object.programName)}${ch.remote ? ' (remote)' : ''}`);
    await until('three changes everywhere', () => Object.values(heard).every((cs) => cs.length >= 3));
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up
    assert.deepStrictEqual(summary(heard.a), [
      'POST heard',
      'PUT heard-2 (remote)',
      'DELETE heard-2 (remote)',
    ]);
    assert.deepStrictEqual(summary(heard.b), [
      'POST heard (remote)',
      'PUT heard-2',
      'DELETE heard-2 (remote)',
    ]);
    assert.deepStrictEqual(summary(heard.c), [
      'POST heard (remote)',
      'PUT heard-2 (remote)',
      'DELETE heard-2',
    ]);
  });

  it('hands small change events over in the NOTIFY itself and big ones (over its 8000-byte limit) through the change log', async () => {
    const heard: Change[] = [];
    const a = await start();
    await start(1000, { onChange: (c) => heard.push(c) });
    const ta = await a.token('bl_client', '1001');
    const remote = (): string[] => heard.filter((c) => c.remote).map((c) => String(c.object.programName));
    const admin = new pg.Client(db!.url);
    await admin.connect();
    try {
      // Drop every change_log row: what reaches the other instance now came in the NOTIFY.
      await admin.query(
        'CREATE FUNCTION drop_row() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql; ' +
          'CREATE TRIGGER no_log BEFORE INSERT ON change_log FOR EACH ROW EXECUTE FUNCTION drop_row()',
      );
      const big = (name: string) => ({ programName: name, programLongName: 'x'.repeat(9000) });
      for (const name of ['s1', 's2', 's3'])
        assert.strictEqual((await a.call('POST', '/programs', ta, { programName: name })).status, 201);
      await until('the small changes heard without the log', () => remote().length === 3);
      assert.strictEqual((await a.call('POST', '/programs', ta, big('lost'))).status, 201);
      // Too big for the NOTIFY, so it could only come through the log, which dropped it. (Nothing
      // small is written meanwhile: its NOTIFY could arrive while the log read for this one is
      // pending, and then it too would be read from the log — in this test, from nowhere.)
      await new Promise((r) => setTimeout(r, 500));
      assert.deepStrictEqual(remote(), ['s1', 's2', 's3']);
      await admin.query('DROP TRIGGER no_log ON change_log');
      // With the log back, a mix of big and small arrives whole and in commit order.
      const names = ['b1', 's5', 'b2', 'b3', 's6'];
      for (const name of names)
        assert.strictEqual(
          (await a.call('POST', '/programs', ta, name.startsWith('b') ? big(name) : { programName: name }))
            .status,
          201,
        );
      await until('the mix heard', () => remote().length === 8);
      assert.deepStrictEqual(remote().slice(3), names);
      assert.ok(
        heard
          .filter((c) => String(c.object.programName).startsWith('b'))
          .every((c) => (c.object.programLongName as string).length === 9000),
      );
    } finally {
      await admin.end();
    }
  });

  it('recovers when every database connection is cut: requests work again, missed change events are caught up', async () => {
    const heard: Change[] = [];
    const errors: Error[] = [];
    const a = await start();
    const b = await start(1000, { onChange: (c) => heard.push(c), onError: (e) => errors.push(e) });
    const ta = await a.token('bl_client', '1001');
    assert.strictEqual((await a.call('POST', '/programs', ta, { programName: 'before' })).status, 201);
    await until('first change heard', () => heard.length === 1);
    assert.ok((await terminateConnections(db!.name)) >= 2, 'connections were cut');
    await new Promise((r) => setTimeout(r, 200)); // the pools notice their dead idle clients
    // Written while B's listener is still reconnecting: B hears it when it catches up.
    assert.strictEqual((await a.call('POST', '/programs', ta, { programName: 'after' })).status, 201);
    const list = await b.call('GET', '/programs', ta);
    assert.deepStrictEqual(
      list.body.map((p: { programName: string }) => p.programName),
      ['before', 'after'],
    );
    await until('second change heard', () => heard.length === 2);
    assert.deepStrictEqual(
      heard.map((c) => [c.object.programName, c.remote]),
      [
        ['before', true],
        ['after', true],
      ],
    );
    assert.ok(errors.length >= 1, 'the lost connection was reported through onError');
  });

  describe("'notify' consistency (polls trust LISTEN/NOTIFY instead of reading the counters)", () => {
    const names = (r: { body: Array<{ programName: string }> }): string[] => r.body.map((p) => p.programName);
    /** A sync answer is the point of the mode: no database read stands behind it. */
    const fromListener = (v: TestVtn): boolean => typeof v.vtn.service.listVersion('programs') === 'number';

    it("shows another instance's change within moments and this instance's own change at once", async () => {
      const a = await start(1000, { pgConsistency: 'notify' });
      const b = await start(1000, { pgConsistency: 'notify' });
      await until('both listening', () => fromListener(a) && fromListener(b));
      const ta = await a.token('bl_client', '1001');
      const tb = await b.token('bl_client', '1001');
      const expected: string[] = [];
      for (let i = 0; i < 5; i++) {
        await b.call('GET', '/programs?limit=50', tb);
        assert.deepStrictEqual(names(await b.call('GET', '/programs?limit=50', tb)), expected); // cached
        assert.strictEqual(
          (await a.call('POST', '/programs', ta, { programName: `remote-${i}` })).status,
          201,
        );
        expected.push(`remote-${i}`);
        // No counter read per poll: B learns of A's change from its NOTIFY, a few ms later.
        await until(
          `B serving remote-${i}`,
          async () => names(await b.call('GET', '/programs?limit=50', tb)).length === expected.length,
          2000,
        );
        assert.deepStrictEqual(names(await b.call('GET', '/programs?limit=50', tb)), expected);
        // B's own write is in B's very next poll.
        assert.strictEqual((await b.call('POST', '/programs', tb, { programName: `own-${i}` })).status, 201);
        expected.push(`own-${i}`);
        assert.deepStrictEqual(names(await b.call('GET', '/programs?limit=50', tb)), expected);
      }
      assert.ok(fromListener(b), 'still answering from the listener');
    });

    it('falls back to a counter read per poll while the listener reconnects, and trusts it again after', async () => {
      const a = await start(1000, { pgConsistency: 'notify' });
      const b = await start(1000, { pgConsistency: 'notify', onError: () => undefined });
      await until('both listening', () => fromListener(a) && fromListener(b));
      const ta = await a.token('bl_client', '1001');
      const tb = await b.token('bl_client', '1001');
      await b.call('GET', '/programs', tb);
      await b.call('GET', '/programs', tb);
      // Cut only the LISTEN connections: NOTIFYs sent now would be lost.
      assert.strictEqual(await terminateListeners(db!.name), 2);
      await until('B no longer trusting its listener', () => !fromListener(b), 2000);
      assert.strictEqual((await a.call('POST', '/programs', ta, { programName: 'while-deaf' })).status, 201);
      // No NOTIFY can reach B now, yet its next poll sees the change: it read the counters.
      assert.deepStrictEqual(names(await b.call('GET', '/programs', tb)), ['while-deaf']);
      await until('B listening again', () => fromListener(b));
      assert.strictEqual((await a.call('POST', '/programs', ta, { programName: 'after' })).status, 201);
      await until(
        'B serving the change made after it reconnected',
        async () => names(await b.call('GET', '/programs', tb)).length === 2,
        2000,
      );
    });

    it('notices a listener that hears nothing (a change without its NOTIFY) at the next heartbeats', async () => {
      const errors: Error[] = [];
      const b = await start(1000, { pgConsistency: 'notify', onError: (e) => errors.push(e) });
      await until('listening', () => fromListener(b));
      const admin = new pg.Client(db!.url);
      await admin.connect();
      let bumped: number;
      try {
        // What a silently dead LISTEN connection looks like: a committed change no NOTIFY announces.
        const r = await admin.query<{ program_v: string }>(
          'UPDATE vtn_changes SET version = version + 1, program_v = version + 1 WHERE id = 1 RETURNING program_v',
        );
        bumped = Number(r.rows[0].program_v);
      } finally {
        await admin.end();
      }
      // The heartbeat read moves the counters on within a beat (1 s), so a stale page dies...
      await until('the heartbeat catching up', () => b.vtn.service.listVersion('programs') === bumped, 3000);
      // ...and one beat later the listener that missed it is replaced.
      await until(
        'the deaf listener reported',
        () => errors.some((e) => /heard no NOTIFY/.test(e.message)),
        4000,
      );
      await until('listening again', () => fromListener(b), 5000);
    });
  });

  it('answers 409 naming programID when the program was deleted by another instance (foreign key)', async () => {
    const a = await start();
    const b = await start();
    const ta = await a.token('bl_client', '1001');
    const tb = await b.token('bl_client', '1001');
    for (let i = 0; i < 10; i++) {
      const p = await a.call('POST', '/programs', ta, { programName: `gone-${i}` });
      const event = {
        programID: p.body.id,
        intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] }],
      };
      const [created, deleted] = await Promise.all([
        b.call('POST', '/events', tb, event),
        a.call('DELETE', `/programs/${p.body.id}`, ta),
      ]);
      // Whatever the interleaving, the database never holds an event whose program is gone.
      if (created.status === 201) assert.notStrictEqual(deleted.status, 200, 'both succeeded');
      else {
        assert.ok([400, 409].includes(created.status), created.text);
        assert.match(created.body.detail, /programID/);
      }
    }
    const events = await a.call('GET', '/events?limit=50', ta);
    for (const e of events.body as Array<{ programID: string }>)
      assert.strictEqual((await a.call('GET', `/programs/${e.programID}`, ta)).status, 200);
  });
});
