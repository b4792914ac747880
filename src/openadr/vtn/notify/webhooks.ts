/**
 * Webhook delivery from the persisted outbox. The API only writes outbox rows (in the same
 * transaction as the change), so a response never waits on a callback; this worker POSTs them
 * with a timeout, retries with exponential backoff (or after the receiver's Retry-After, capped;
 * the policy is src/net/retry.ts), and marks a row dead after maxAttempts.
 * Rows survive restarts: a notification accepted before a crash is delivered after it.
 * Delivery is at-least-once (an instance that dies mid-delivery leaves a claim another instance
 * honours later), so every POST carries the outbox row's id in NOTIFICATION_ID_HEADER: the same
 * value on a redelivery, from any instance of a shared store, so a receiver can drop repeats.
 */
import type dns from 'dns';
import http from 'http';
import https from 'https';
import {
  addressClass,
  classAllowed,
  POLICY_REFUSED,
  policyLookup,
  type CallbackPolicy,
} from '../callback-policy';
import type { OutboxEntry, VtnStore } from '../store/store';
import { parseRetryAfter, retryDelay } from '../../../net/retry';

/** The header naming a notification: its outbox row id, stable across retries and instances. */
export const NOTIFICATION_ID_HEADER = 'X-OpenADR-Notification-ID';

export interface WebhookOptions {
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How often to look for rows whose retry time has come. */
  pollMs?: number;
  /** Delivered rows older than this are pruned (dead ones are kept for inspection). */
  keepDeliveredMs?: number;
  concurrency?: number;
  /**
   * Resolves callback host names (default dns.lookup, the system resolver). Whatever it answers,
   * only addresses the callback policy allows are connected to.
   */
  lookup?: typeof dns.lookup;
}

export interface DeliveryEvent {
  entry: OutboxEntry;
  ok: boolean;
  dead: boolean;
  /** The coarse reason a subscriber reads back: unreachable, timeout, tls or `HTTP <status>`. */
  error?: string;
  /** What actually happened (the socket error), for the VTN's operator only. */
  detail?: string;
}

/** Socket and TLS failures as the few words a subscriber may read (no port-scan oracle). */
export function coarseReason(err: unknown): 'unreachable' | 'timeout' | 'tls' {
  const e = err as { code?: string; name?: string };
  const code = String(e.code ?? '');
  if (code === 'ETIMEDOUT' || e.name === 'TimeoutError') return 'timeout';
  if (
    /^(ERR_SSL|ERR_TLS|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code) ||
    /certificate|SSL|TLS/i.test(String((err as Error).message ?? ''))
  )
    return 'tls';
  return 'unreachable';
}

/** Response bytes read from a callback before the connection is dropped (the body is ignored). */
const MAX_RESPONSE_BYTES = 64 * 1024;

export class WebhookNotifier {
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly lookup: typeof dns.lookup | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private running = false;
  private scanning = false;
  private rescan = false;
  private readonly opts: Required<Omit<WebhookOptions, 'lookup'>>;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(
    private readonly store: VtnStore,
    options: WebhookOptions = {},
    private readonly onDelivery: (e: DeliveryEvent) => void = () => {},
    /** Where callbacks may go; checked again at every delivery against the address connected to. */
    private readonly policy: CallbackPolicy = {},
  ) {
    this.lookup = options.lookup;
    // Our own agents: keep-alive sockets to subscribers are never shared with other code.
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 4 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 4 }),
    };
    this.opts = {
      timeoutMs: options.timeoutMs ?? 5000,
      maxAttempts: options.maxAttempts ?? 8,
      baseDelayMs: options.baseDelayMs ?? 1000,
      maxDelayMs: options.maxDelayMs ?? 5 * 60_000,
      pollMs: options.pollMs ?? 1000,
      concurrency: options.concurrency ?? 8,
      keepDeliveredMs: options.keepDeliveredMs ?? 24 * 3600_000,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.kick(), this.opts.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Look for due rows now (called after every change that queued notifications). */
  kick(): void {
    if (!this.running) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = true;
    void this.scan().finally(() => {
      this.scanning = false;
      if (this.rescan && this.running) {
        this.rescan = false;
        this.kick();
      }
    });
  }

  private async scan(): Promise<void> {
    try {
      const now = Date.now();
      if (now - this.lastPrune > 60_000) {
        this.lastPrune = now;
        await this.store.pruneDelivered(now - this.opts.keepDeliveredMs);
      }
      const free = this.opts.concurrency - this.inFlight.size;
      if (free <= 0) return;
      // A shared store claims what it returns (other instances skip those rows until the claim
      // runs out), so ask it for exactly what we will start now; a private one returns rows in
      // flight too, which the loop skips.
      const due = this.store.shared
        ? await this.store.dueNotifications(Date.now(), free, this.claimMs())
        : await this.store.dueNotifications(Date.now(), free + this.inFlight.size);
      for (const entry of due) {
        if (this.inFlight.has(entry.id) || this.inFlight.size >= this.opts.concurrency) continue;
        const p = this.deliver(entry).finally(() => {
          this.inFlight.delete(entry.id);
          this.kick();
        });
        this.inFlight.set(entry.id, p);
      }
    } catch {
      // The store is closing or busy; the next tick tries again.
    }
  }

  /** How long a claimed row stays ours: one delivery attempt with room to record its result. */
  private claimMs(): number {
    return this.opts.timeoutMs * 2 + 5000;
  }

  /**
   * The delay before attempt n+1 after n failed attempts: the receiver's Retry-After when it sent
   * one (never longer than maxDelayMs), else exponential backoff.
   */
  backoff(attempts: number, retryAfterMs?: number): number {
    const { baseDelayMs, maxDelayMs } = this.opts;
    return retryDelay(
      attempts - 1,
      { retries: this.opts.maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs: maxDelayMs },
      retryAfterMs,
    );
  }

  /**
   * POST one notification; resolves with the HTTP status (and the receiver's Retry-After),
   * rejects with the socket/TLS error.
   */
  private post(entry: OutboxEntry): Promise<{ status: number; retryAfterMs?: number }> {
    return new Promise((resolve, reject) => {
      const url = new URL(entry.callbackUrl);
      const secure = url.protocol === 'https:';
      // An address literal is connected to without a lookup: check it here (the policy may also
      // have changed since the subscription was written).
      const literal = addressClass(url.hostname);
      if (literal !== undefined && !classAllowed(literal, this.policy, secure)) {
        const e: NodeJS.ErrnoException = new Error(`${url.hostname} is refused by the callback policy`);
        e.code = POLICY_REFUSED;
        return reject(e);
      }
      const headers: Record<string, string | number> = {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(entry.body),
        [NOTIFICATION_ID_HEADER]: String(entry.id),
      };
      if (entry.bearerToken) headers.Authorization = `Bearer ${entry.bearerToken}`;
      const req = (secure ? https : http).request(url, {
        method: 'POST',
        headers,
        agent: secure ? this.agents.https : this.agents.http,
        lookup: policyLookup(this.policy, secure, this.lookup) as never,
      });
      // One deadline for connect, headers and body (redirects are never followed: http.request doesn't).
      const timer = setTimeout(() => {
        const e: NodeJS.ErrnoException = new Error(`timed out after ${this.opts.timeoutMs} ms`);
        e.code = 'ETIMEDOUT';
        req.destroy(e);
      }, this.opts.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > MAX_RESPONSE_BYTES) res.destroy(); // answered already; the rest is not needed
        });
        const done = (): void => {
          clearTimeout(timer);
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, retryAfterMs: parseRetryAfter(retryAfter) });
        };
        res.on('end', done);
        res.on('close', done);
      });
      req.end(entry.body);
    });
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    let error: string | undefined;
    let detail: string | undefined;
    let retryAfterMs: number | undefined;
    try {
      const answer = await this.post(entry);
      const status = answer.status;
      retryAfterMs = answer.retryAfterMs;
      if (status < 200 || status > 299)
        error =
          status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
      detail = error;
    } catch (err) {
      error = coarseReason(err);
      const e = err as NodeJS.ErrnoException;
      detail = `${error}: ${e.code ? `${e.code} ` : ''}${e.message}`;
    }
    if (!this.running && error) return; // stopping: leave the row pending for the next start
    try {
      if (!error) {
        await this.recordDelivered(entry.id);
        this.onDelivery({ entry, ok: true, dead: false });
      } else {
        const attempts = entry.attempts + 1;
        const dead = attempts >= this.opts.maxAttempts;
        await this.store.markFailed(entry.id, error, Date.now() + this.backoff(attempts, retryAfterMs), dead);
        this.onDelivery({ entry, ok: false, dead, error, detail });
      }
    } catch {
      // store closed under us during shutdown; the row stays pending and is retried next start
    }
  }

  /**
   * The receiver has it: record that, through a database outage if need be. A delivery left
   * unrecorded is sent again once its claim runs out — a duplicate the receiver would see — so
   * this keeps trying (with backoff, for up to a minute, while running) instead of giving up.
   */
  private async recordDelivered(id: number): Promise<void> {
    const giveUpAt = Date.now() + 60_000;
    for (let n = 0; ; n++) {
      try {
        await this.store.markDelivered(id);
        return;
      } catch (err) {
        if (!this.running || Date.now() > giveUpAt) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** n)));
      }
    }
  }

  /** Stop polling and wait (bounded) for deliveries in flight. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight.values()]),
      new Promise((r) => setTimeout(r, this.opts.timeoutMs + 100).unref()),
    ]);
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
