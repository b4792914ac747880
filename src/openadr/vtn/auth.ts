/**
 * OAuth2 client-credentials tokens: JWTs (HS256, jsonwebtoken) signed with a random per-install
 * secret kept in the store so tokens stay valid across restarts. Client secrets are compared in
 * constant time; failed sign-ins are throttled per offender (see SignInThrottle).
 */
import crypto from 'crypto';
import jwt from 'jsonwebtoken';
import { offenderAddress } from './client-address';
import { VtnError } from './problem';

export type Role = 'BL' | 'VEN';

export interface ClientConfig {
  id: string;
  secret: string;
  role: Role;
}

/** Who is calling: an authenticated client, or the Node-RED flow itself (acts as BL, owns nothing). */
export interface Principal {
  clientID: string | null;
  role: Role;
  scopes: string[];
  /** A request without a token reading an anonymous local program (see anonymous.ts). */
  anonymous?: boolean;
}

export const FLOW_PRINCIPAL: Principal = {
  clientID: null,
  role: 'BL',
  scopes: ['read_all', 'write_programs', 'write_events', 'write_subscriptions', 'write_vens'],
};

export const ROLE_SCOPES: Record<Role, string[]> = {
  BL: ['read_all', 'write_programs', 'write_events', 'write_subscriptions', 'write_vens'],
  VEN: ['read_all', 'write_reports', 'write_subscriptions', 'write_vens'],
};

/** The demo clients of the reference implementation (its defaults, public secrets). */
export const DEMO_CLIENTS: ClientConfig[] = [
  { id: 'bl_client', secret: '1001', role: 'BL' },
  { id: 'ven_client', secret: '999', role: 'VEN' },
];

export function usesDemoSecrets(clients: ClientConfig[]): boolean {
  return clients.some((c) => DEMO_CLIENTS.some((d) => d.id === c.id && d.secret === c.secret));
}

/** Parse clients from text, one per line: `<clientID> <secret> <BL|VEN>`. Names the bad line. */
export function parseClients(text: string): ClientConfig[] {
  const clients: ClientConfig[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const parts = t.split(/\s+/);
    const role = (parts[2] ?? '').toUpperCase();
    if (parts.length !== 3 || (role !== 'BL' && role !== 'VEN'))
      throw new Error(`clients line ${i + 1}: expected "<clientID> <secret> <BL|VEN>", got "${t}"`);
    clients.push({ id: parts[0], secret: parts[1], role });
  });
  return clients;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export interface ThrottleOptions {
  /** Wrong secrets one offender may send before it must wait (default 5). */
  freeFailures?: number;
  /** The first wait (default 1 s); each further failure doubles it, up to maxWaitMs. */
  firstWaitMs?: number;
  /** The longest wait (default 15 min). */
  maxWaitMs?: number;
  /** An offender quiet for this long starts afresh (default 1 h). */
  forgetMs?: number;
}

export interface AuthOptions extends ThrottleOptions {
  clients: ClientConfig[];
  signingSecret: string;
  tokenLifetimeSeconds: number;
}

/**
 * Throttles failed sign-ins (token requests, the status page's Basic sign-in) per offender: a
 * known client id from one client address (an IPv6 /64), or — for client ids that do not exist —
 * the address alone. After a few free failures each further one doubles the wait (429 with
 * Retry-After), and while it lasts that offender is refused without a check. So one client's
 * wrong secrets never block another client's right one, even behind one NAT or proxy, while
 * guessing a secret, or spraying client ids, from one address slows to a crawl.
 */
export class SignInThrottle {
  private readonly offenders = new Map<string, { failures: number; until: number; last: number }>();
  private readonly o: Required<ThrottleOptions>;

  constructor(options: ThrottleOptions = {}) {
    this.o = {
      freeFailures: options.freeFailures ?? 5,
      firstWaitMs: options.firstWaitMs ?? 1000,
      maxWaitMs: options.maxWaitMs ?? 15 * 60_000,
      forgetMs: options.forgetMs ?? 3600_000,
    };
  }

  static key(clientID: string | undefined, address: string): string {
    return `${clientID ?? '?'}\u0000${offenderAddress(address)}`;
  }

  /** Throws 429 while this offender must wait. */
  check(key: string, now = Date.now()): void {
    const f = this.offenders.get(key);
    if (!f) return;
    if (now - f.last > this.o.forgetMs) {
      this.offenders.delete(key);
      return;
    }
    if (now < f.until) {
      const retry = Math.max(1, Math.ceil((f.until - now) / 1000));
      throw new VtnError(429, `too many failed sign-ins; retry in ${retry} s`, {
        'Retry-After': String(retry),
      });
    }
  }

  fail(key: string, now = Date.now()): void {
    let f = this.offenders.get(key);
    if (!f || now - f.last > this.o.forgetMs) {
      f = { failures: 0, until: 0, last: now };
      this.offenders.set(key, f);
    }
    f.failures++;
    f.last = now;
    const over = f.failures - this.o.freeFailures;
    if (over > 0)
      f.until = now + Math.min(this.o.maxWaitMs, this.o.firstWaitMs * 2 ** Math.min(30, over - 1));
    if (this.offenders.size > 100_000) this.prune(now); // bounded under a spray of addresses
  }

  succeed(key: string): void {
    this.offenders.delete(key);
  }

  private prune(now: number): void {
    for (const [k, f] of this.offenders)
      if (now >= f.until && now - f.last > 60_000) this.offenders.delete(k);
    if (this.offenders.size > 100_000) this.offenders.clear();
  }
}

export class TokenAuthority {
  /** Failed sign-ins, shared by the token endpoint and the status page's Basic sign-in. */
  readonly throttle: SignInThrottle;

  /** By client ID: a fleet has thousands of VEN clients and every request looks its role up. */
  private readonly byId = new Map<string, { client: ClientConfig; secretHash: Buffer }>();
  /** Compared against when the ID is unknown, so a wrong ID costs the same work as a wrong secret. */
  private readonly dummyHash = crypto.createHash('sha256').update(crypto.randomBytes(32)).digest();
  /**
   * The signing secret as a KeyObject, made once: given a string, jsonwebtoken first tries (and
   * fails) to read it as a public key on every call, which cost more than serving a cached poll.
   */
  private readonly key: crypto.KeyObject;

  constructor(private readonly options: AuthOptions) {
    this.throttle = new SignInThrottle(options);
    this.key = crypto.createSecretKey(Buffer.from(options.signingSecret, 'utf8'));
    for (const c of options.clients)
      this.byId.set(c.id, { client: c, secretHash: crypto.createHash('sha256').update(c.secret).digest() });
  }

  get clients(): ClientConfig[] {
    return this.options.clients;
  }

  roleOf(clientID: string): Role | undefined {
    return this.byId.get(clientID)?.client.role;
  }

  /**
   * The client these credentials belong to, undefined when they are wrong; throws 429 while this
   * offender (client id and address; see SignInThrottle) must wait.
   */
  authenticate(
    clientID: string,
    secret: string,
    address: string,
    now = Date.now(),
  ): ClientConfig | undefined {
    // One hash and one constant-time comparison whatever the ID: comparing against every client
    // (as before) cost two hashes per configured client per token request — with 100,000 VENs,
    // seconds each. Client IDs are not secrets (OAuth sends them in the clear); secrets are compared
    // in constant time, and an unknown ID does the same work as a wrong secret.
    const known = this.byId.get(clientID);
    const key = SignInThrottle.key(known ? clientID : undefined, address);
    this.throttle.check(key, now);
    const given = crypto.createHash('sha256').update(secret).digest();
    const ok = crypto.timingSafeEqual(given, known?.secretHash ?? this.dummyHash);
    if (!ok || !known) {
      this.throttle.fail(key, now);
      return undefined;
    }
    this.throttle.succeed(key);
    return known.client;
  }

  /** Exchange client credentials for a token, or undefined when they are wrong. */
  issue(clientID: string, secret: string, caller: string, now = Date.now()): TokenResponse | undefined {
    const match = this.authenticate(clientID, secret, caller, now);
    if (!match) return undefined;
    const scopes = ROLE_SCOPES[match.role];
    const access_token = jwt.sign({ role: match.role, scope: scopes.join(' ') }, this.key, {
      algorithm: 'HS256',
      subject: match.id,
      expiresIn: this.options.tokenLifetimeSeconds,
      jwtid: crypto.randomUUID(),
    });
    return {
      access_token,
      token_type: 'Bearer',
      expires_in: this.options.tokenLifetimeSeconds,
      scope: scopes.join(' '),
    };
  }

  /**
   * Tokens whose signature was already checked, with their expiry: verifying an HS256 JWT costs
   * ~0.4 ms, more than serving a page of events, and a VEN polls with the same token all day.
   */
  private readonly verified = new Map<string, { clientID: string; role: string; exp: number }>();

  /** The principal of a bearer token; throws 403 when it is invalid, expired or badly signed. */
  verify(token: string): Principal {
    const hit = this.verified.get(token);
    if (hit && hit.exp * 1000 > Date.now()) return this.principal(hit.clientID, hit.role);
    if (hit) this.verified.delete(token);
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(token, this.key, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    } catch (err) {
      throw new VtnError(403, `invalid bearer token: ${(err as Error).message}`);
    }
    const clientID = String(claims.sub ?? '');
    const principal = this.principal(clientID, String(claims.role));
    if (typeof claims.exp === 'number') {
      // Room for every VEN of a large program (a few hundred bytes each), bounded all the same.
      if (this.verified.size >= 200_000) this.verified.clear();
      this.verified.set(token, { clientID, role: String(claims.role), exp: claims.exp });
    }
    return principal;
  }

  private principal(clientID: string, claimedRole: string): Principal {
    const role = this.roleOf(clientID);
    // A client removed from the configuration (or given another role) loses its old tokens.
    if (!role || role !== claimedRole)
      throw new VtnError(403, `invalid bearer token: client ${clientID} is not configured`);
    return { clientID, role, scopes: ROLE_SCOPES[role] };
  }
}
