/**
 * One change written to PostgreSQL: objects, their outbox rows and the change counter, all or
 * nothing. The common case (one object) is one autocommitted statement; anything else is a
 * transaction that ends with the counter bump, so the one row lock every writer takes is held
 * only for the commit.
 */
import type pg from 'pg';
import type { ChangeSet, NewOutboxEntry, ObjectType, StoredObject } from '../store';
import { BUMP_CTES, BUMP_SQL, bumpArgs, type HeardVersions } from './changes';
import { isTransientPgError, translateConstraintError } from './errors';

const UPSERT =
  'INSERT INTO objects (type, id, owner, name, scope, ref, targeted, body) VALUES ($5, $6, $7, $8, $9, $10, $11, $12) ' +
  'ON CONFLICT (type, id) DO UPDATE SET owner = excluded.owner, name = excluded.name, scope = excluded.scope, ' +
  'ref = excluded.ref, targeted = excluded.targeted, body = excluded.body';
const OUTBOX_ROWS =
  'INSERT INTO outbox (subscription_id, callback_url, bearer_token, body, next_attempt_at, created_at) ' +
  'SELECT s, c, t, b, $13, $13 FROM unnest($14::text[], $15::text[], $16::text[], $17::text[]) AS x(s, c, t, b)';
/**
 * The common write — one object created or replaced, its notifications, the counter, the log —
 * as ONE autocommitted statement: one round trip, and the counter row lock is held only while the
 * statement finishes and commits, never across a network round trip.
 */
const SINGLE_PUT_SQL = `WITH o AS (${UPSERT} RETURNING 1), ob AS (${OUTBOX_ROWS} RETURNING 1), ${BUMP_CTES}`;
/** UPSERT on its own, its parameters renumbered from $1. */
const UPSERT_ALONE = UPSERT.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) - 4}`);

type Target = StoredObject | { type: ObjectType; id: string };

export interface WriteContext {
  pool: pg.Pool;
  /** This process, as named in the NOTIFY payload and change_log. */
  instance: string;
  /** Our own write is seen by our own next poll at once, without waiting for its NOTIFY. */
  heard: HeardVersions;
}

/**
 * Write `change` once. `onCommit` is called just before the statement that commits is sent: from
 * then on a lost connection leaves the outcome unknown (the caller must not simply retry).
 * Constraint violations come out as UniqueViolation / ReferenceViolation.
 */
export async function writeChange(ctx: WriteContext, change: ChangeSet, onCommit: () => void): Promise<void> {
  const client = await ctx.pool.connect();
  // A checked-out client has no listener of the pool's: a server shutdown arriving between two
  // statements would be an uncaught 'error' event. The next statement fails anyway and says so.
  let lost: Error | undefined;
  const onLost = (err: Error): void => void (lost = err);
  client.on('error', onLost);
  const at: { current?: Target } = {};
  let failed: unknown;
  const { types, args } = bumpArgs(change, ctx.instance);
  const committed = (r: pg.QueryResult<{ version: string }>): void =>
    ctx.heard.note(Number(r.rows[0]?.version ?? 0), types);
  try {
    const put = change.put ?? [];
    if (put.length === 1 && !change.remove?.length) {
      at.current = put[0];
      onCommit(); // one autocommitted statement: once it is sent, the outcome is the server's
      committed(await putOne(client, put[0], change.notify ?? [], args));
      return;
    }
    committed(await transaction(client, change, args, at, onCommit));
  } catch (err) {
    failed = err;
    throw translateConstraintError(err, at.current);
  } finally {
    client.off('error', onLost);
    // A client whose connection failed is dropped, not handed to the next request.
    const broken =
      lost ?? (failed !== undefined && isTransientPgError(failed) ? (failed as Error) : undefined);
    client.release(broken);
  }
}

function putOne(
  client: pg.PoolClient,
  o: StoredObject,
  notify: NewOutboxEntry[],
  bump: unknown[],
): Promise<pg.QueryResult<{ version: string }>> {
  return client.query<{ version: string }>({
    name: 'vtn_put_one',
    text: SINGLE_PUT_SQL,
    values: [
      ...bump,
      o.type,
      o.id,
      o.owner,
      o.name,
      o.scope,
      o.ref,
      o.targeted,
      JSON.stringify(o.body),
      Date.now(),
      notify.map((n) => n.subscriptionID),
      notify.map((n) => n.callbackUrl),
      notify.map((n) => n.bearerToken),
      notify.map((n) => n.body),
    ],
  });
}

/** Removes, puts, outbox rows, then the bump; `at.current` names the object a failure is about. */
async function transaction(
  client: pg.PoolClient,
  change: ChangeSet,
  bump: unknown[],
  at: { current?: Target },
  onCommit: () => void,
): Promise<pg.QueryResult<{ version: string }>> {
  await client.query('BEGIN');
  try {
    for (const r of change.remove ?? []) {
      at.current = r;
      await client.query('DELETE FROM objects WHERE type = $1 AND id = $2', [r.type, r.id]);
    }
    for (const o of change.put ?? []) {
      at.current = o;
      await client.query({
        name: 'vtn_upsert',
        text: UPSERT_ALONE,
        values: [o.type, o.id, o.owner, o.name, o.scope, o.ref, o.targeted, JSON.stringify(o.body)],
      });
    }
    at.current = undefined;
    const notify = change.notify ?? [];
    if (notify.length) {
      const now = Date.now();
      const values: unknown[] = [];
      const rows = notify.map((n) => {
        values.push(n.subscriptionID, n.callbackUrl, n.bearerToken, n.body, now);
        const b = values.length - 4;
        return `($${b}, $${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 4})`;
      });
      await client.query(
        `INSERT INTO outbox (subscription_id, callback_url, bearer_token, body, next_attempt_at, created_at) VALUES ${rows.join(', ')}`,
        values,
      );
    }
    // Last, so the one-row lock every writer takes is held only for the commit.
    const bumped = await client.query<{ version: string }>({
      name: 'vtn_bump',
      text: BUMP_SQL,
      values: bump,
    });
    onCommit();
    await client.query('COMMIT');
    return bumped;
  } catch (err) {
    if (!isTransientPgError(err)) await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
