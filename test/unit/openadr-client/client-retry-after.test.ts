/** The VEN client waits as long as the pack's own VTN asks (Retry-After) before trying again. */
import assert from 'assert';
import { createVenClient, OpenAdrError } from '../../../src/openadr/client';
import { createVtn, StoreUnavailable, type Vtn } from '../../../src';
import { SqliteStore } from '../../../src/openadr/vtn/store/sqlite';
import type { ListQuery, VtnStore } from '../../../src/openadr/vtn/store/store';

/** A real store whose list of one type fails `n` times as a database outage does. */
function failingLists(
  store: VtnStore,
  type: string,
  state: { n: number; retryAfterSeconds: number },
): VtnStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'list')
        return async (query: ListQuery) => {
          if (query.type === type && state.n > 0) {
            state.n--;
            throw new StoreUnavailable('database restarting', false, state.retryAfterSeconds);
          }
          return target.list(query);
        };
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('VEN client against a VTN answering 503 + Retry-After', () => {
  let vtn: Vtn | undefined;
  afterEach(async () => vtn?.close());

  it('honours the Retry-After of the VTN 503 (seconds), then succeeds', async () => {
    const state = { n: 2, retryAfterSeconds: 7 };
    vtn = await createVtn({ store: failingLists(new SqliteStore(':memory:'), 'EVENT', state) });
    const { url } = await vtn.listen(0, '127.0.0.1');
    const waits: number[] = [];
    const logs: string[] = [];
    const client = createVenClient({
      baseUrl: url,
      auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
      log: (level, message) => logs.push(`${level}: ${message}`),
      backoffMs: 100,
      random: () => 0,
      sleep: async (ms) => void waits.push(ms),
    });
    assert.deepStrictEqual(await client.getEvents(), []);
    assert.deepStrictEqual(waits, [7000, 7000], 'the VTN asked for 7 s, not the 50/100 ms backoff');
    assert.strictEqual(client.health().state, 'ok');
    // What a user chasing a slow VEN sees with debug/trace logging on.
    assert.ok(
      logs.includes(
        'debug: token for client id "ven_client" fetched from ' + url + '/auth/token, valid 3600 s',
      ),
    );
    assert.strictEqual(
      logs.filter((l) => /^debug: GET \/events: VTN answered 503 .*; retry [12]\/3 in 7000 ms$/.test(l))
        .length,
      2,
      logs.join('\n'),
    );
    assert.deepStrictEqual(
      logs.filter((l) => l.startsWith('trace: GET /events')).map((l) => l.replace(/\(\d+ ms\)/, '')),
      ['trace: GET /events → 503 ', 'trace: GET /events → 503 ', 'trace: GET /events → 200 '],
    );
  });

  it('a Retry-After beyond the cap is shortened; without one the backoff applies', async () => {
    const state = { n: 1, retryAfterSeconds: 3600 };
    vtn = await createVtn({ store: failingLists(new SqliteStore(':memory:'), 'PROGRAM', state) });
    const { url } = await vtn.listen(0, '127.0.0.1');
    const waits: number[] = [];
    const client = createVenClient({
      baseUrl: url,
      auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
      maxRetryAfterMs: 30_000,
      sleep: async (ms) => void waits.push(ms),
    });
    await client.getPrograms();
    assert.deepStrictEqual(waits, [30_000]);
  });

  it('gives up after the retries with the 503 as an http error', async () => {
    const state = { n: 10, retryAfterSeconds: 2 };
    vtn = await createVtn({ store: failingLists(new SqliteStore(':memory:'), 'EVENT', state) });
    const { url } = await vtn.listen(0, '127.0.0.1');
    const waits: number[] = [];
    const client = createVenClient({
      baseUrl: url,
      auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
      retries: 2,
      sleep: async (ms) => void waits.push(ms),
    });
    await assert.rejects(client.getEvents(), (e: OpenAdrError) => {
      assert.strictEqual(e.status, 503);
      assert.strictEqual(e.retryAfterMs, 2000);
      return true;
    });
    assert.deepStrictEqual(waits, [2000, 2000]);
    assert.strictEqual(client.health().state, 'unreachable');
  });
});
