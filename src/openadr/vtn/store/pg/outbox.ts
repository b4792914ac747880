/**
 * The webhook outbox on PostgreSQL, shared by every instance: a due row is claimed (for a while)
 * by one instance at a time, and offered again only when that claim runs out (the instance died).
 * Rows are written by the change that causes them (see write.ts), never here.
 */
import type { DeliverySummary, OutboxEntry } from '../store';
import type { PgQuery } from './changes';

interface OutboxRow {
  id: string;
  subscription_id: string;
  callback_url: string;
  bearer_token: string | null;
  body: string;
  attempts: number;
  next_attempt_at: string;
  state: OutboxEntry['state'];
  last_error: string | null;
  created_at: string;
}

function toOutbox(row: OutboxRow): OutboxEntry {
  return {
    id: Number(row.id),
    subscriptionID: row.subscription_id,
    callbackUrl: row.callback_url,
    bearerToken: row.bearer_token,
    body: row.body,
    attempts: row.attempts,
    nextAttemptAt: Number(row.next_attempt_at),
    state: row.state,
    lastError: row.last_error,
    createdAt: Number(row.created_at),
  };
}

export class PgOutbox {
  constructor(private readonly query: PgQuery) {}

  async due(now: number, limit: number, claimMs = 60_000): Promise<OutboxEntry[]> {
    // Claim in one statement: rows another instance is claiming right now are skipped, not waited on.
    const r = await this.query<OutboxRow>(
      'outbox claim',
      `UPDATE outbox SET claimed_until = $3 WHERE id IN (
         SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $1 AND claimed_until <= $1
         ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [now, limit, now + claimMs],
    );
    return r.rows.map(toOutbox).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
  }

  async markDelivered(id: number): Promise<void> {
    // Retried on a lost connection, so it must not count an attempt twice: only a row not yet
    // marked delivered is changed.
    await this.query(
      'outbox',
      "UPDATE outbox SET state = 'delivered', attempts = attempts + 1, last_error = NULL, claimed_until = 0 WHERE id = $1 AND state <> 'delivered'",
      [id],
    );
  }

  async markFailed(id: number, error: string, nextAttemptAt: number, dead: boolean): Promise<void> {
    // Not retried (it counts an attempt): if it is lost, the claim runs out and the row is tried again.
    await this.query(
      'outbox',
      'UPDATE outbox SET state = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3, claimed_until = 0 WHERE id = $4',
      [dead ? 'dead' : 'pending', error, nextAttemptAt, id],
      0,
    );
  }

  async summary(subscriptionID?: string): Promise<DeliverySummary> {
    const filter = subscriptionID === undefined ? '' : 'WHERE subscription_id = $1';
    const args = subscriptionID === undefined ? [] : [subscriptionID];
    const counts = await this.query<{ state: string; n: string }>(
      'outbox summary',
      `SELECT state, COUNT(*) AS n FROM outbox ${filter} GROUP BY state`,
      args,
    );
    const last = await this.query<{ last_error: string }>(
      'outbox summary',
      `SELECT last_error FROM outbox ${filter ? `${filter} AND` : 'WHERE'} last_error IS NOT NULL ORDER BY id DESC LIMIT 1`,
      args,
    );
    const by = (s: string): number => Number(counts.rows.find((c) => c.state === s)?.n ?? 0);
    return {
      pending: by('pending'),
      delivered: by('delivered'),
      dead: by('dead'),
      lastError: last.rows[0]?.last_error ?? null,
    };
  }

  async recent(limit: number): Promise<OutboxEntry[]> {
    const r = await this.query<OutboxRow>('outbox', 'SELECT * FROM outbox ORDER BY id DESC LIMIT $1', [
      limit,
    ]);
    return r.rows.map(toOutbox);
  }

  async pruneDelivered(before: number): Promise<number> {
    const r = await this.query(
      'outbox prune',
      "DELETE FROM outbox WHERE state = 'delivered' AND created_at < $1",
      [before],
    );
    return r.rowCount ?? 0;
  }
}
