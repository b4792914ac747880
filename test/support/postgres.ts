/**
 * Throwaway PostgreSQL databases for tests, on the machine's server (127.0.0.1:5432, trust auth;
 * override with VTN_TEST_PG_ADMIN). Each test database has a unique name and is dropped after.
 * When the server is unreachable the suite skips with the reason — except under CI=true, where
 * that is a failure (.ci/run starts PostgreSQL first).
 */
import crypto from 'crypto';
import pg from 'pg';

export const PG_ADMIN_URL = process.env.VTN_TEST_PG_ADMIN ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<string | undefined> | undefined;

/** undefined when the server answers, otherwise why not. */
function whyUnreachable(): Promise<string | undefined> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (err) {
      return `PostgreSQL at ${PG_ADMIN_URL} is not reachable (${(err as Error).message})`;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return reachable;
}

/** Skip the calling suite (or fail under CI=true) when PostgreSQL is not there. */
export async function requirePostgres(ctx: Mocha.Context): Promise<void> {
  const why = await whyUnreachable();
  if (!why) return;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${why}`);
  console.log(`      skipped: ${why}`);
  ctx.skip();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new empty database; `drop()` removes it even with connections still open. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `vtn_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

/** Cut every connection to the database (what a database restart or a network blip does to clients). */
export async function terminateConnections(name: string): Promise<number> {
  const r = await admin((c) =>
    c.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    ),
  );
  return r.rowCount ?? 0;
}

/** Cut only the connections that LISTEN (the change watchers): NOTIFYs sent meanwhile are lost to them. */
export async function terminateListeners(name: string): Promise<number> {
  const r = await admin((c) =>
    c.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'",
      [name],
    ),
  );
  return r.rowCount ?? 0;
}
