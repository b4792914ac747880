import assert from 'assert';
import {
  createVenClient,
  eventsToPriceTimeline,
  OpenAdrError,
  VenClient,
  VenClientOptions,
} from '../../../src/openadr/client';
import { FixtureVtn, startFixtureVtn } from '../../support/fixture-vtn';

const CLIENTS = { ven_client: 'ven_secret', bl_client: 'bl_secret' };

function venClient(vtn: FixtureVtn, extra: Partial<VenClientOptions> = {}): VenClient {
  return createVenClient({
    baseUrl: vtn.url,
    auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: 'ven_secret' },
    sleep: async () => undefined,
    ...extra,
  });
}

async function expectError(
  promise: Promise<unknown>,
  check: (e: OpenAdrError) => void,
): Promise<OpenAdrError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OpenAdrError, `expected an OpenAdrError, got ${String(err)}`);
    check(err);
    return err;
  }
  throw new Error('expected the call to fail');
}

const dayEvent = (programID: string, name = 'day') => ({
  programID,
  eventName: name,
  intervalPeriod: { start: '2026-02-17T00:00:00Z', duration: 'PT1H' },
  payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
  intervals: [0, 1, 2].map((id) => ({ id, payloads: [{ type: 'PRICE', values: [0.1 * (id + 1)] }] })),
});

describe('createVenClient against a local fixture VTN', () => {
  let vtn: FixtureVtn;
  afterEach(async () => vtn?.stop());

  describe('OAuth2 client credentials', () => {
    beforeEach(async () => {
      vtn = await startFixtureVtn({ clients: CLIENTS });
    });

    it('fetches one token, caches it, and sends it as a bearer token', async () => {
      const client = venClient(vtn);
      await Promise.all([client.getPrograms(), client.getEvents(), client.getReports()]);
      await client.getVens();
      assert.strictEqual(vtn.tokensIssued, 1, 'concurrent requests share one token fetch');
      const api = vtn.log.filter((r) => r.path !== '/auth/token');
      assert.ok(api.every((r) => r.auth?.startsWith('Bearer tok-1-')));
      assert.strictEqual(client.health().state, 'ok');
    });

    it('refreshes the token before it expires', async () => {
      vtn.tokenLifetimeS = 100;
      let offset = 0;
      const client = venClient(vtn, { now: () => Date.now() + offset });
      await client.getPrograms();
      offset = 85000;
      await client.getPrograms();
      assert.strictEqual(vtn.tokensIssued, 1, 'still valid 85 s into a 100 s token');
      offset = 91000; // inside the last 10% of its lifetime
      await client.getPrograms();
      assert.strictEqual(vtn.tokensIssued, 2);
      assert.ok(
        vtn.log.every((r) => r.status !== 401 && r.status !== 403),
        'no request was ever refused',
      );
    });

    it('on 401/403 with a cached token refreshes once and retries', async () => {
      const client = venClient(vtn);
      await client.getPrograms();
      vtn.revokeTokens(); // e.g. the VTN restarted and forgot its tokens
      const programs = await client.getPrograms();
      assert.deepStrictEqual(programs, []);
      assert.strictEqual(vtn.tokensIssued, 2);
      assert.deepStrictEqual(
        vtn.log.map((r) => `${r.method} ${r.path} ${r.status}`),
        [
          'POST /auth/token 200',
          'GET /programs 200',
          'GET /programs 403',
          'POST /auth/token 200',
          'GET /programs 200',
        ],
      );
    });

    it('an expired token (server clock) is refreshed the same way', async () => {
      vtn.tokenLifetimeS = 0.2;
      const client = venClient(vtn, { refreshSkewMs: 0 });
      await client.getPrograms();
      await new Promise((r) => setTimeout(r, 300));
      // The client thinks the token is still good (skew 0, its lifetime check is racy by design).
      await client.getPrograms();
      assert.ok(vtn.tokensIssued >= 2);
    });

    it('wrong credentials fail clearly, once, naming the client id', async () => {
      const client = venClient(vtn, {
        auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: 'nope' },
      });
      await expectError(client.getPrograms(), (e) => {
        assert.strictEqual(e.kind, 'auth');
        assert.strictEqual(e.status, 401);
        assert.match(
          e.message,
          /client id "ven_client" refused \(401: invalid_client: unknown client id or wrong secret\)/,
        );
      });
      assert.strictEqual(vtn.log.length, 1, 'auth failures are not retried');
      assert.strictEqual(client.health().state, 'auth-failed');
    });

    it('a token that is refused again after a refresh is an auth error (no loop)', async () => {
      const client = venClient(vtn);
      await client.getPrograms();
      vtn.failNext(3, 403, JSON.stringify({ title: 'Forbidden', detail: 'scope' }), '/programs');
      await expectError(client.getPrograms(), (e) => {
        assert.strictEqual(e.kind, 'auth');
        assert.match(e.message, /403 \(Forbidden: scope\) \(token refused after a refresh\)/);
      });
      assert.strictEqual(
        vtn.log.filter((r) => r.path === '/programs').length,
        3,
        'first call + refused + one retry',
      );
      assert.strictEqual(vtn.tokensIssued, 2);
    });

    it('reads the token URL from GET /auth/server on 3.1 servers', async () => {
      await vtn.stop();
      vtn = await startFixtureVtn({ mode: 'price31', clients: CLIENTS });
      const client = venClient(vtn);
      assert.strictEqual(client.apiVersion, '3.1.0');
      assert.strictEqual(await client.tokenUrl(), `${vtn.url}/auth/token`);
      await client.createProgram({ programName: 'needs-auth' });
      assert.deepStrictEqual(
        vtn.log.map((r) => `${r.method} ${r.path} ${r.status}`),
        ['GET /auth/server 200', 'POST /auth/token 200', 'POST /programs 201'],
      );
    });
  });

  describe('failures and retries', () => {
    beforeEach(async () => {
      vtn = await startFixtureVtn({ clients: CLIENTS });
    });

    it('retries 5xx with exponential backoff and jitter, then succeeds', async () => {
      const waits: number[] = [];
      const client = venClient(vtn, {
        sleep: async (ms) => void waits.push(ms),
        random: () => 1,
        backoffMs: 100,
      });
      await client.getPrograms(); // token first
      vtn.failNext(3, 503);
      assert.deepStrictEqual(await client.getPrograms(), []);
      assert.deepStrictEqual(waits, [100, 200, 400], 'random()=1: the full step, doubling');
      const jittered: number[] = [];
      const low = venClient(vtn, {
        sleep: async (ms) => void jittered.push(ms),
        random: () => 0,
        backoffMs: 100,
        maxBackoffMs: 150,
      });
      vtn.failNext(3, 500);
      await low.getPrograms();
      assert.deepStrictEqual(jittered, [50, 75, 75], 'random()=0: half the step, capped by maxBackoffMs');
    });

    it('gives up after the retries with an http error and marks the VTN unreachable', async () => {
      const client = venClient(vtn, { retries: 2 });
      await client.getPrograms();
      vtn.failNext(10, 500);
      await expectError(client.getEvents(), (e) => {
        assert.strictEqual(e.kind, 'http');
        assert.strictEqual(e.status, 500);
        assert.match(e.message, /GET \/events: VTN answered 500 \(Internal Server Error: injected failure\)/);
      });
      assert.strictEqual(vtn.log.filter((r) => r.path === '/events').length, 3);
      const h = client.health();
      assert.strictEqual(h.state, 'unreachable');
      assert.ok(h.since);
    });

    it('does not retry a POST that reached the server (no duplicate objects)', async () => {
      const client = venClient(vtn);
      await client.getPrograms();
      vtn.failNext(1, 500);
      await expectError(client.createProgram({ programName: 'x' }), (e) => assert.strictEqual(e.status, 500));
      assert.strictEqual(vtn.log.filter((r) => r.method === 'POST' && r.path === '/programs').length, 1);
    });

    it('retries a POST when the connection was refused (it never reached the VTN)', async () => {
      const waits: number[] = [];
      const client = venClient(vtn, { retries: 2, sleep: async (ms) => void waits.push(ms) });
      await client.getPrograms();
      await vtn.stop();
      // The first request after the stop meets the pooled keep-alive socket closing
      // (UND_ERR_SOCKET): a POST there may have reached the server, so it is not retried.
      await expectError(client.getPrograms(), (e) => assert.strictEqual(e.kind, 'network'));
      waits.length = 0;
      await expectError(client.createProgram({ programName: 'x' }), (e) => {
        assert.strictEqual(e.kind, 'network');
        assert.match(e.message, /ECONNREFUSED/);
      });
      assert.strictEqual(waits.length, 2, 'two retries after the first refusal');
      // The VTN comes back during the backoff: the retried POST creates the object exactly once.
      let calls = 0;
      const reviving = venClient(vtn, {
        retries: 2,
        sleep: async () => {
          if (calls++ === 0) await vtn.start();
        },
      });
      const created = await reviving.createProgram({ programName: 'y' });
      assert.strictEqual(created.programName, 'y');
      assert.strictEqual(vtn.log.filter((r) => r.method === 'POST' && r.path === '/programs').length, 1);
      assert.strictEqual(vtn.store.programs.length, 1);
    });

    it('bad JSON is a parse error that quotes the body', async () => {
      const client = venClient(vtn);
      await client.getPrograms();
      vtn.badJsonNext(1);
      await expectError(client.getPrograms(), (e) => {
        assert.strictEqual(e.kind, 'parse');
        assert.match(e.message, /not JSON: "\{\\"this is\\": not json"/);
      });
      assert.strictEqual(client.health().state, 'error');
      assert.deepStrictEqual(await client.getPrograms(), [], 'the next poll works');
      assert.strictEqual(client.health().state, 'ok');
    });

    it('times out a request that gets no answer', async () => {
      const client = venClient(vtn, { timeoutMs: 100, retries: 0 });
      await client.getPrograms();
      vtn.delayNext(1000);
      await expectError(client.getPrograms(), (e) => {
        assert.strictEqual(e.kind, 'timeout');
        assert.match(e.message, /no answer within 100 ms/);
      });
    });

    it('closed: a request in flight ends normally or as kind closed; later requests are kind closed', async () => {
      const client = venClient(vtn, { timeoutMs: 5000 });
      await client.getPrograms();
      vtn.delayNext(300);
      const inFlight = client.getPrograms().then(
        () => 'answered',
        (e: OpenAdrError) => e.kind,
      );
      await new Promise((r) => setTimeout(r, 50));
      await client.close();
      assert.ok(['answered', 'closed'].includes(await inFlight), 'never a network error');
      await expectError(client.getPrograms(), (e) => {
        assert.strictEqual(e.kind, 'closed');
        assert.match(e.message, /GET .*programs: the connection to the VTN was closed/);
      });
    });

    /**
     * A client with real waits between tries, its VTN just stopped, and a request on its way
     * through the retries: what that request ends as ('answered' or the error's kind).
     */
    async function retryingAStoppedVtn(retries: number, backoffMs: number) {
      const client = venClient(vtn, {
        retries,
        backoffMs,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      });
      await client.getPrograms();
      await vtn.stop();
      const outcome = client.getPrograms().then(
        () => 'answered',
        (e: OpenAdrError) => e.kind,
      );
      return { client, outcome };
    }

    it('closed while retrying: no further tries, kind closed, and close() does not wait out the backoff', async () => {
      // A redeploy stops the VTN and this connection together: the request that was retrying the
      // stopped VTN is the redeploy's doing, not a fault to report ([error] in the log).
      const { client, outcome } = await retryingAStoppedVtn(2, 2000);
      await new Promise((r) => setTimeout(r, 100)); // the first try failed; waiting to retry
      const closeStarted = Date.now();
      await client.close();
      const closeTook = Date.now() - closeStarted;
      assert.strictEqual(await outcome, 'closed');
      assert.ok(closeTook < 1000, `close() waited ${closeTook} ms for a backoff that no longer matters`);
    });

    it('closed while retrying, with the last try due before close() gives up waiting: still kind closed', async () => {
      const { client, outcome } = await retryingAStoppedVtn(1, 400);
      await new Promise((r) => setTimeout(r, 50));
      await client.close();
      assert.strictEqual(await outcome, 'closed', 'never a network error');
    });

    it('VTN down: network error, unreachable since; recovers by itself when it is back', async () => {
      const client = venClient(vtn, { retries: 1 });
      await client.getPrograms();
      await vtn.stop();
      await expectError(client.getPrograms(), (e) => {
        assert.strictEqual(e.kind, 'network');
        assert.match(e.message, /cannot reach the VTN \(ECONNREFUSED\)/);
      });
      const down = client.health();
      assert.strictEqual(down.state, 'unreachable');
      await expectError(client.getPrograms(), () => undefined);
      assert.strictEqual(
        client.health().since,
        down.since,
        '"since" is when it went down, not the last failure',
      );
      const seen: string[] = [];
      client.onHealth((h) => seen.push(h.state));
      await vtn.start();
      assert.deepStrictEqual(await client.getPrograms(), []);
      assert.deepStrictEqual(seen, ['ok']);
    });

    it('rejects bad options and arguments with clear messages', () => {
      assert.throws(() => createVenClient({ baseUrl: 'ftp://x' }), /baseUrl must be an http\(s\) URL/);
      assert.throws(
        () =>
          createVenClient({ baseUrl: 'http://x', auth: { type: 'oauth2', clientId: '', clientSecret: '' } }),
        /OAuth2 needs auth.clientId and auth.clientSecret/,
      );
      const client = venClient(vtn);
      return assert.rejects(client.getEvents({ limit: 51 }), /limit must be between 0 and 50/);
    });
  });

  describe('operations, pagination and server quirks', () => {
    it('covers programs, events, reports, subscriptions, vens and resources', async () => {
      vtn = await startFixtureVtn({ clients: CLIENTS });
      const client = venClient(vtn);
      const program = await client.createProgram({ programName: 'tou' });
      assert.strictEqual(typeof program.id, 'string');
      assert.strictEqual((await client.getProgram(program.id!)).programName, 'tou');
      await client.updateProgram(program.id!, { programName: 'tou', programLongName: 'Time of use' });
      const event = await client.createEvent(dayEvent(program.id!));
      assert.strictEqual((await client.getEvents({ programID: program.id })).length, 1);
      await client.updateEvent(event.id!, { ...dayEvent(program.id!), eventName: 'renamed' });
      assert.strictEqual((await client.getEvent(event.id!)).eventName, 'renamed');
      const report = await client.createReport({
        programID: program.id!,
        eventID: event.id!,
        clientName: 'ven1',
        resources: [],
      });
      await client.updateReport(report.id!, { ...report, reportName: 'r' });
      assert.strictEqual((await client.getReports({ eventID: event.id })).length, 1);
      const sub = await client.createSubscription({
        clientName: 'ven1',
        programID: program.id!,
        objectOperations: [
          { objects: ['EVENT'], operations: ['POST', 'PUT'], callbackUrl: 'http://127.0.0.1:1/cb' },
        ],
      });
      assert.strictEqual((await client.getSubscription(sub.id!)).clientName, 'ven1');
      await client.deleteSubscription(sub.id!);
      const ven = await client.createVen({ venName: 'ven1' });
      const resource = await client.createResource(ven.id!, { resourceName: 'water-heater' });
      assert.strictEqual((await client.getResources(ven.id!))[0].id, resource.id);
      assert.strictEqual((await client.getVens({ venName: 'ven1' })).length, 1);
      await client.deleteReport(report.id!);
      await client.deleteEvent(event.id!);
      await client.deleteProgram(program.id!);
      assert.deepStrictEqual(await client.getAllPrograms(), []);
      await expectError(client.getEvent(event.id!), (e) => {
        assert.strictEqual(e.status, 404);
        assert.strictEqual(e.kind, 'http');
      });
      assert.strictEqual(client.health().state, 'ok', 'a 404 still means the VTN is up');
    });

    it('paginates with limit 50 until a short page', async () => {
      vtn = await startFixtureVtn({ clients: CLIENTS });
      for (let i = 0; i < 120; i++) vtn.seed('events', dayEvent('p', `e${i}`));
      const client = venClient(vtn);
      const all = await client.getAllEvents();
      assert.strictEqual(all.length, 120);
      assert.deepStrictEqual(new Set(all.map((e) => e.eventName)).size, 120);
      assert.deepStrictEqual(
        vtn.log.filter((r) => r.path === '/events').map((r) => [r.query.skip, r.query.limit]),
        [
          ['0', '50'],
          ['50', '50'],
          ['100', '50'],
        ],
      );
    });

    it('reads the reference implementation: counter ids, zone-less createdDateTime, no modificationDateTime', async () => {
      vtn = await startFixtureVtn({ mode: 'reference', clients: CLIENTS });
      const client = venClient(vtn);
      const program = await client.createProgram({ programName: 'tou' });
      assert.strictEqual(program.id, '0');
      assert.match(String(program.createdDateTime), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      await client.createEvent(dayEvent(program.id!));
      const events = await client.getAllEvents({ programID: '0' });
      assert.strictEqual(events[0].id, '1');
      const t = eventsToPriceTimeline(events, { now: '2026-01-01T00:00:00Z' });
      assert.strictEqual(t.intervals.length, 3);
    });

    it('reads openleadr-rs long-form durations', async () => {
      vtn = await startFixtureVtn({ mode: 'openleadr', clients: CLIENTS });
      vtn.seed('events', dayEvent('p'));
      const events = await venClient(vtn).getAllEvents();
      assert.strictEqual(events[0].intervalPeriod?.duration, 'P0Y0M0DT1H0M0S');
      const t = eventsToPriceTimeline(events, { now: '2026-01-01T00:00:00Z' });
      assert.deepStrictEqual(
        t.intervals.map((s) => s.end.slice(11, 13)),
        ['01', '02', '03'],
      );
    });

    it('anonymous mode reads a public 3.1.0 price server (attributes, string targets)', async () => {
      vtn = await startFixtureVtn({ mode: 'price31' });
      vtn.seed('programs', {
        id: 'pge-tou',
        programName: 'PGE-TOU',
        programLongName: 'PG&E TOU',
        retailerName: 'PGE',
        targets: ['zone-1'],
      });
      vtn.seed('events', { ...dayEvent('pge-tou'), targets: ['zone-1'], duration: 'PT6H' });
      const client = createVenClient({ baseUrl: vtn.url });
      assert.strictEqual(client.anonymous, true);
      const [program] = await client.getAllPrograms();
      assert.strictEqual(program.programLongName, 'PG&E TOU', 'from attributes PROGRAM_LONG_NAME');
      assert.strictEqual(program.retailerName, 'PGE');
      const events = await client.getAllEvents({ programID: 'pge-tou' });
      const t = eventsToPriceTimeline(events, { now: '2026-01-01T00:00:00Z', programs: [program] });
      assert.strictEqual(t.intervals.length, 6, 'event.duration PT6H loops the 3 hourly prices');
      assert.ok(
        vtn.log.every((r) => r.auth === undefined),
        'no Authorization header',
      );
      await expectError(client.createProgram({ programName: 'x' }), (e) => {
        assert.strictEqual(e.kind, 'auth');
        assert.match(e.message, /this server needs credentials/);
      });
    });
  });
});
