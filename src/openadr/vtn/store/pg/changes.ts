/**
 * How VTN instances sharing one database tell each other about changes: the change counter
 * (`vtn_changes`, with a version per object type), the change log (`change_log`) and the NOTIFY
 * payload, written by every change and read by the change watcher and the poll caches.
 */
import type pg from 'pg';
import type { ChangeSet, ChangeVersions, ObjectType } from '../store';

/** A query retried on transient failures (the store's). */
export type PgQuery = <R extends pg.QueryResultRow>(
  what: string,
  config: string | pg.QueryConfig,
  values?: unknown[],
  budgetMs?: number,
) => Promise<pg.QueryResult<R>>;

export const TYPE_COLUMNS: Record<ObjectType, string> = {
  PROGRAM: 'program_v',
  EVENT: 'event_v',
  REPORT: 'report_v',
  SUBSCRIPTION: 'subscription_v',
  VEN: 'ven_v',
  RESOURCE: 'resource_v',
};

const OBJECT_TYPES = Object.keys(TYPE_COLUMNS) as ObjectType[];

/**
 * Bump the counter (and the per-type versions of the types this change touched), log the change's
 * events and NOTIFY, in one statement: every writer takes this one row lock and holds it until its
 * commit, so the fewer round trips between taking it and committing, the more writes per second.
 * The lock also makes version order commit order, which is what lets a listener trust versions.
 * $1 touched types, $2 instance, $3 events JSON or null, $4 the NOTIFY payload after the version.
 * Every change NOTIFYs (with or without events): in 'notify' consistency the NOTIFYs are how other
 * instances learn that their cached pages went stale.
 */
export const BUMP_CTES = `v AS (
  UPDATE vtn_changes SET version = version + 1, ${Object.entries(TYPE_COLUMNS)
    .map(([t, c]) => `${c} = CASE WHEN '${t}' = ANY($1::text[]) THEN version + 1 ELSE ${c} END`)
    .join(', ')}
  WHERE id = 1 RETURNING version),
l AS (INSERT INTO change_log (version, instance, events) SELECT version, $2, $3 FROM v WHERE $3::text IS NOT NULL)
SELECT version, pg_notify('vtn_changes', version::text || ' ' || $4) AS n FROM v`;
export const BUMP_SQL = `WITH ${BUMP_CTES}`;

/**
 * The NOTIFY channel. Payload: "<version> <writer instance> <webhooks queued> <types touched,…|->"
 * then, when they fit, " <events JSON>": listeners then emit them without reading change_log (one
 * read per change per other instance, which grew with every instance added). Every change is in
 * change_log too, for events too big for a payload and for catching up after a lost connection.
 */
export const CHANNEL = 'vtn_changes';
/** Events longer than this go by change_log only (PostgreSQL's NOTIFY payload limit is 8000 bytes). */
const INLINE_EVENTS_MAX = 7500;
/** How long other instances can catch up on missed changes (e.g. across a listener reconnect). */
export const CHANGE_LOG_KEEP = '1 hour';

/** The types a change touches and the BUMP_SQL parameters $1–$4 for it. */
export function bumpArgs(change: ChangeSet, instance: string): { types: ObjectType[]; args: unknown[] } {
  const types = [...new Set([...(change.put ?? []), ...(change.remove ?? [])].map((o) => o.type))];
  // The NOTIFY payload says who wrote it and whether it queued webhooks, so a listener can
  // ignore its own changes and look at the outbox only when there is something in it.
  const events = change.events?.length ? JSON.stringify(change.events) : null;
  const header = `${instance} ${change.notify?.length ?? 0} ${types.join(',') || '-'}`;
  const inline = events !== null && Buffer.byteLength(events) <= INLINE_EVENTS_MAX;
  return { types, args: [types, instance, events, inline ? `${header} ${events}` : header] };
}

/** Split a NOTIFY payload (see CHANNEL); `events` is undefined when they were not inlined. */
export function parsePayload(payload: string): {
  version: number;
  writer: string | undefined;
  queued: number;
  types: string[] | undefined;
  events: string | undefined;
} {
  const fields: string[] = [];
  let at = 0;
  while (fields.length < 4) {
    const space = payload.indexOf(' ', at);
    if (space < 0) {
      fields.push(payload.slice(at));
      at = payload.length + 1;
      break;
    }
    fields.push(payload.slice(at, space));
    at = space + 1;
  }
  const [version, writer, queued, types] = fields;
  return {
    version: Number(version),
    writer,
    queued: Number(queued ?? 1), // an older VTN did not say: look
    // An older VTN's payload does not say what it touched: count it as touching everything.
    types: types === undefined ? undefined : types === '-' ? [] : types.split(','),
    events: at < payload.length ? payload.slice(at) : undefined,
  };
}

function zeroVersions(): ChangeVersions {
  const v = { all: 0 } as ChangeVersions;
  for (const t of OBJECT_TYPES) v[t] = 0;
  return v;
}

/**
 * The counters as heard by the change watcher plus this process's own writes; trusted for polls
 * only while `live` (listener connected and caught up, 'notify' consistency).
 */
export class HeardVersions {
  readonly versions: ChangeVersions = zeroVersions();
  live = false;

  /** What polls may use without a read, or undefined: "read the counters". */
  known(): ChangeVersions | undefined {
    return this.live ? this.versions : undefined;
  }

  /** Raise each version to the one read (versions only ever move forward). */
  merge(from: ChangeVersions): void {
    const into = this.versions;
    into.all = Math.max(into.all, from.all);
    for (const t of OBJECT_TYPES) into[t] = Math.max(into[t], from[t]);
  }

  /** Record that change `version` touched `types` (undefined: unknown, so all of them). */
  note(version: number, types: readonly string[] | undefined): void {
    const into = this.versions;
    into.all = Math.max(into.all, version);
    for (const t of types ?? OBJECT_TYPES)
      if (t in TYPE_COLUMNS) into[t as ObjectType] = Math.max(into[t as ObjectType], version);
  }
}

/** Reads of the change counters. */
export class VersionReader {
  private inFlight: Promise<ChangeVersions> | undefined;
  private queued: Promise<ChangeVersions> | undefined;

  constructor(private readonly query: PgQuery) {}

  async counter(): Promise<number> {
    const r = await this.query<{ version: string }>('change version', {
      name: 'vtn_change_version',
      text: 'SELECT version FROM vtn_changes WHERE id = 1',
    });
    return Number(r.rows[0]?.version ?? 0);
  }

  /**
   * One read of the counters shared by every caller that asked before it was SENT: a read already
   * in flight may predate a commit acknowledged since, so later callers wait for the next read
   * (at most one in flight and one queued). A poll that hits the page cache thus costs a share of
   * one round trip, not one each, and still sees every change acknowledged before it arrived.
   */
  shared(): Promise<ChangeVersions> {
    if (!this.inFlight) return this.read();
    this.queued ??= this.inFlight
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.read();
      });
    return this.queued;
  }

  /** A read of its own, sent now. */
  read(): Promise<ChangeVersions> {
    const p = this.query<Record<string, string>>('change version', {
      name: 'vtn_change_versions',
      text: `SELECT version, ${Object.values(TYPE_COLUMNS).join(', ')} FROM vtn_changes WHERE id = 1`,
    }).then((r) => {
      const row = r.rows[0] ?? {};
      const v = { all: Number(row.version ?? 0) } as ChangeVersions;
      for (const [t, c] of Object.entries(TYPE_COLUMNS)) v[t as ObjectType] = Number(row[c] ?? 0);
      return v;
    });
    this.inFlight = p;
    const clear = (): void => {
      if (this.inFlight === p) this.inFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  }
}
