/**
 * Schema migrations, one contract for both stores. A migration is a file
 * `migrations/<sqlite|postgres>/NNNN-what-it-does.sql`; version NNNN counts up from 1 without gaps.
 * On open, the store runs this module's runner, which:
 * - makes `vtn_migrations` (version, name, sha256, applied_at) exist and reads it;
 * - refuses a schema newer than the newest file (a VTN older than the one that upgraded it);
 * - refuses a file whose SHA-256 differs from the one recorded when it was applied (an applied
 *   migration was edited: its change never reached this database);
 * - adopts what was there before checksums: rows recorded without one get the file's (PostgreSQL
 *   as migrated by release 0.1.0), and a SQLite file with release 0.1.0's tables but no record of
 *   them is recorded as version 1 (after checking the tables are exactly version 1's);
 * - applies each missing migration in a transaction of its own together with its record, so a
 *   failed one leaves no trace and the versions before it stay applied;
 * - on PostgreSQL holds an advisory lock for the whole run, so instances starting together
 *   migrate once (SQLite takes its write lock per migration and re-checks inside it).
 *
 * better-sqlite3 answers synchronously (SqliteStore opens in its constructor) and pg with
 * promises. The runner is written once, as a generator that yields each database call's result
 * (a value or a promise); `runMigrationsSync` and `runMigrations` feed the answers back.
 */
import crypto from 'crypto';
import fs from 'fs';
import path from 'path';

export interface Migration {
  version: number;
  /** The file name, e.g. `0002-change-counter-and-outbox-claims.sql`. */
  name: string;
  sql: string;
  /** Of the file's text with line endings as LF (a CRLF checkout must not look edited). */
  sha256: string;
}

/** A row of `vtn_migrations`; `sha256` is null for rows written before checksums were recorded. */
export interface AppliedMigration {
  version: number;
  name: string;
  sha256: string | null;
}

export interface MigrationResult {
  /** The schema version now. */
  version: number;
  /** Versions this run applied. */
  applied: number[];
  /** Versions found applied without a checksum (or without any record) and recorded as they are. */
  adopted: number[];
}

/** The schema cannot be opened by this code, or a migration failed; the message says which and why. */
export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

type Step<T> = T | Promise<T>;

/** What the runner needs of one database connection; every call answers now or with a promise. */
export interface MigrationTarget {
  /** Where, for messages (a file path, a URL without its password). */
  label: string;
  /** Statements without results (one or several; no parameters). */
  exec(sql: string): Step<void>;
  /** The rows of one statement; parameters are written $1, $2, … in the order given. */
  query<R>(sql: string, params?: unknown[]): Step<R[]>;
  /** Statements that make `vtn_migrations` exist with today's columns. */
  prepareSql: string;
  /** Starts one migration's transaction. */
  beginSql: string;
  /** Never throws: a connection that died has already ended the transaction. */
  rollback(): Step<void>;
  lock?(): Step<void>;
  /** Never throws (a lost session has released its lock). */
  unlock?(): Step<void>;
  /**
   * The schema found without any record of it: the version it is (0 when there is none). Throws
   * MigrationError for tables this code does not recognise.
   */
  unrecordedVersion(): Step<number>;
}

const FILE_NAME = /^(\d{4})-[a-z0-9][a-z0-9-]*\.sql$/;

export function migrationOf(name: string, text: string): Migration {
  const m = FILE_NAME.exec(name);
  if (!m) throw new MigrationError(`migration file name ${name} is not NNNN-what-it-does.sql`);
  const sql = text.replace(/\r\n/g, '\n');
  return { version: Number(m[1]), name, sql, sha256: crypto.createHash('sha256').update(sql).digest('hex') };
}

/** The `.sql` files of a directory as migrations, checked to be numbered 1, 2, 3… */
export function loadMigrations(dir: string): Migration[] {
  const names = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.sql')) : [];
  const list = names.map((n) => migrationOf(n, fs.readFileSync(path.join(dir, n), 'utf8')));
  list.sort((a, b) => a.version - b.version);
  if (list.length === 0)
    throw new MigrationError(`no migration files in ${dir} (an incomplete installation?)`);
  list.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationError(
        `migrations in ${dir} must be numbered 1, 2, 3…: ${m.name} is at place ${i + 1}`,
      );
  });
  return list;
}

/**
 * Which known migrations to apply, and which recorded ones lack a checksum; throws MigrationError
 * for a schema newer than `known` or an applied migration whose file has changed since.
 */
export function planMigrations(
  label: string,
  known: readonly Migration[],
  recorded: readonly AppliedMigration[],
): { pending: Migration[]; unchecked: Migration[] } {
  const newest = Math.max(0, ...recorded.map((r) => r.version));
  const knownNewest = known.length;
  if (newest > knownNewest)
    throw new MigrationError(
      `${label}: schema is version ${newest}, newer than this VTN knows (${knownNewest}): upgrade the VTN, or open a copy saved before the newer one upgraded it`,
    );
  const unchecked: Migration[] = [];
  for (const r of recorded) {
    const m = known[r.version - 1];
    if (!m)
      throw new MigrationError(
        `${label}: vtn_migrations records version ${r.version}, which no migration has`,
      );
    if (r.sha256 === null) unchecked.push(m);
    else if (r.sha256 !== m.sha256)
      throw new MigrationError(
        `${label}: migration ${m.name} was changed after it was applied here (recorded sha256 ${r.sha256.slice(0, 12)}…, ` +
          `the file has ${m.sha256.slice(0, 12)}…): restore the file as released and make the change a new migration`,
      );
  }
  const done = new Set(recorded.map((r) => r.version));
  return { pending: known.filter((m) => !done.has(m.version)), unchecked };
}

const SELECT_RECORDED = 'SELECT version, name, sha256 FROM vtn_migrations ORDER BY version';
const RECORD = 'INSERT INTO vtn_migrations (version, name, sha256) VALUES ($1, $2, $3)';
const ADOPT = `${RECORD} ON CONFLICT (version) DO NOTHING`;
const ADD_CHECKSUM = 'UPDATE vtn_migrations SET sha256 = $1 WHERE version = $2 AND sha256 IS NULL';
const IS_RECORDED = 'SELECT version FROM vtn_migrations WHERE version = $1';

/** One database call inside the runner: yields its answer (or promise) and gets the value back. */
function* ask<T>(step: Step<T>): Generator<Step<unknown>, T, unknown> {
  return (yield step) as T;
}

function* migrate(
  target: MigrationTarget,
  known: readonly Migration[],
): Generator<Step<unknown>, MigrationResult, unknown> {
  if (target.lock) yield* ask(target.lock());
  try {
    yield* ask(target.exec(target.prepareSql));
    let recorded = yield* ask(target.query<AppliedMigration>(SELECT_RECORDED));
    const adopted: number[] = [];
    if (recorded.length === 0) {
      const found = yield* ask(target.unrecordedVersion());
      for (const m of known.slice(0, found)) {
        yield* ask(target.query(ADOPT, [m.version, m.name, m.sha256]));
        adopted.push(m.version);
      }
      if (found > 0) recorded = yield* ask(target.query<AppliedMigration>(SELECT_RECORDED));
    }
    const plan = planMigrations(target.label, known, recorded);
    for (const m of plan.unchecked) {
      yield* ask(target.query(ADD_CHECKSUM, [m.sha256, m.version]));
      adopted.push(m.version);
    }
    const applied: number[] = [];
    for (const m of plan.pending) if (yield* applyOne(target, m)) applied.push(m.version);
    return { version: known.length, applied, adopted };
  } finally {
    if (target.unlock) yield* ask(target.unlock());
  }
}

/** One migration and its record in one transaction; false when another process applied it first. */
function* applyOne(target: MigrationTarget, m: Migration): Generator<Step<unknown>, boolean, unknown> {
  try {
    yield* ask(target.exec(target.beginSql));
    const already = (yield* ask(target.query(IS_RECORDED, [m.version]))).length > 0;
    if (!already) {
      yield* ask(target.exec(m.sql));
      yield* ask(target.query(RECORD, [m.version, m.name, m.sha256]));
    }
    yield* ask(target.exec('COMMIT'));
    return !already;
  } catch (err) {
    yield* ask(target.rollback());
    throw new MigrationError(
      `${target.label}: migration ${m.name} failed and was rolled back: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Run the migrations on a target that answers synchronously (better-sqlite3). */
export function runMigrationsSync(target: MigrationTarget, known: readonly Migration[]): MigrationResult {
  const run = migrate(target, known);
  let next = run.next();
  while (!next.done) {
    if (next.value instanceof Promise)
      throw new TypeError('a synchronous migration target returned a promise');
    next = run.next(next.value);
  }
  return next.value;
}

/** Run the migrations on a target that answers with promises (pg). */
export async function runMigrations(
  target: MigrationTarget,
  known: readonly Migration[],
): Promise<MigrationResult> {
  const run = migrate(target, known);
  let next = run.next();
  while (!next.done) {
    let value: unknown;
    try {
      value = await next.value;
    } catch (err) {
      next = run.throw(err);
      continue;
    }
    next = run.next(value);
  }
  return next.value;
}
