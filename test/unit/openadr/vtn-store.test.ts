/** The one store suite against SQLite (memory and file) and PostgreSQL, plus PostgreSQL's own checks. */
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import pg from 'pg';
import { MIGRATIONS, PostgresStore, SqliteStore } from '../../../src/openadr/vtn';
import { ReferenceViolation } from '../../../src/openadr/vtn/store/store';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../../support/postgres';
import { event, program, report, resource, storeSuite, ven } from './store-suite';

storeSuite('SQLite in memory', async () => {
  const store = new SqliteStore(':memory:');
  return { store, cleanup: () => store.close() };
});

storeSuite('SQLite file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-store-'));
  const store = new SqliteStore(path.join(dir, 'vtn.db'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

storeSuite('PostgreSQL', async (ctx) => {
  await requirePostgres(ctx);
  const db = await createTestDatabase();
  const store = await PostgresStore.connect(db.url);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await db.drop();
    },
  };
});

describe('PostgresStore: schema, constraints, claims', function () {
  this.timeout(30000);
  let db: TestDatabase | undefined;
  const stores: PostgresStore[] = [];
  const open = async (): Promise<PostgresStore> => {
    const s = await PostgresStore.connect(db!.url, { poolSize: 4 });
    stores.push(s);
    return s;
  };
  beforeEach(async function () {
    await requirePostgres(this);
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    await db?.drop();
    db = undefined;
  });

  it('creates the schema once, records each migration, and is idempotent across concurrent starts', async () => {
    const [a, b, c] = await Promise.all([open(), open(), open()]);
    const want = MIGRATIONS.map((m) => m.version);
    assert.deepStrictEqual(await a.schemaVersions(), want);
    assert.deepStrictEqual(await b.schemaVersions(), want);
    await c.close();
    const again = await open();
    assert.deepStrictEqual(await again.schemaVersions(), want);
    const client = new pg.Client(db!.url);
    await client.connect();
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    await client.end();
    assert.deepStrictEqual(
      tables.rows.map((r) => r.table_name),
      ['change_log', 'objects', 'outbox', 'settings', 'vtn_changes', 'vtn_migrations'],
    );
  });

  it('refuses a database migrated by a newer VTN', async () => {
    const a = await open();
    const client = new pg.Client(db!.url);
    await client.connect();
    await client.query("INSERT INTO vtn_migrations (version, name) VALUES (999, 'from the future')");
    await client.end();
    await a.close();
    await assert.rejects(PostgresStore.connect(db!.url), /schema is version 999, newer than this VTN knows/);
  });

  it('enforces references with foreign keys: no event without its program, no orphaned resource or report', async () => {
    const s = await open();
    await assert.rejects(
      s.apply({ put: [event('no-such-program')] }),
      (err: unknown) => err instanceof ReferenceViolation && err.field === 'programID',
    );
    await assert.rejects(
      s.apply({ put: [resource('no-such-ven', 'tank')] }),
      (err: unknown) => err instanceof ReferenceViolation && err.field === 'venID',
    );
    const p = program();
    await s.apply({ put: [p] });
    await assert.rejects(
      s.apply({ put: [report(p.id, 'no-such-event', 'ven-a')] }),
      (err: unknown) => err instanceof ReferenceViolation && err.field === 'eventID',
    );
    const e = event(p.id);
    await s.apply({ put: [e] });
    await assert.rejects(
      s.apply({ remove: [{ type: 'PROGRAM', id: p.id }] }),
      (err: unknown) => err instanceof ReferenceViolation && /still referenced/.test(err.message),
    );
    const v = ven();
    await s.apply({ put: [v] });
    await s.apply({ put: [resource(v.id, 'tank')] });
    await assert.rejects(s.apply({ remove: [{ type: 'VEN', id: v.id }] }), ReferenceViolation);
    assert.strictEqual(await s.count('PROGRAM'), 1);
    assert.strictEqual(await s.count('EVENT'), 1);
  });

  it('bumps the shared change counter on every committed change, not on a rolled-back one', async () => {
    const a = await open();
    const b = await open();
    const v0 = await b.changeVersion();
    await a.apply({ put: [program('counted')] });
    assert.strictEqual(await b.changeVersion(), v0 + 1);
    await assert.rejects(a.apply({ put: [program('counted')] }));
    assert.strictEqual(await b.changeVersion(), v0 + 1);
  });

  it('hands each due notification to one claimer only, and to another once the claim runs out', async () => {
    const a = await open();
    const b = await open();
    const notify = Array.from({ length: 40 }, (_, n) => ({
      subscriptionID: 'sub',
      callbackUrl: 'http://127.0.0.1:9/cb',
      bearerToken: null,
      body: String(n),
    }));
    await a.apply({ put: [program()], notify });
    const now = Date.now() + 5;
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).dueNotifications(now, 7, 10_000)),
    );
    const ids = claims.flat().map((e) => e.id);
    assert.strictEqual(new Set(ids).size, ids.length, 'no row handed out twice');
    assert.strictEqual(ids.length, 40, 'every row handed out once');
    assert.deepStrictEqual(await b.dueNotifications(now + 1, 100), [], 'claimed rows are not due');
    const again = await b.dueNotifications(now + 10_001, 100, 1000);
    assert.strictEqual(again.length, 40, 'an instance that died leaves its claims to run out');
  });
});
