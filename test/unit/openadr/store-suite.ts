/**
 * One store test suite for every VtnStore implementation (vtn-store.test.ts runs it against
 * SQLite and PostgreSQL): the behaviour the VTN relies on, checked through the interface only.
 */
import assert from 'assert';
import type { StoredObject, VtnStore } from '../../../src/openadr/vtn';
import { UniqueViolation } from '../../../src/openadr/vtn/store/store';

export interface StoreUnderTest {
  store: VtnStore;
  cleanup(): Promise<void>;
}

let counter = 0;
const uid = (prefix: string): string => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

export function program(name = uid('program'), owner: string | null = null): StoredObject {
  const id = uid('p');
  // Key order is deliberate: the store must hand the body back exactly as written.
  return {
    type: 'PROGRAM',
    id,
    owner,
    name,
    scope: '',
    ref: '',
    targeted: false,
    body: { id, objectType: 'PROGRAM', programName: name, zeta: 1, alpha: { b: 2, a: 1 } },
  };
}

export function event(programID: string, targeted = false): StoredObject {
  const id = uid('e');
  return {
    type: 'EVENT',
    id,
    owner: null,
    name: null,
    scope: programID,
    ref: '',
    targeted,
    body: { id, programID, intervals: [] },
  };
}

export function report(programID: string, eventID: string, owner: string): StoredObject {
  const id = uid('r');
  return {
    type: 'REPORT',
    id,
    owner,
    name: null,
    scope: programID,
    ref: eventID,
    targeted: false,
    body: { id },
  };
}

export function ven(name = uid('ven'), owner = 'ven_client'): StoredObject {
  const id = uid('v');
  return { type: 'VEN', id, owner, name, scope: '', ref: '', targeted: false, body: { id, venName: name } };
}

export function resource(venID: string, name: string): StoredObject {
  const id = uid('res');
  return {
    type: 'RESOURCE',
    id,
    owner: 'ven_client',
    name,
    scope: venID,
    ref: '',
    targeted: false,
    body: { id, venID, resourceName: name },
  };
}

const notification = (subscriptionID: string, n: number) => ({
  subscriptionID,
  callbackUrl: 'http://127.0.0.1:9/cb',
  bearerToken: n % 2 ? 'tok' : null,
  body: JSON.stringify({ n }),
});

/** Register the suite; `open` gives a fresh, empty store for each test. */
export function storeSuite(name: string, open: (ctx: Mocha.Context) => Promise<StoreUnderTest>): void {
  describe(`VtnStore contract: ${name}`, function () {
    let s: StoreUnderTest | undefined;
    let store: VtnStore;
    beforeEach(async function () {
      s = await open(this);
      store = s.store;
    });
    afterEach(async () => {
      await s?.cleanup();
      s = undefined;
    });

    it('returns what it stored, body exactly as written, with increasing seq', async () => {
      const a = program();
      const b = program();
      await store.apply({ put: [a] });
      await store.apply({ put: [b] });
      const got = await store.get('PROGRAM', a.id);
      assert.ok(got);
      assert.strictEqual(JSON.stringify(got.body), JSON.stringify(a.body));
      assert.deepStrictEqual(
        { owner: got.owner, name: got.name, scope: got.scope, ref: got.ref, targeted: got.targeted },
        { owner: null, name: a.name, scope: '', ref: '', targeted: false },
      );
      const gotB = await store.get('PROGRAM', b.id);
      assert.ok(gotB!.seq! > got.seq!, 'seq grows in creation order');
      assert.strictEqual(await store.get('PROGRAM', 'no-such-id'), undefined);
      assert.strictEqual(await store.get('EVENT', a.id), undefined, 'type is part of the key');
      assert.strictEqual(await store.count('PROGRAM'), 2);
    });

    it('updates in place: same seq, new body, and the name is free again after a rename', async () => {
      const a = program('first');
      await store.apply({ put: [a] });
      const before = await store.get('PROGRAM', a.id);
      const renamed = { ...a, name: 'second', body: { ...a.body, programName: 'second' } };
      await store.apply({ put: [renamed] });
      const after = await store.get('PROGRAM', a.id);
      assert.strictEqual(after!.seq, before!.seq);
      assert.strictEqual(after!.body.programName, 'second');
      await store.apply({ put: [program('first')] }); // the old name can be taken now
      assert.strictEqual(await store.count('PROGRAM'), 2);
    });

    it('lists by scope, ref, name and owner, in creation order, paged by afterSeq', async () => {
      const p1 = program();
      const p2 = program();
      await store.apply({ put: [p1, p2] });
      const events = [event(p1.id), event(p2.id), event(p1.id, true), event(p1.id)];
      for (const e of events) await store.apply({ put: [e] });
      const r1 = report(p1.id, events[0].id, 'ven-a');
      const r2 = report(p1.id, events[0].id, 'ven-b');
      await store.apply({ put: [r1, r2] });

      const ofP1 = await store.list({ type: 'EVENT', scope: p1.id });
      assert.deepStrictEqual(
        ofP1.map((o) => o.id),
        [events[0].id, events[2].id, events[3].id],
      );
      assert.deepStrictEqual(
        ofP1.map((o) => o.targeted),
        [false, true, false],
      );
      const page1 = await store.list({ type: 'EVENT', limit: 2 });
      const page2 = await store.list({ type: 'EVENT', afterSeq: page1[1].seq, limit: 2 });
      assert.deepStrictEqual(
        [...page1, ...page2].map((o) => o.id),
        events.map((e) => e.id),
      );
      assert.deepStrictEqual(
        (await store.list({ type: 'REPORT', ref: events[0].id, owner: 'ven-b' })).map((o) => o.id),
        [r2.id],
      );
      assert.deepStrictEqual(
        (await store.list({ type: 'PROGRAM', name: p2.name! })).map((o) => o.id),
        [p2.id],
      );
      assert.deepStrictEqual(await store.list({ type: 'REPORT', ref: events[1].id }), []);
    });

    it('rejects a duplicate programName with UniqueViolation and applies nothing of that change', async () => {
      const a = program('taken');
      await store.apply({ put: [a] });
      const other = program();
      const dup = program('taken');
      await assert.rejects(
        store.apply({ put: [other, dup], notify: [notification('sub-x', 1)] }),
        (err: unknown) =>
          err instanceof UniqueViolation && err.type === 'PROGRAM' && err.objectName === 'taken',
      );
      assert.strictEqual(await store.get('PROGRAM', other.id), undefined, 'the whole change rolled back');
      assert.strictEqual((await store.deliverySummary('sub-x')).pending, 0, 'its notifications too');
      assert.strictEqual(await store.count('PROGRAM'), 1);
    });

    it('keeps venName unique, and resourceName unique per VEN only', async () => {
      const v1 = ven('heater-1');
      const v2 = ven('heater-2');
      await store.apply({ put: [v1, v2] });
      await assert.rejects(store.apply({ put: [ven('heater-1')] }), UniqueViolation);
      await store.apply({ put: [resource(v1.id, 'tank')] });
      await store.apply({ put: [resource(v2.id, 'tank')] }); // same name, other VEN: fine
      await assert.rejects(
        store.apply({ put: [resource(v1.id, 'tank')] }),
        (err: unknown) => err instanceof UniqueViolation && err.type === 'RESOURCE',
      );
      assert.strictEqual(await store.count('RESOURCE'), 2);
    });

    it('removes children and parent in one change', async () => {
      const p = program();
      await store.apply({ put: [p] });
      const e = event(p.id);
      await store.apply({ put: [e] });
      const r = report(p.id, e.id, 'ven-a');
      await store.apply({ put: [r] });
      await store.apply({
        remove: [
          { type: 'REPORT', id: r.id },
          { type: 'EVENT', id: e.id },
          { type: 'PROGRAM', id: p.id },
        ],
      });
      assert.strictEqual(await store.count('PROGRAM'), 0);
      assert.strictEqual(await store.count('EVENT'), 0);
      assert.strictEqual(await store.count('REPORT'), 0);
    });

    it('sets a setting once: the first value wins, later inits return it', async () => {
      assert.strictEqual(await store.getSetting('jwt_signing_secret'), undefined);
      assert.strictEqual(await store.initSetting('jwt_signing_secret', 'one'), 'one');
      assert.strictEqual(await store.initSetting('jwt_signing_secret', 'two'), 'one');
      assert.strictEqual(await store.getSetting('jwt_signing_secret'), 'one');
    });

    it('runs the outbox: due rows, failure with backoff, delivery, dead rows, summary, pruning', async () => {
      const p = program();
      await store.apply({ put: [p], notify: [1, 2, 3].map((n) => notification('sub-1', n)) });
      await store.apply({ put: [program()], notify: [notification('sub-2', 4)] });
      const now = Date.now() + 10;
      // A shared store claims what it hands out; a 1 ms claim keeps this test about due times.
      const due = await store.dueNotifications(now, 10, 1);
      assert.deepStrictEqual(
        due.map((d) => JSON.parse(d.body).n),
        [1, 2, 3, 4],
      );
      assert.strictEqual(due[0].bearerToken, 'tok');
      assert.strictEqual(due[1].bearerToken, null);
      assert.ok(due.every((d) => d.state === 'pending' && d.attempts === 0));
      await store.markDelivered(due[0].id);
      await store.markFailed(due[1].id, 'HTTP 500', now + 60_000, false);
      await store.markFailed(due[2].id, 'ECONNREFUSED', now, true);
      const later = await store.dueNotifications(now + 1, 10, 1);
      assert.deepStrictEqual(
        later.map((d) => JSON.parse(d.body).n),
        [4],
        'delivered, dead and backed-off rows are not due',
      );
      assert.ok(
        (await store.dueNotifications(now + 60_001, 10, 1)).some((d) => JSON.parse(d.body).n === 2),
        'a backed-off row is due again once its time has come',
      );
      assert.deepStrictEqual(await store.deliverySummary('sub-1'), {
        pending: 1,
        delivered: 1,
        dead: 1,
        lastError: 'ECONNREFUSED',
      });
      const all = await store.deliverySummary();
      assert.strictEqual(all.pending + all.delivered + all.dead, 4);
      const recent = await store.recentOutbox(2);
      assert.deepStrictEqual(
        recent.map((r) => JSON.parse(r.body).n),
        [4, 3],
      );
      assert.strictEqual(recent[1].state, 'dead');
      assert.strictEqual(recent[1].attempts, 1);
      assert.strictEqual(await store.pruneDelivered(Date.now() + 1000), 1);
      assert.strictEqual((await store.deliverySummary('sub-1')).delivered, 0);
    });
  });
}
