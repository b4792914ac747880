/**
 * Schema versions of both stores: the shared runner's rules, SQLite files written by earlier
 * releases (test/fixtures/vtn/store-<release>.sqlite) upgraded without loss, future migrations
 * applied in one transaction each, edited or newer schemas refused.
 */
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createVtn, MIGRATIONS, PostgresStore, SqliteStore } from '../../../src/openadr/vtn';
import {
  loadMigrations,
  type Migration,
  MigrationError,
  migrationOf,
  planMigrations,
} from '../../../src/openadr/vtn/store/migrate';
import { migratePostgres } from '../../../src/openadr/vtn/store/pg/migrate';
import { migrateSqlite, SQLITE_MIGRATIONS } from '../../../src/openadr/vtn/store/sqlite';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../../support/postgres';
import { dumpStore } from '../../fixtures/vtn/make-store-fixture';
import { program } from './store-suite';

const root = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'vtn');

let dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-migrate-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

/** A copy of a committed fixture (never opened in place: opening may upgrade it). */
function copyFixture(name: string): string {
  const file = path.join(tempDir(), name);
  fs.copyFileSync(path.join(fixtures, name), file);
  return file;
}

function recorded(file: string): Array<{ version: number; name: string; sha256: string | null }> {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT version, name, sha256 FROM vtn_migrations ORDER BY version').all() as Array<{
      version: number;
      name: string;
      sha256: string | null;
    }>;
  } finally {
    db.close();
  }
}

/** Tables and indexes with the SQL that made them, vtn_migrations aside. */
function schema(file: string): Record<string, string> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE name <> 'vtn_migrations' ORDER BY name")
      .all() as Array<{ name: string; sql: string | null }>;
    return Object.fromEntries(rows.map((r) => [r.name, r.sql ?? '']));
  } finally {
    db.close();
  }
}

const columns = (file: string, table: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);
  } finally {
    db.close();
  }
};

describe('Store migrations: the runner', () => {
  it('loads numbered files in order and refuses gaps, bad names and an empty folder', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, '0002-second.sql'), 'SELECT 2;\n');
    fs.writeFileSync(path.join(dir, '0001-first.sql'), 'SELECT 1;\n');
    fs.writeFileSync(path.join(dir, 'README.md'), 'not a migration');
    assert.deepStrictEqual(
      loadMigrations(dir).map((m) => [m.version, m.name]),
      [
        [1, '0001-first.sql'],
        [2, '0002-second.sql'],
      ],
    );
    fs.writeFileSync(path.join(dir, '0004-fourth.sql'), 'SELECT 4;\n');
    assert.throws(() => loadMigrations(dir), /numbered 1, 2, 3…: 0004-fourth.sql is at place 3/);
    fs.rmSync(path.join(dir, '0004-fourth.sql'));
    fs.writeFileSync(path.join(dir, '3-third.sql'), 'SELECT 3;\n');
    assert.throws(() => loadMigrations(dir), /3-third.sql is not NNNN-what-it-does.sql/);
    assert.throws(() => loadMigrations(path.join(dir, 'nothing-here')), /no migration files/);
  });

  it('checksums the text with LF line endings, so a CRLF checkout is not an edit', () => {
    const lf = migrationOf('0001-x.sql', 'CREATE TABLE a (b INTEGER);\nSELECT 1;\n');
    const crlf = migrationOf('0001-x.sql', 'CREATE TABLE a (b INTEGER);\r\nSELECT 1;\r\n');
    assert.strictEqual(crlf.sha256, lf.sha256);
    assert.match(lf.sha256, /^[0-9a-f]{64}$/);
    assert.notStrictEqual(migrationOf('0001-x.sql', 'CREATE TABLE a (c INTEGER);\n').sha256, lf.sha256);
  });

  it('plans what is missing, adopts rows without a checksum, refuses newer and edited schemas', () => {
    const known: Migration[] = [1, 2, 3].map((v) => migrationOf(`000${v}-m.sql`, `SELECT ${v};`));
    const row = (m: Migration, sha256: string | null = m.sha256) => ({
      version: m.version,
      name: m.name,
      sha256,
    });
    const plan = planMigrations('db', known, [row(known[0]), row(known[1], null)]);
    assert.deepStrictEqual(
      plan.pending.map((m) => m.version),
      [3],
    );
    assert.deepStrictEqual(
      plan.unchecked.map((m) => m.version),
      [2],
    );
    assert.throws(
      () => planMigrations('db', known, [{ version: 7, name: 'x', sha256: null }]),
      (err: unknown) =>
        err instanceof MigrationError &&
        /db: schema is version 7, newer than this VTN knows \(3\)/.test(err.message),
    );
    assert.throws(
      () => planMigrations('db', known, [row(known[0], 'f'.repeat(64))]),
      /migration 0001-m.sql was changed after it was applied here \(recorded sha256 ffffffffffff…/,
    );
  });
});

describe('SQLite store: schema versions and upgrades', () => {
  it('records version 1 with its checksum in a new file, and a reopen changes nothing', async () => {
    const file = path.join(tempDir(), 'new.db');
    const store = new SqliteStore(file);
    assert.deepStrictEqual(await store.schemaVersions(), [1]);
    await store.close();
    const first = recorded(file);
    assert.deepStrictEqual(first, [
      { version: 1, name: SQLITE_MIGRATIONS[0].name, sha256: SQLITE_MIGRATIONS[0].sha256 },
    ]);
    const again = new SqliteStore(file);
    await again.close();
    assert.deepStrictEqual(recorded(file), first);
  });

  const releases = fs.readdirSync(fixtures).filter((f) => /^store-.*\.sqlite$/.test(f));
  it('has a store file written by a released version to upgrade', () => {
    assert.ok(releases.includes('store-0.1.0.sqlite'), `fixtures: ${releases.join(', ')}`);
  });

  for (const name of releases) {
    it(`opens ${name} (written by that release), brings it to the current version and reads everything back`, async () => {
      const file = copyFixture(name);
      const { release, ...want } = JSON.parse(
        fs.readFileSync(path.join(fixtures, name.replace(/\.sqlite$/, '.json')), 'utf8'),
      ) as Record<string, unknown>;
      const store = new SqliteStore(file);
      try {
        assert.deepStrictEqual(
          JSON.parse(JSON.stringify(await dumpStore(store))),
          want,
          `${release}: contents`,
        );
        // Still a working store: new objects follow the old ones.
        const seqs = Object.values(want.objects as Record<string, Array<{ seq: number }>>)
          .flat()
          .map((o) => o.seq);
        const p = program();
        await store.apply({ put: [p] });
        assert.ok((await store.get('PROGRAM', p.id))!.seq! > Math.max(...seqs));
      } finally {
        await store.close();
      }
      assert.deepStrictEqual(
        recorded(file).map((r) => [r.version, r.sha256]),
        SQLITE_MIGRATIONS.map((m) => [m.version, m.sha256]),
      );
    });
  }

  it('adopts a 0.1.0 file as version 1: recorded, not run, no table or index changed', () => {
    const file = copyFixture('store-0.1.0.sqlite');
    const before = schema(file);
    const db = new Database(file);
    try {
      assert.deepStrictEqual(migrateSqlite(db, file, SQLITE_MIGRATIONS.slice(0, 1)), {
        version: 1,
        applied: [],
        adopted: [1],
      });
    } finally {
      db.close();
    }
    assert.deepStrictEqual(schema(file), before);
    assert.deepStrictEqual(recorded(file), [
      { version: 1, name: SQLITE_MIGRATIONS[0].name, sha256: SQLITE_MIGRATIONS[0].sha256 },
    ]);
  });

  const futureList = (sql: string): Migration[] => [
    ...SQLITE_MIGRATIONS,
    migrationOf('0002-future.sql', sql),
  ];

  it('applies a future migration to the 0.1.0 file in one transaction, records it, and an older VTN then refuses the file', async () => {
    const file = copyFixture('store-0.1.0.sqlite');
    await new SqliteStore(file).close();
    const db = new Database(file);
    const result = migrateSqlite(
      db,
      file,
      futureList('ALTER TABLE objects ADD COLUMN note TEXT;\nUPDATE objects SET note = lower(type);\n'),
    );
    db.close();
    assert.deepStrictEqual(result, { version: 2, applied: [2], adopted: [] });
    assert.deepStrictEqual(
      recorded(file).map((r) => [r.version, r.name]),
      [
        [1, '0001-objects-settings-outbox.sql'],
        [2, '0002-future.sql'],
      ],
    );
    assert.ok(columns(file, 'objects').includes('note'));
    assert.throws(
      () => new SqliteStore(file),
      (err: unknown) =>
        err instanceof MigrationError &&
        err.message.startsWith(file) &&
        /schema is version 2, newer than this VTN knows \(1\): upgrade the VTN/.test(err.message),
    );
    assert.ok(
      !fs.existsSync(`${file}-wal`),
      'the refused open let go of the file (its last connection closed)',
    );
    assert.strictEqual(recorded(file).length, 2, 'and changed nothing');
    // What the openadr3-vtn node shows as its status when it cannot start.
    await assert.rejects(createVtn({ store: file }), /newer than this VTN knows \(1\)/);
  });

  it('rolls a failing migration back whole: no part of it applied, not recorded, the store still opens', async () => {
    const file = copyFixture('store-0.1.0.sqlite');
    const db = new Database(file);
    assert.throws(
      () =>
        migrateSqlite(
          db,
          file,
          futureList('ALTER TABLE objects ADD COLUMN note TEXT;\nINSERT INTO no_such_table VALUES (1);\n'),
        ),
      /migration 0002-future.sql failed and was rolled back: no such table: no_such_table/,
    );
    assert.strictEqual(db.inTransaction, false);
    db.close();
    assert.ok(!columns(file, 'objects').includes('note'));
    assert.deepStrictEqual(
      recorded(file).map((r) => r.version),
      [1],
      'version 1 (adopted before the failure) stays',
    );
    const store = new SqliteStore(file);
    assert.strictEqual((await store.list({ type: 'EVENT' })).length, 2);
    await store.close();
  });

  it('refuses a file whose applied migration was edited since', async () => {
    const file = copyFixture('store-0.1.0.sqlite');
    await new SqliteStore(file).close();
    const edited = [migrationOf(SQLITE_MIGRATIONS[0].name, `${SQLITE_MIGRATIONS[0].sql}-- edited\n`)];
    const db = new Database(file);
    try {
      assert.throws(
        () => migrateSqlite(db, file, edited),
        /migration 0001-objects-settings-outbox.sql was changed after it was applied here .*restore the file as released/,
      );
    } finally {
      db.close();
    }
  });

  it('refuses VTN tables that are not any release’s, and leaves them as they are', () => {
    const file = path.join(tempDir(), 'odd.db');
    const db = new Database(file);
    // The objects table of a development build before `targeted` existed.
    db.exec(
      "CREATE TABLE objects (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, id TEXT NOT NULL, owner TEXT, name TEXT, scope TEXT NOT NULL DEFAULT '', ref TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, UNIQUE (type, id));",
    );
    db.close();
    assert.throws(
      () => new SqliteStore(file),
      /odd.db has VTN tables without a schema version, and they are not those of release 0.1.0 \(changed: objects; missing: objects_name, .*outbox_subscription\): not a store this VTN can upgrade/,
    );
    assert.deepStrictEqual(Object.keys(schema(file)), [
      'objects',
      'sqlite_autoindex_objects_1',
      'sqlite_sequence',
    ]);
  });

  it('ships the migration files with the build, beside the compiled store', () => {
    const rel = path.join('src', 'openadr', 'vtn', 'store', 'migrations');
    for (const dialect of fs.readdirSync(path.join(root, rel)).filter((d) => !d.includes('.'))) {
      const src = path.join(root, rel, dialect);
      const dist = path.join(root, 'dist', rel, dialect);
      assert.ok(fs.existsSync(dist), `${dist} missing: scripts/build.js must copy the migrations`);
      assert.deepStrictEqual(
        loadMigrations(dist).map((m) => [m.name, m.sha256]),
        loadMigrations(src).map((m) => [m.name, m.sha256]),
      );
    }
  });
});

describe('PostgreSQL store: migrations as files', function () {
  this.timeout(30000);
  let db: TestDatabase | undefined;
  let client: pg.Client | undefined;
  beforeEach(async function () {
    await requirePostgres(this);
    db = await createTestDatabase();
    client = new pg.Client(db.url);
    await client.connect();
  });
  afterEach(async () => {
    await client?.end();
    await db?.drop();
    client = undefined;
    db = undefined;
  });
  const rows = async () =>
    (
      await client!.query<{ version: number; name: string; sha256: string | null }>(
        'SELECT version, name, sha256 FROM vtn_migrations ORDER BY version',
      )
    ).rows;

  /** What release 0.1.0 did on first start: its four migrations and their names, no checksums. */
  const OLD_NAMES = [
    'objects, settings, outbox',
    'change counter and outbox claims for several instances',
    'change log for LISTEN/NOTIFY between instances',
    'change counter per object type (poll caches survive report writes)',
  ];
  async function migrateAsRelease010(): Promise<void> {
    await client!.query('BEGIN');
    await client!.query(
      'CREATE TABLE IF NOT EXISTS vtn_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    for (const m of MIGRATIONS) {
      await client!.query(m.sql);
      await client!.query('INSERT INTO vtn_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        OLD_NAMES[m.version - 1],
      ]);
    }
    await client!.query('COMMIT');
  }

  it('records each file with its checksum in a new database', async () => {
    const store = await PostgresStore.connect(db!.url);
    await store.close();
    assert.deepStrictEqual(
      await rows(),
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name, sha256: m.sha256 })),
    );
  });

  it('adopts a database migrated by release 0.1.0 (no checksums): nothing run again, data kept', async () => {
    await migrateAsRelease010();
    await client!.query(
      "INSERT INTO objects (type, id, name, body) VALUES ('PROGRAM', 'p-old', 'old-program', '{\"id\":\"p-old\"}')",
    );
    await client!.query("INSERT INTO settings (key, value) VALUES ('jwt_signing_secret', 'kept')");
    const store = await PostgresStore.connect(db!.url);
    try {
      assert.deepStrictEqual(
        await rows(),
        MIGRATIONS.map((m) => ({ version: m.version, name: OLD_NAMES[m.version - 1], sha256: m.sha256 })),
      );
      assert.deepStrictEqual((await store.get('PROGRAM', 'p-old'))!.body, { id: 'p-old' });
      assert.strictEqual(await store.getSetting('jwt_signing_secret'), 'kept');
      await store.apply({ put: [program()] });
      assert.strictEqual(await store.count('PROGRAM'), 2);
    } finally {
      await store.close();
    }
    const pool = new pg.Pool({ connectionString: db!.url, max: 1 });
    try {
      assert.deepStrictEqual(await migratePostgres(pool, 'db'), {
        version: MIGRATIONS.length,
        applied: [],
        adopted: [],
      });
    } finally {
      await pool.end();
    }
  });

  it('opens a database whose tables another role owns (migrated by an administrator)', async () => {
    await (await PostgresStore.connect(db!.url)).close();
    const role = `vtn_app_${db!.name.slice(-8)}`;
    await client!.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await client!.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
      await client!.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
      await client!.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      const url = new URL(db!.url);
      url.username = role;
      // Nothing to migrate, so nothing that needs the tables' owner (ALTER TABLE) may run.
      const store = await PostgresStore.connect(url.toString());
      try {
        assert.deepStrictEqual(
          await store.schemaVersions(),
          MIGRATIONS.map((m) => m.version),
        );
        await store.apply({ put: [program()] });
      } finally {
        await store.close();
      }
    } finally {
      await client!.query(`DROP OWNED BY ${role}`);
      await client!.query(`DROP ROLE ${role}`);
    }
  });

  it('refuses a database whose applied migration was edited since', async () => {
    await (await PostgresStore.connect(db!.url)).close();
    await client!.query("UPDATE vtn_migrations SET sha256 = repeat('0', 64) WHERE version = 3");
    await assert.rejects(
      PostgresStore.connect(db!.url),
      /migration 0003-change-log.sql was changed after it was applied here \(recorded sha256 000000000000…/,
    );
  });

  it('applies a future migration in one transaction and records it; a failing one leaves no trace', async () => {
    await (await PostgresStore.connect(db!.url)).close();
    const pool = new pg.Pool({ connectionString: db!.url, max: 2 });
    try {
      const failing = [
        ...MIGRATIONS,
        migrationOf('0005-future.sql', 'ALTER TABLE objects ADD COLUMN note TEXT;\nSELECT 1 / 0;\n'),
      ];
      await assert.rejects(
        migratePostgres(pool, 'db', failing),
        /db: migration 0005-future.sql failed and was rolled back: division by zero/,
      );
      const noteColumn =
        "SELECT 1 FROM information_schema.columns WHERE table_name = 'objects' AND column_name = 'note'";
      assert.strictEqual((await client!.query(noteColumn)).rowCount, 0);
      assert.strictEqual((await rows()).length, MIGRATIONS.length);
      const future = migrationOf(
        '0005-future.sql',
        "ALTER TABLE objects ADD COLUMN note TEXT NOT NULL DEFAULT '';\n",
      );
      const result = await migratePostgres(pool, 'db', [...MIGRATIONS, future]);
      assert.deepStrictEqual(result, { version: 5, applied: [5], adopted: [] });
      assert.strictEqual((await client!.query(noteColumn)).rowCount, 1);
      assert.deepStrictEqual((await rows()).at(-1), {
        version: 5,
        name: '0005-future.sql',
        sha256: future.sha256,
      });
      await assert.rejects(
        PostgresStore.connect(db!.url),
        /schema is version 5, newer than this VTN knows \(4\)/,
      );
    } finally {
      await pool.end();
    }
  });
});
