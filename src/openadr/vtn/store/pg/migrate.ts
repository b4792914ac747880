/**
 * The PostgreSQL schema: the files in `migrations/postgres/`, applied by the shared runner
 * (../migrate.ts) under a session advisory lock, so VTN instances starting together migrate once.
 */
import path from 'path';
import type pg from 'pg';
import { loadMigrations, type Migration, type MigrationResult, runMigrations } from '../migrate';

/** Append only: a released migration is never edited, a change is a new file. */
export const MIGRATIONS: Migration[] = loadMigrations(path.join(__dirname, '..', 'migrations', 'postgres'));

/**
 * Any number will do as long as it is this application's own. Release 0.1.0 took the same key as
 * a transaction lock, which conflicts with this session lock: old and new instances wait for each other.
 */
const MIGRATION_LOCK = 0x0ad3_0301;

/**
 * vtn_migrations with its checksum column; release 0.1.0 made it without one, which is added once
 * (looked up first: ALTER TABLE needs the table's owner and an exclusive lock, even with IF NOT
 * EXISTS). Its rows get their checksums from the runner, which adopts them rather than running them.
 */
const PREPARE = `
CREATE TABLE IF NOT EXISTS vtn_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), sha256 TEXT);
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'vtn_migrations'::regclass AND attname = 'sha256' AND NOT attisdropped) THEN
    ALTER TABLE vtn_migrations ADD COLUMN sha256 TEXT;
  END IF;
END $$;
`;

/** Bring the database's schema up to `migrations` (each in its own transaction). */
export async function migratePostgres(
  pool: pg.Pool,
  label: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  const client = await pool.connect();
  const onLost = (): void => undefined; // the next statement fails and says why
  client.on('error', onLost);
  // A session whose unlock failed may still hold the lock: it must not go back to the pool.
  let broken: Error | undefined;
  try {
    return await runMigrations(
      {
        label,
        exec: async (sql) => void (await client.query(sql)),
        query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
        prepareSql: PREPARE,
        beginSql: 'BEGIN',
        rollback: () =>
          client.query('ROLLBACK').then(
            () => undefined,
            () => undefined,
          ),
        lock: async () => void (await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])),
        unlock: () =>
          client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).then(
            () => undefined,
            (err: Error) => void (broken = err),
          ),
        // Every release has recorded its migrations in vtn_migrations: tables without it are not ours.
        unrecordedVersion: () => 0,
      },
      migrations,
    );
  } catch (err) {
    broken ??= err as Error; // rare, and a fresh connection is cheap: never reuse one mid-failure
    throw err;
  } finally {
    client.off('error', onLost);
    client.release(broken);
  }
}
