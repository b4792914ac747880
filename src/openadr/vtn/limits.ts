/**
 * What keeps one client from stalling the VTN for the others: bounds on what a single request may
 * carry or ask for (each refused with a 400 that names the limit and its option), and a request
 * quota per client (a token bucket: 429 with Retry-After when it is empty). The VTN runs on one
 * event loop, so a request that takes a second of CPU delays every other client by a second; with
 * these bounds no single request costs more than about a millisecond of matching.
 */
import type { IncomingMessage } from 'http';
import type { Principal, Role } from './auth';
import { clientAddress, offenderAddress } from './client-address';
import { VtnError } from './problem';

export interface VtnLimits {
  /** Targets (valuesMaps) on one program, event, ven, resource, subscription or report. */
  targetsPerObject: number;
  /** Values in one target. */
  valuesPerTarget: number;
  /** Values of one query parameter (3.0.1 `targetValues`, 3.1.0 `targets`). */
  valuesPerQuery: number;
  /** Intervals in one event (and in one resource of a report). */
  intervalsPerEvent: number;
  /** Nesting of arrays and objects in a JSON request body. */
  jsonDepth: number;
  /** Largest request body from a VEN client, in bytes (BL clients: createVtn's bodyLimit, 1 MB). */
  venBodyBytes: number;
}

export const DEFAULT_VTN_LIMITS: VtnLimits = {
  targetsPerObject: 50,
  valuesPerTarget: 1000,
  valuesPerQuery: 50,
  // A year of hourly prices is 8,760.
  intervalsPerEvent: 10_000,
  jsonDepth: 32,
  // A day of 5-minute readings in one report is about 45 kB; parsing 128 kB takes a few ms.
  venBodyBytes: 128 * 1024,
};

/** A request costs one token, plus one per this many bytes of body (parsing is the work). */
export const QUOTA_BYTES_PER_TOKEN = 16 * 1024;

function over(path: string, n: number, max: number, option: keyof VtnLimits, what: string): VtnError {
  return new VtnError(400, `${path}: ${n} ${what}, at most ${max} allowed (limit ${option})`);
}

/** The first limit a request body breaks (targets and intervals), as a 400; checked before validation. */
export function checkBodyLimits(body: unknown, limits: VtnLimits): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const b = body as Record<string, unknown>;
  checkTargets(b.targets, 'targets', limits);
  if (Array.isArray(b.intervals) && b.intervals.length > limits.intervalsPerEvent)
    throw over('intervals', b.intervals.length, limits.intervalsPerEvent, 'intervalsPerEvent', 'intervals');
  if (Array.isArray(b.resources))
    b.resources.forEach((r, i) => {
      const ivs = (r as { intervals?: unknown } | null)?.intervals;
      if (Array.isArray(ivs) && ivs.length > limits.intervalsPerEvent)
        throw over(
          `resources[${i}].intervals`,
          ivs.length,
          limits.intervalsPerEvent,
          'intervalsPerEvent',
          'intervals',
        );
    });
}

/** Targets in the 3.0.1 shape (valuesMaps) or the 3.1.0 shape (strings, one value each). */
export function checkTargets(targets: unknown, path: string, limits: VtnLimits): void {
  if (!Array.isArray(targets)) return;
  if (targets.every((t) => typeof t === 'string')) {
    // 3.1.0: one string per value; values of one type form one 3.0.1 target.
    const byType = new Map<string, number>();
    for (const s of targets as string[]) {
      const i = s.indexOf(':');
      const type = i > 0 ? s.slice(0, i) : '';
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    if (byType.size > limits.targetsPerObject)
      throw over(path, byType.size, limits.targetsPerObject, 'targetsPerObject', 'target types');
    for (const n of byType.values())
      if (n > limits.valuesPerTarget)
        throw over(path, n, limits.valuesPerTarget, 'valuesPerTarget', 'values of one target type');
    return;
  }
  if (targets.length > limits.targetsPerObject)
    throw over(path, targets.length, limits.targetsPerObject, 'targetsPerObject', 'targets');
  targets.forEach((t, i) => {
    const vs = (t as { values?: unknown } | null)?.values;
    if (Array.isArray(vs) && vs.length > limits.valuesPerTarget)
      throw over(`${path}[${i}].values`, vs.length, limits.valuesPerTarget, 'valuesPerTarget', 'values');
  });
}

/** Query parameters given more often than valuesPerQuery (e.g. `targetValues=a&targetValues=b…`). */
export function checkQueryLimits(query: Record<string, unknown>, limits: VtnLimits): void {
  for (const [name, v] of Object.entries(query))
    if (Array.isArray(v) && v.length > limits.valuesPerQuery)
      throw over(name, v.length, limits.valuesPerQuery, 'valuesPerQuery', 'values');
}

export interface QuotaRate {
  /** Requests per second a client may keep up. */
  perSecond: number;
  /** Requests it may make at once after a quiet spell. */
  burst: number;
}

/** Per role; false turns the quota off for that role. */
export interface QuotaOptions {
  VEN?: QuotaRate | false;
  BL?: QuotaRate | false;
  /**
   * Readers of open programs without a token (anonymous.ts), one bucket per client address (an
   * IPv6 address by its /64, which one host can fill with addresses of its own).
   */
  anonymous?: QuotaRate | false;
}

/**
 * VEN clients poll every few seconds and report every few minutes: 20 a second is far above what a
 * well-behaved one sends. BL clients are the operator's own systems (bulk provisioning): no quota
 * unless set. An anonymous reader is a device on the LAN reading a local price every few seconds at
 * most; its reads skip the poll cache, so it gets less than a VEN client.
 */
export const DEFAULT_QUOTA: Required<QuotaOptions> = {
  VEN: { perSecond: 20, burst: 40 },
  BL: false,
  anonymous: { perSecond: 5, burst: 20 },
};

/**
 * Most anonymous buckets kept: addresses are not a configured list, so a caller with many of them
 * must not grow the map without bound.
 */
export const MAX_ANONYMOUS_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets, one per client (anonymous readers: one per address), refilled continuously;
 * requests are charged once each.
 */
export class RequestQuota {
  private readonly buckets = new Map<string, Bucket>();
  private readonly anonymousBuckets = new Map<string, Bucket>();
  private readonly charged = new WeakSet<IncomingMessage>();
  private readonly rates: Record<Role | 'anonymous', QuotaRate | false>;

  constructor(
    options: QuotaOptions = {},
    /** Behind a trusted proxy: an anonymous reader's address is the one the proxy appended. */
    private readonly trustProxy = false,
  ) {
    this.rates = {
      VEN: options.VEN === undefined ? DEFAULT_QUOTA.VEN : options.VEN,
      BL: options.BL === undefined ? DEFAULT_QUOTA.BL : options.BL,
      anonymous: options.anonymous === undefined ? DEFAULT_QUOTA.anonymous : options.anonymous,
    };
  }

  /**
   * Charge one request to its client: undefined when allowed, else the seconds to wait. A request
   * already charged (the poll fast path and the router both ask) is not charged again.
   */
  take(p: Principal, req: IncomingMessage, now = Date.now()): number | undefined {
    const rate = this.rateFor(p);
    if (!rate || this.charged.has(req)) return undefined;
    this.charged.add(req);
    return this.chargeTo(p, rate, req, now);
  }

  /**
   * take() without remembering the request, for a caller that answers it at once (the poll cache's
   * hits): nothing asks about it again, and an entry per poll in the set of charged requests would
   * only be garbage for the collector. markCharged() it if it goes on to the route after all.
   */
  spend(p: Principal, req: IncomingMessage, now = Date.now()): number | undefined {
    const rate = this.rateFor(p);
    if (!rate || this.charged.has(req)) return undefined;
    return this.chargeTo(p, rate, req, now);
  }

  /** The rate `p` is charged at; undefined when it has none (BL by default, a BL token's null client). */
  private rateFor(p: Principal): QuotaRate | undefined {
    const anonymous = p.anonymous === true;
    const rate = this.rates[anonymous ? 'anonymous' : p.role];
    return rate && (anonymous || p.clientID !== null) ? rate : undefined;
  }

  /** Takes the request's cost from its bucket: undefined when it was there, else the seconds to wait. */
  private chargeTo(p: Principal, rate: QuotaRate, req: IncomingMessage, now: number): number | undefined {
    const bytes = Number(req.headers['content-length'] ?? 0) || 0;
    const cost = Math.min(rate.burst, 1 + Math.floor(bytes / QUOTA_BYTES_PER_TOKEN));
    const b =
      p.anonymous === true
        ? this.anonymousBucket(offenderAddress(clientAddress(req, this.trustProxy)), rate, now)
        : this.bucket(this.buckets, p.clientID!, rate, now);
    b.tokens = Math.min(rate.burst, b.tokens + ((now - b.at) / 1000) * rate.perSecond);
    b.at = now;
    if (b.tokens >= cost) {
      b.tokens -= cost;
      return undefined;
    }
    return Math.max(1, Math.ceil((cost - b.tokens) / rate.perSecond));
  }

  /** Later take()s of this request charge nothing (spend() charged it). */
  markCharged(req: IncomingMessage): void {
    this.charged.add(req);
  }

  /** take(), throwing the 429 problem. */
  charge(p: Principal, req: IncomingMessage): void {
    const wait = this.take(p, req);
    if (wait !== undefined) throw quotaError(p, wait);
  }

  /** How many anonymous addresses have a bucket (bounded by MAX_ANONYMOUS_BUCKETS). */
  get anonymousAddresses(): number {
    return this.anonymousBuckets.size;
  }

  private bucket(buckets: Map<string, Bucket>, key: string, rate: QuotaRate, now: number): Bucket {
    let b = buckets.get(key);
    if (!b) {
      b = { tokens: rate.burst, at: now };
      buckets.set(key, b);
    }
    return b;
  }

  private anonymousBucket(key: string, rate: QuotaRate, now: number): Bucket {
    const buckets = this.anonymousBuckets;
    // Full: forget the longest unused (kept first, see below), most likely refilled by now.
    if (!buckets.has(key) && buckets.size >= MAX_ANONYMOUS_BUCKETS)
      buckets.delete(buckets.keys().next().value!);
    const b = this.bucket(buckets, key, rate, now);
    // Most recently used last, so the first entry is the longest unused.
    buckets.delete(key);
    buckets.set(key, b);
    return b;
  }
}

export function quotaError(p: Principal, waitSeconds: number): VtnError {
  const whose = p.anonymous
    ? 'for reading without a token from this address'
    : `of client ${p.clientID ?? ''}`;
  return new VtnError(429, `request quota ${whose} used up; retry in ${waitSeconds} s`, {
    'Retry-After': String(waitSeconds),
  });
}
