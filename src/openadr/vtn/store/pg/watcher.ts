/**
 * The change watcher: hears the changes other VTN instances commit to the shared database, in
 * commit order, none lost to a dropped connection (within CHANGE_LOG_KEEP).
 *
 * It LISTENs on a connection of its own. A NOTIFY names the version it announces; the next
 * version's events, when they came inline, are emitted as they are; a missing version, events too
 * big to inline, or a log read already pending send it to `change_log` from the last version
 * emitted. This instance's own changes are skipped: it emitted them itself, and their NOTIFYs
 * (which name the writer) cost no query at all. `onOutbox` hears when another instance queued
 * webhooks (this one may deliver them).
 *
 * The NOTIFYs also keep the store's `HeardVersions` current (what 'notify' consistency serves polls
 * from): trusted only from a counter read made after LISTEN took effect until the connection is
 * lost, and a heartbeat read both bounds their lag and notices a listener that went deaf.
 *
 * States of the listener connection:
 * - `connecting`: reading the starting point (first start only), opening the connection, LISTEN;
 * - `catching-up`: LISTEN in effect, reading what was committed while it was not;
 * - `listening`: caught up, following NOTIFYs;
 * - `backing-off`: the connection failed or was lost; reconnecting after 250 ms, doubling to 5 s
 *   (a restarted database is usually back within seconds), from the start again once listening;
 * - `stopped`: before start and after stop.
 */
import { EventEmitter } from 'events';
import pg from 'pg';
import type { ChangeWatch } from '../store';
import {
  CHANGE_LOG_KEEP,
  CHANNEL,
  type HeardVersions,
  parsePayload,
  type PgQuery,
  type VersionReader,
} from './changes';

export type WatcherState = 'stopped' | 'connecting' | 'catching-up' | 'listening' | 'backing-off';

export interface ChangeWatcherOptions {
  /** The database, for the listener's own connection. */
  url: string;
  /** This process's name in NOTIFY payloads and change_log rows. */
  instance: string;
  query: PgQuery;
  versions: VersionReader;
  heard: HeardVersions;
  consistency: 'strict' | 'notify';
  /** 'notify' consistency: how often the counters are read anyway. */
  heartbeatMs: number;
  onError(err: Error): void;
  /** The events of one change another instance committed. */
  listener(events: Array<Record<string, unknown>>): void;
  onOutbox?(): void;
}

/** Rows per change_log read (a longer backlog takes several). */
const LOG_PAGE = 1000;

export class ChangeWatcher extends EventEmitter implements ChangeWatch {
  private current: WatcherState = 'stopped';
  private started = false;
  /** Resolves once the watcher knows where "now" is (and has tried to connect once). */
  ready: Promise<void> = Promise.resolve();
  private running: Promise<void> = Promise.resolve();
  private client: pg.Client | undefined;
  /** The last version emitted or passed over; undefined until the starting point is read. */
  private last: number | undefined;
  /** The highest version known committed (from any NOTIFY, our own included). */
  private known = 0;
  /** The highest version a NOTIFY announced (the heartbeat's test of a live listener). */
  private notified = 0;
  /** A version the previous heartbeat read, which a NOTIFY must have announced by the next. */
  private expected: number | undefined;
  private reading = false;
  private again = false;
  private retry: NodeJS.Timeout | undefined;
  private catchUpRetry: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Drop the current listener connection and reconnect (set while one is open). */
  private drop: ((err?: Error) => void) | undefined;

  constructor(private readonly o: ChangeWatcherOptions) {
    super();
  }

  get state(): WatcherState {
    return this.current;
  }

  private setState(state: WatcherState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', state);
  }

  private get stopped(): boolean {
    return this.current === 'stopped';
  }

  start(): this {
    if (this.started) throw new Error('a change watcher starts once');
    this.started = true;
    this.setState('connecting');
    this.housekeeping = setInterval(() => this.houseKeep(), 60_000);
    this.housekeeping.unref();
    if (this.o.consistency === 'notify') {
      this.heartbeat = setInterval(() => this.beat(), this.o.heartbeatMs);
      this.heartbeat.unref();
    }
    this.running = (async () => {
      await this.catchUp(); // start from now: earlier changes are not news
      await this.connect(500);
    })();
    // The starting point is read before createVtn resolves, so a change another instance
    // commits after that is never taken for history.
    this.ready = this.running.catch(() => undefined);
    return this;
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    this.o.heard.live = false;
    clearInterval(this.housekeeping);
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    clearTimeout(this.catchUpRetry);
    if (this.soon) clearImmediate(this.soon);
    await this.running.catch(() => undefined);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  /** Read change_log from the last version emitted (one read at a time; asks made meanwhile join it). */
  private async catchUp(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    try {
      do {
        this.again = false;
        if (this.last === undefined) {
          this.last = await this.o.versions.counter();
          continue;
        }
        // Every version up to `upTo` had committed before this read was sent (its NOTIFY came,
        // and versions commit in order), so a complete read lets `last` move past our own rows
        // without fetching them.
        const upTo = this.known;
        const r = await this.o.query<{ version: string; events: string }>(
          'change log',
          `SELECT version, events FROM change_log WHERE version > $1 AND instance <> $2 ORDER BY version LIMIT ${LOG_PAGE}`,
          [this.last, this.o.instance],
        );
        for (const row of r.rows) {
          this.last = Number(row.version);
          if (!this.stopped) this.o.listener(JSON.parse(row.events) as Array<Record<string, unknown>>);
        }
        if (r.rows.length === LOG_PAGE) this.again = true;
        else this.last = Math.max(this.last, upTo);
      } while (this.again && !this.stopped);
      if (this.current === 'catching-up') this.setState('listening');
    } catch (err) {
      if (!this.stopped) {
        this.o.onError(err as Error);
        // The log is still there: read it again soon rather than at the next NOTIFY, which
        // may never come.
        if (!this.catchUpRetry) {
          this.catchUpRetry = setTimeout(() => {
            this.catchUpRetry = undefined;
            void this.catchUp();
          }, 1000);
          this.catchUpRetry.unref();
        }
      }
    } finally {
      this.reading = false;
    }
  }

  /**
   * NOTIFYs arriving in one burst become one read (not one read each); no longer delay than
   * that, so a remote change is emitted before a local one that commits after it.
   */
  private catchUpSoon(): void {
    if (this.soon || this.stopped) return;
    this.soon = setImmediate(() => {
      this.soon = undefined;
      void this.catchUp();
    });
  }

  private onNotification(payload: string | undefined): void {
    const n = parsePayload(payload ?? '');
    const v = n.version;
    if (!Number.isFinite(v)) return this.catchUpSoon();
    this.known = Math.max(this.known, v);
    this.notified = Math.max(this.notified, v);
    this.o.heard.note(v, n.types);
    const ours = n.writer === this.o.instance;
    if (!ours && n.queued !== 0) this.o.onOutbox?.();
    const last = this.last;
    if (last !== undefined && v <= last) return; // already emitted by a change_log read
    // NOTIFYs arrive in commit order and every version has one, so the next version with its
    // events inline is emitted as it is — unless a log read is pending or running (it would
    // emit earlier changes after this one), or a version is missing (read the log for it).
    if (
      last === undefined ||
      v !== last + 1 ||
      this.reading ||
      this.soon ||
      (!ours && n.events === undefined)
    )
      return this.catchUpSoon();
    this.last = v;
    if (ours || this.stopped) return;
    let events: Array<Record<string, unknown>>;
    try {
      events = JSON.parse(n.events!) as Array<Record<string, unknown>>;
    } catch {
      this.last = v - 1;
      return this.catchUpSoon();
    }
    this.o.listener(events);
  }

  /**
   * Also for an instance alone (which never reads the log otherwise): forget old changes, and
   * move the read position past our own ones.
   */
  private houseKeep(): void {
    if (this.known > (this.last ?? Infinity)) this.catchUpSoon();
    void this.o
      .query(
        'change log prune',
        `DELETE FROM change_log WHERE created_at < now() - interval '${CHANGE_LOG_KEEP}'`,
      )
      .catch(() => undefined);
  }

  /**
   * 'notify' consistency: read the counters anyway now and then. Merging them bounds how far the
   * heard versions can lag; a version read at the previous beat that no NOTIFY has announced
   * since means the listener went deaf (a connection that died silently): reconnect it.
   */
  private beat(): void {
    if (!this.o.heard.live || this.stopped) {
      this.expected = undefined;
      return;
    }
    this.o.versions.read().then(
      (v) => {
        if (!this.o.heard.live || this.stopped) return;
        if (this.expected !== undefined && this.notified < this.expected) {
          this.drop?.(
            new Error(
              `change listener heard no NOTIFY for committed version ${this.expected} within ${this.o.heartbeatMs} ms: reconnecting`,
            ),
          );
          this.expected = undefined;
          return;
        }
        this.expected = v.all;
        this.o.heard.merge(v);
      },
      () => undefined, // the database is down: the listener notices too
    );
  }

  private async connect(delayMs: number): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    const c = new pg.Client({ connectionString: this.o.url, connectionTimeoutMillis: 5000, keepAlive: true });
    this.client = c;
    const reconnect = (err?: Error): void => {
      if (this.stopped || this.client !== c) return;
      // Until LISTEN is back, NOTIFYs can be missed: polls read the counters again.
      this.o.heard.live = false;
      this.drop = undefined;
      this.client = undefined;
      if (err) this.o.onError(err);
      c.end().catch(() => undefined);
      // Short cap: until the listener is back, other instances' changes reach this one only at
      // the next NOTIFY after it.
      const next = Math.min(5000, Math.max(250, delayMs * 2));
      this.setState('backing-off');
      this.retry = setTimeout(() => void this.connect(next), next);
      this.retry.unref();
    };
    c.on('error', reconnect);
    c.on('end', () => reconnect());
    c.on('notification', (m) => this.onNotification(m.payload));
    this.drop = reconnect;
    try {
      await c.connect();
      await c.query(`LISTEN ${CHANNEL}`);
      delayMs = 125; // listening again: the next loss starts its backoff from the beginning
      if (this.o.consistency === 'notify') {
        // Everything committed before this read is in it, everything after will be NOTIFYed.
        this.o.heard.merge(await this.o.versions.read());
        if (this.client === c && !this.stopped) this.o.heard.live = true;
      }
      if (this.client === c && !this.stopped) this.setState('catching-up');
      this.o.onOutbox?.(); // webhooks queued while we were not listening
      await this.catchUp(); // anything committed while we were not listening
    } catch (err) {
      reconnect(err as Error);
    }
  }
}
