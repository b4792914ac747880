/**
 * OAuth2 client-credentials tokens: JWTs (HS256, jsonwebtoken) signed with a random per-install
 * secret kept in the store so tokens stay valid across restarts. Client secrets are compared in
 * constant time; failed token requests are rate-limited per caller address.
 */
import crypto from 'crypto';
import jwt from 'jsonwebtoken';
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

/** The seed's demo clients (the reference implementation's defaults). */
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

export interface AuthOptions {
  clients: ClientConfig[];
  signingSecret: string;
  tokenLifetimeSeconds: number;
  /** Failed token requests allowed per address per window before 429. */
  maxFailures?: number;
  failureWindowMs?: number;
}

export class TokenAuthority {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;

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
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.failureWindowMs ?? 60_000;
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

  /** Check the caller is not locked out; throws 429 with Retry-After when it is. */
  checkRate(caller: string, now = Date.now()): void {
    const f = this.failures.get(caller);
    if (!f) return;
    if (now - f.since > this.windowMs) {
      this.failures.delete(caller);
      return;
    }
    if (f.count >= this.maxFailures) {
      const retry = Math.ceil((f.since + this.windowMs - now) / 1000);
      throw new VtnError(429, `too many failed token requests from this address; retry in ${retry} s`, {
        'Retry-After': String(retry),
      });
    }
  }

  private fail(caller: string, now: number): void {
    const f = this.failures.get(caller);
    if (!f || now - f.since > this.windowMs) this.failures.set(caller, { count: 1, since: now });
    else f.count++;
    if (this.failures.size > 10_000) this.failures.clear(); // bound memory under a spray of addresses
  }

  /** Exchange client credentials for a token, or undefined when they are wrong. */
  issue(clientID: string, secret: string, caller: string, now = Date.now()): TokenResponse | undefined {
    this.checkRate(caller, now);
    // One hash and one constant-time comparison whatever the ID: comparing against every client
    // (as before) cost two hashes per configured client per token request — with 100,000 VENs,
    // seconds each. Client IDs are not secrets (OAuth sends them in the clear); secrets are compared
    // in constant time, and an unknown ID does the same work as a wrong secret.
    const known = this.byId.get(clientID);
    const given = crypto.createHash('sha256').update(secret).digest();
    const ok = crypto.timingSafeEqual(given, known?.secretHash ?? this.dummyHash);
    const match = ok && known ? known.client : undefined;
    if (!match) {
      this.fail(caller, now);
      return undefined;
    }
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
