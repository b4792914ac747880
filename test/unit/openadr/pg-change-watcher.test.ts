/** The PostgreSQL change watcher's states, on a real database: start, a cut connection, no database, stop. */
import assert from 'assert';
import { PostgresStore } from '../../../src/openadr/vtn';
import { HeardVersions, VersionReader } from '../../../src/openadr/vtn/store/pg/changes';
import { ChangeWatcher, type WatcherState } from '../../../src/openadr/vtn/store/pg/watcher';
import { freePort } from '../../support/ports';
import {
  createTestDatabase,
  requirePostgres,
  terminateListeners,
  type TestDatabase,
} from '../../support/postgres';
import { program } from './store-suite';

async function until(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every state the watcher enters, in order. */
function statesOf(w: ChangeWatcher): WatcherState[] {
  const seen: WatcherState[] = [w.state];
  w.on('state', (s: WatcherState) => seen.push(s));
  return seen;
}

describe('PostgreSQL change watcher', function () {
  this.timeout(20000);
  let db: TestDatabase | undefined;
  const stores: PostgresStore[] = [];
  const watchers: ChangeWatcher[] = [];
  const open = async (): Promise<PostgresStore> => {
    const s = await PostgresStore.connect(db!.url, { poolSize: 2, onError: () => undefined });
    stores.push(s);
    return s;
  };
  beforeEach(async function () {
    await requirePostgres(this);
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const w of watchers.splice(0)) await w.stop();
    for (const s of stores.splice(0)) await s.close();
    await db?.drop();
    db = undefined;
  });

  it("connects, catches up, listens and emits another instance's change; stop ends it", async () => {
    const [a, b] = [await open(), await open()];
    const heard: unknown[] = [];
    const w = b.watchChanges((events) => heard.push(...events));
    watchers.push(w);
    const states = statesOf(w);
    await w.ready;
    await until('listening', () => w.state === 'listening');
    await a.apply({ put: [program()], events: [{ operation: 'CREATE', n: 1 }] });
    await b.apply({ put: [program()], events: [{ operation: 'CREATE', n: 2 }] }); // its own: not emitted
    await until('the change heard', () => heard.length > 0);
    await w.stop();
    assert.deepStrictEqual(heard, [{ operation: 'CREATE', n: 1 }]);
    assert.deepStrictEqual(states, ['connecting', 'catching-up', 'listening', 'stopped']);
  });

  it('backs off when its connection is cut, reconnects, and emits what was committed meanwhile once', async () => {
    const [a, b] = [await open(), await open()];
    const heard: unknown[] = [];
    const w = b.watchChanges((events) => heard.push(...events));
    watchers.push(w);
    await w.ready;
    await until('listening', () => w.state === 'listening');
    const states = statesOf(w);
    // Written while nobody listens: its NOTIFY is lost, the change log still has it.
    w.once('state', () => void a.apply({ put: [program()], events: [{ while: 'backing-off' }] }));
    assert.strictEqual(await terminateListeners(db!.name), 1);
    await until('listening again', () => states.length > 1 && w.state === 'listening');
    await until('the missed change', () => heard.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepStrictEqual(heard, [{ while: 'backing-off' }]);
    assert.deepStrictEqual(states, ['listening', 'backing-off', 'connecting', 'catching-up', 'listening']);
  });

  it('keeps backing off while there is no database, and stays stopped once stopped', async () => {
    const url = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
    // The watcher's reads go through the store's retrying query: here, one that finds no database.
    const query = (): Promise<never> =>
      Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    const errors: Error[] = [];
    const w = new ChangeWatcher({
      url,
      instance: 'test',
      query,
      versions: new VersionReader(query),
      heard: new HeardVersions(),
      consistency: 'strict',
      heartbeatMs: 1000,
      onError: (err) => errors.push(err),
      listener: () => assert.fail('nothing to hear'),
    });
    watchers.push(w);
    const states = statesOf(w);
    w.start();
    await w.ready;
    await until('two attempts', () => states.filter((s) => s === 'backing-off').length === 2);
    await w.stop();
    const stoppedAt = states.length;
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepStrictEqual(states.slice(0, 5), [
      'stopped',
      'connecting',
      'backing-off',
      'connecting',
      'backing-off',
    ]);
    assert.deepStrictEqual(states.slice(4), ['backing-off', 'stopped']);
    assert.strictEqual(states.length, stoppedAt, 'no attempt after stop');
    assert.ok(errors.some((e) => /ECONNREFUSED/.test(e.message)));
  });
});
