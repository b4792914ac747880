/** Validation, errors, server-set fields, queries, auth and VEN privacy, over real HTTP. */
import assert from 'assert';
import jwt from 'jsonwebtoken';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

const RFC3339_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function event(programID: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    programID,
    eventName: 'e',
    intervalPeriod: { start: '2026-02-17T19:00:00Z', duration: 'PT1H' },
    intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.12] }] }],
    ...extra,
  };
}

describe('VTN rules', () => {
  let t: TestVtn;
  let bl: string;
  let ven: string;
  let ven2: string;

  before(async () => {
    t = await startTestVtn({
      clients: [
        { id: 'bl_client', secret: '1001', role: 'BL' },
        { id: 'ven_client', secret: '999', role: 'VEN' },
        { id: 'ven_two', secret: 'two', role: 'VEN' },
      ],
    });
    bl = await t.token('bl_client', '1001');
    ven = await t.token('ven_client', '999');
    ven2 = await t.token('ven_two', 'two');
  });
  after(async () => t.close());

  describe('server-set fields', () => {
    it('sets UUID id, Z timestamps and objectType, overwriting what the client sent', async () => {
      const r = await t.call('POST', '/programs', bl, {
        programName: 'fields',
        id: 'mine',
        createdDateTime: '2000-01-01T00:00:00Z',
        objectType: 'EVENT',
        somethingElse: 42,
      });
      assert.strictEqual(r.status, 201);
      assert.match(r.body.id, UUID);
      assert.match(r.body.createdDateTime, RFC3339_Z);
      assert.notStrictEqual(r.body.createdDateTime, '2000-01-01T00:00:00Z');
      assert.strictEqual(r.body.objectType, 'PROGRAM');
      assert.strictEqual(r.body.somethingElse, undefined, 'unknown properties are ignored');
    });

    it('PUT replaces fully, keeps id and createdDateTime, bumps modificationDateTime', async () => {
      const c = await t.call('POST', '/programs', bl, { programName: 'put-me', programLongName: 'long' });
      const u = await t.call('PUT', `/programs/${c.body.id}`, bl, { programName: 'put-me-2', id: 'other' });
      assert.strictEqual(u.status, 200);
      assert.strictEqual(u.body.id, c.body.id);
      assert.strictEqual(u.body.createdDateTime, c.body.createdDateTime);
      assert.ok(u.body.modificationDateTime > c.body.modificationDateTime);
      assert.strictEqual(u.body.programLongName, undefined, 'full replacement drops omitted fields');
      const g = await t.call('GET', `/programs/${c.body.id}`, bl);
      assert.deepStrictEqual(g.body, u.body);
    });
  });

  describe('errors', () => {
    it('400 for schema violations, bad durations and zone-less times, naming the field', async () => {
      const p = await t.call('POST', '/programs', bl, { programName: 'errs' });
      let r = await t.call(
        'POST',
        '/events',
        bl,
        event(p.body.id, { intervalPeriod: { start: '2026-02-17T19:00:00Z', duration: '1h' } }),
      );
      assert.strictEqual(r.status, 400);
      assert.match(r.body.detail, /intervalPeriod\.duration/);
      r = await t.call(
        'POST',
        '/events',
        bl,
        event(p.body.id, { intervalPeriod: { start: '2026-02-17T19:00:00' } }),
      );
      assert.strictEqual(r.status, 400);
      assert.match(r.body.detail, /intervalPeriod\.start/);
      r = await t.call('POST', '/programs', bl, { programLongName: 'no name' });
      assert.strictEqual(r.status, 400);
      assert.match(r.body.detail, /programName/);
      assert.strictEqual(r.body.status, 400);
      assert.strictEqual(typeof r.body.title, 'string');
      r = await t.call('POST', '/events', bl, event('no-such-program'));
      assert.strictEqual(r.status, 400);
      assert.match(r.body.detail, /programID/);
    });

    it('400 malformed JSON, 415 wrong content type, 413 too large', async () => {
      let r = await t.call('POST', '/programs', bl, '{"programName":');
      assert.strictEqual(r.status, 400);
      r = await t.call('POST', '/programs', bl, 'programName=x', { 'content-type': 'text/plain' });
      assert.strictEqual(r.status, 415);
      r = await t.call('POST', '/programs', bl, {
        programName: 'big',
        programLongName: 'x'.repeat(2_000_000),
      });
      assert.strictEqual(r.status, 413);
      r = await t.call('POST', '/programs', bl, '[1,2]');
      assert.strictEqual(r.status, 400);
    });

    it('401 without a token (WWW-Authenticate: Bearer), 403 for bad, expired or foreign tokens', async () => {
      let r = await t.call('GET', '/programs');
      assert.strictEqual(r.status, 401);
      assert.strictEqual(r.headers.get('www-authenticate'), 'Bearer');
      r = await t.call('GET', '/programs', 'not-a-jwt');
      assert.strictEqual(r.status, 403);
      const foreign = jwt.sign({ role: 'BL' }, 'another-secret', { subject: 'bl_client' });
      r = await t.call('GET', '/programs', foreign);
      assert.strictEqual(r.status, 403);
      const secret = (await t.vtn.store.getSetting('jwt_signing_secret'))!;
      const expired = jwt.sign({ role: 'BL', exp: Math.floor(Date.now() / 1000) - 10 }, secret, {
        subject: 'bl_client',
      });
      r = await t.call('GET', '/programs', expired);
      assert.strictEqual(r.status, 403);
      assert.match(r.body.detail, /expired/);
    });

    it('404 unknown id and path, 405 with Allow on a known path', async () => {
      assert.strictEqual((await t.call('GET', '/events/unknown', bl)).status, 404);
      assert.strictEqual((await t.call('GET', '/nothing-here', bl)).status, 404);
      const r = await t.call('PATCH', '/programs', bl, {});
      assert.strictEqual(r.status, 405);
      assert.match(r.headers.get('allow') ?? '', /GET.*POST/);
    });

    it('409 on duplicate programName (create and rename), venName and resourceName per VEN', async () => {
      await t.call('POST', '/programs', bl, { programName: 'uniq-a' });
      const b = await t.call('POST', '/programs', bl, { programName: 'uniq-b' });
      assert.strictEqual((await t.call('POST', '/programs', bl, { programName: 'uniq-a' })).status, 409);
      const r = await t.call('PUT', `/programs/${b.body.id}`, bl, { programName: 'uniq-a' });
      assert.strictEqual(r.status, 409);
      assert.match(r.body.detail, /programName/);
      const v = await t.call('POST', '/vens', ven, { venName: 'dup-ven' });
      assert.strictEqual((await t.call('POST', '/vens', ven2, { venName: 'dup-ven' })).status, 409);
      await t.call('POST', `/vens/${v.body.id}/resources`, ven, { resourceName: 'r' });
      assert.strictEqual(
        (await t.call('POST', `/vens/${v.body.id}/resources`, ven, { resourceName: 'r' })).status,
        409,
      );
      const v2 = await t.call('POST', '/vens', ven2, { venName: 'other-ven' });
      assert.strictEqual(
        (await t.call('POST', `/vens/${v2.body.id}/resources`, ven2, { resourceName: 'r' })).status,
        201,
      );
    });

    it('409 deleting a program with events or an event with reports; cascade allows it', async () => {
      const p = await t.call('POST', '/programs', bl, { programName: 'parent' });
      const e = await t.call('POST', '/events', bl, event(p.body.id));
      await t.call('POST', '/reports', ven, {
        programID: p.body.id,
        eventID: e.body.id,
        clientName: 'c',
        resources: [],
      });
      assert.strictEqual((await t.call('DELETE', `/programs/${p.body.id}`, bl)).status, 409);
      assert.strictEqual((await t.call('DELETE', `/events/${e.body.id}`, bl)).status, 409);
      assert.strictEqual((await t.call('GET', `/events/${e.body.id}`, bl)).status, 200, 'nothing lost');
      const r = await t.call('POST', '/reports', ven, {
        programID: p.body.id,
        eventID: 'nope',
        clientName: 'c',
        resources: [],
      });
      assert.strictEqual(r.status, 400);
      assert.match(r.body.detail, /eventID/);
    });
  });

  describe('queries', () => {
    let pid: string;
    before(async () => {
      pid = (await t.call('POST', '/programs', bl, { programName: 'paging' })).body.id;
      for (let i = 0; i < 7; i++)
        await t.call(
          'POST',
          '/events',
          bl,
          event(pid, { eventName: `ev${i}`, targets: [{ type: 'GROUP', values: [i % 2 ? 'odd' : 'even'] }] }),
        );
    });

    it('pages in creation order without overlap; limit=0 gives []; out-of-range is 400', async () => {
      const names: string[] = [];
      for (let skip = 0; skip < 7; skip += 3) {
        const r = await t.call('GET', `/events?programID=${pid}&skip=${skip}&limit=3`, bl);
        names.push(...r.body.map((e: { eventName: string }) => e.eventName));
      }
      assert.deepStrictEqual(names, ['ev0', 'ev1', 'ev2', 'ev3', 'ev4', 'ev5', 'ev6']);
      assert.deepStrictEqual((await t.call('GET', '/events?limit=0', bl)).body, []);
      assert.strictEqual((await t.call('GET', '/events?limit=51', bl)).status, 400);
      assert.strictEqual((await t.call('GET', '/events?skip=-1', bl)).status, 400);
      assert.strictEqual((await t.call('GET', '/events?limit=abc', bl)).status, 400);
    });

    it('filters by targetType + targetValues (any-match), AND-combined, unknown params ignored', async () => {
      let r = await t.call(
        'GET',
        `/events?programID=${pid}&targetType=GROUP&targetValues=odd&whatever=1`,
        bl,
      );
      assert.deepStrictEqual(
        r.body.map((e: { eventName: string }) => e.eventName),
        ['ev1', 'ev3', 'ev5'],
      );
      r = await t.call(
        'GET',
        `/events?programID=${pid}&targetType=GROUP&targetValues=odd&targetValues=even`,
        bl,
      );
      assert.strictEqual(r.body.length, 7);
      r = await t.call('GET', `/events?programID=${pid}&targetType=OTHER&targetValues=odd`, bl);
      assert.deepStrictEqual(r.body, []);
      r = await t.call('GET', '/events?programID=unknown-program', bl);
      assert.strictEqual(r.status, 200);
      assert.deepStrictEqual(r.body, []);
    });

    it('a repeated poll sees every change at once (the page cache is invalidated)', async () => {
      const url = `/events?programID=${pid}&limit=50`;
      const before = (await t.call('GET', url, ven)).body.length;
      assert.strictEqual((await t.call('GET', url, ven)).body.length, before);
      // A cached page still needs a valid token.
      assert.strictEqual((await t.call('GET', url, 'not-a-token')).status, 403);
      assert.strictEqual((await t.call('GET', url)).status, 401);
      const added = await t.call('POST', '/events', bl, event(pid, { eventName: 'late' }));
      assert.strictEqual((await t.call('GET', url, ven)).body.length, before + 1);
      await t.call('PUT', `/events/${added.body.id}`, bl, event(pid, { eventName: 'later' }));
      const names = (await t.call('GET', url, ven)).body.map((e: { eventName: string }) => e.eventName);
      assert.ok(names.includes('later') && !names.includes('late'));
      await t.call('DELETE', `/events/${added.body.id}`, bl);
      assert.strictEqual((await t.call('GET', url, ven)).body.length, before);
      // A VEN's own registration changes what it may see: targeted events appear on its next poll.
      const targeted = await t.call(
        'POST',
        '/events',
        bl,
        event(pid, { eventName: 'for-cache-ven', targets: [{ type: 'VEN_NAME', values: ['cache-ven'] }] }),
      );
      const seen = async (): Promise<boolean> =>
        (await t.call('GET', url, ven2)).body.some((e: { id: string }) => e.id === targeted.body.id);
      assert.strictEqual(await seen(), false);
      await t.call('POST', '/vens', ven2, { venName: 'cache-ven' });
      assert.strictEqual(await seen(), true);
      await t.call('DELETE', `/events/${targeted.body.id}`, bl);
    });

    it('filters vens by venName and resources by resourceName', async () => {
      const v = await t.call('POST', '/vens', ven, { venName: 'named-ven' });
      await t.call('POST', `/vens/${v.body.id}/resources`, ven, { resourceName: 'a' });
      await t.call('POST', `/vens/${v.body.id}/resources`, ven, { resourceName: 'b' });
      const r = await t.call('GET', '/vens?venName=named-ven', ven);
      assert.deepStrictEqual(
        r.body.map((x: { id: string }) => x.id),
        [v.body.id],
      );
      const rs = await t.call('GET', `/vens/${v.body.id}/resources?resourceName=b`, ven);
      assert.deepStrictEqual(
        rs.body.map((x: { resourceName: string }) => x.resourceName),
        ['b'],
      );
    });
  });

  describe('auth and roles', () => {
    it('issues tokens from form body or HTTP Basic; wrong secret 401 invalid_client; other grants 400', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      let r = await t.call('POST', '/auth/token', undefined, 'grant_type=client_credentials', {
        ...form,
        authorization: `Basic ${Buffer.from('ven_client:999').toString('base64')}`,
      });
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.body.token_type, 'Bearer');
      assert.strictEqual(typeof r.body.scope, 'string');
      assert.match(r.body.scope, /write_reports/);
      assert.ok(r.body.expires_in > 0);
      r = await t.call(
        'POST',
        '/auth/token',
        undefined,
        'grant_type=client_credentials&client_id=bl_client&client_secret=wrong',
        form,
      );
      assert.strictEqual(r.status, 401);
      assert.strictEqual(r.body.error, 'invalid_client');
      r = await t.call(
        'POST',
        '/auth/token',
        undefined,
        'grant_type=password&client_id=bl_client&client_secret=1001',
        form,
      );
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.body.error, 'unsupported_grant_type');
    });

    it('VEN cannot write programs/events; BL cannot write reports', async () => {
      assert.strictEqual((await t.call('POST', '/programs', ven, { programName: 'v' })).status, 403);
      assert.strictEqual((await t.call('POST', '/events', ven, event('x'))).status, 403);
      assert.strictEqual(
        (
          await t.call('POST', '/reports', bl, {
            programID: 'a',
            eventID: 'b',
            clientName: 'c',
            resources: [],
          })
        ).status,
        403,
      );
    });

    it('a VEN sees only its own vens, resources, reports, subscriptions and the events targeted to it', async () => {
      const p = await t.call('POST', '/programs', bl, { programName: 'privacy' });
      const mine = await t.call('POST', '/vens', ven, { venName: 'mine-ven' });
      const theirs = await t.call('POST', '/vens', ven2, { venName: 'their-ven' });
      const open = await t.call('POST', '/events', bl, event(p.body.id, { eventName: 'open' }));
      const toMe = await t.call(
        'POST',
        '/events',
        bl,
        event(p.body.id, { eventName: 'to-me', targets: [{ type: 'VEN_NAME', values: ['mine-ven'] }] }),
      );
      const toThem = await t.call(
        'POST',
        '/events',
        bl,
        event(p.body.id, { eventName: 'to-them', targets: [{ type: 'VEN_NAME', values: ['their-ven'] }] }),
      );
      const seen = (await t.call('GET', `/events?programID=${p.body.id}`, ven)).body.map(
        (e: { eventName: string }) => e.eventName,
      );
      assert.deepStrictEqual(seen, ['open', 'to-me']);
      assert.strictEqual((await t.call('GET', `/events/${toThem.body.id}`, ven)).status, 404);
      assert.strictEqual((await t.call('GET', `/events/${toThem.body.id}`, bl)).status, 200);
      assert.strictEqual((await t.call('GET', `/vens/${theirs.body.id}`, ven)).status, 404);
      assert.strictEqual(
        (await t.call('PUT', `/vens/${theirs.body.id}`, ven, { venName: 'stolen' })).status,
        404,
      );
      assert.strictEqual((await t.call('GET', `/vens/${theirs.body.id}/resources`, ven)).status, 404);
      const vens = (await t.call('GET', '/vens', ven)).body.map((v: { id: string }) => v.id);
      assert.ok(vens.includes(mine.body.id) && !vens.includes(theirs.body.id));
      const rep = await t.call('POST', '/reports', ven2, {
        programID: p.body.id,
        eventID: open.body.id,
        clientName: 'their-ven',
        resources: [],
      });
      assert.strictEqual((await t.call('GET', `/reports/${rep.body.id}`, ven)).status, 404);
      assert.ok(
        !(await t.call('GET', '/reports', ven)).body.some((r: { id: string }) => r.id === rep.body.id),
      );
      const r2 = await t.call('POST', '/reports', ven2, {
        programID: p.body.id,
        eventID: toMe.body.id,
        clientName: 'x',
        resources: [],
      });
      assert.strictEqual(r2.status, 400, 'a VEN cannot report on an event it cannot see');
      assert.strictEqual((await t.call('GET', '/vens', bl)).body.length >= 2, true);
    });

    it('rate-limits failed token requests (429 with Retry-After)', async () => {
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      let last = 0;
      for (let i = 0; i < 12; i++)
        last = (
          await t.call(
            'POST',
            '/auth/token',
            undefined,
            'grant_type=client_credentials&client_id=x&client_secret=y',
            form,
          )
        ).status;
      assert.strictEqual(last, 429);
    });
  });
});
