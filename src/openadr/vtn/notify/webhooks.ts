/**
 * Webhook delivery from the persisted outbox. The API only writes outbox rows (in the same
 * transaction as the change), so a response never waits on a callback; this worker POSTs them
 * with a timeout, retries with exponential backoff, and marks a row dead after maxAttempts.
 * Rows survive restarts: a notification accepted before a crash is delivered after it.
 * Delivery is at-least-once (an instance that dies mid-delivery leaves a claim another instance
 * honours later), so every POST carries the outbox row's id in NOTIFICATION_ID_HEADER: the same
 * value on a redelivery, from any instance of a shared store, so a receiver can drop repeats.
 */
import type { OutboxEntry, VtnStore } from '../store/store';

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
}

export interface DeliveryEvent {
  entry: OutboxEntry;
  ok: boolean;
  dead: boolean;
  error?: string;
}

export class WebhookNotifier {
  private readonly inFlight = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private running = false;
  private scanning = false;
  private rescan = false;
  private readonly opts: Required<WebhookOptions>;

  constructor(
    private readonly store: VtnStore,
    options: WebhookOptions = {},
    private readonly onDelivery: (e: DeliveryEvent) => void = () => {},
  ) {
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

  /** The delay before attempt n+1 after n failed attempts. */
  backoff(attempts: number): number {
    return Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    let error: string | undefined;
    try {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        [NOTIFICATION_ID_HEADER]: String(entry.id),
      };
      if (entry.bearerToken) headers.Authorization = `Bearer ${entry.bearerToken}`;
      const res = await fetch(entry.callbackUrl, {
        method: 'POST',
        headers,
        body: entry.body,
        redirect: 'manual', // never follow: a redirect could point the token at another host
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299)
        error =
          res.status >= 300 && res.status < 400
            ? `HTTP ${res.status} (redirects are not followed)`
            : `HTTP ${res.status}`;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      error =
        e.name === 'TimeoutError'
          ? `timed out after ${this.opts.timeoutMs} ms`
          : (e.cause?.code ?? e.message);
    }
    if (!this.running && error) return; // stopping: leave the row pending for the next start
    try {
      if (!error) {
        await this.recordDelivered(entry.id);
        this.onDelivery({ entry, ok: true, dead: false });
      } else {
        const attempts = entry.attempts + 1;
        const dead = attempts >= this.opts.maxAttempts;
        await this.store.markFailed(entry.id, error, Date.now() + this.backoff(attempts), dead);
        this.onDelivery({ entry, ok: false, dead, error });
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
  }
}
