/**
 * What every VTN API version checks on a request before its route runs: the bearer token and a
 * JSON body. Shared by the 3.0.1 and 3.1.0 routers so both answer the same 401/415/400s.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { ANONYMOUS_PRINCIPAL, anonymousAllowed } from './anonymous';
import type { Principal, TokenAuthority } from './auth';
import type { KindName } from './kinds';
import { DEFAULT_VTN_LIMITS, type RequestQuota } from './limits';
import { VtnError } from './problem';

/** The whole grammar this VTN accepts for the header (scheme in any case, spaces around). */
const BEARER = /^Bearer\s+(\S+)\s*$/i;
/** What nearly every client sends: the scheme as written, one space, the token. */
const PLAIN_BEARER = /^Bearer \S+$/;

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined. The usual spelling is
 * answered with a slice of the header (a test, no match array): this runs on every poll.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (PLAIN_BEARER.test(header)) return header.slice(7);
  return BEARER.exec(header)?.[1];
}

export interface AuthenticatorOptions {
  /** Charged for every request that gets past the token check (429 when used up). */
  quota?: RequestQuota;
  /** Programs (by name) readable without a token, with their untargeted events (anonymous.ts). */
  anonymousPrograms?: ReadonlySet<string>;
}

/**
 * Reads `Authorization: Bearer <token>` (401 with `WWW-Authenticate: Bearer` when missing) —
 * unless the request reads `kind` and that may be done without one (anonymous local programs) —
 * and charges the request quota (429): the client's, or for an anonymous reader its address's.
 * Remembered per request, so it can run before the body is read (an unknown or throttled client
 * never makes the VTN parse a megabyte) and again in the route at no cost.
 */
export function bearerAuthenticator(
  auth: TokenAuthority,
  options: AuthenticatorOptions = {},
): (req: Request, kind?: KindName) => Principal {
  const { quota } = options;
  const anonymousPrograms = options.anonymousPrograms ?? new Set<string>();
  const known = new WeakMap<Request, Principal>();
  return (req, kind) => {
    const hit = known.get(req);
    if (hit) return hit;
    const header = req.get('authorization');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (header === undefined && kind && anonymousAllowed(anonymousPrograms, kind, method)) {
      const p = { ...ANONYMOUS_PRINCIPAL };
      quota?.charge(p, req);
      known.set(req, p);
      return p;
    }
    const token = bearerToken(header);
    if (token === undefined)
      throw new VtnError(401, 'a bearer token is required (Authorization: Bearer <token>)', {
        'WWW-Authenticate': 'Bearer',
      });
    const p = auth.verify(token);
    quota?.charge(p, req);
    known.set(req, p);
    return p;
  };
}

export interface JsonBodyOptions {
  /** Largest body (bytes or a size such as '1mb'): BL clients and the default. */
  limit?: string | number;
  /** Largest body from a VEN client (its writes are small: reports, vens, resources, subscriptions). */
  venLimit?: string | number;
  /** Who is asking (already authenticated by then; see mountOperations). */
  principal?: (req: Request) => Principal;
  /** Deepest nesting of arrays and objects (DEFAULT_VTN_LIMITS.jsonDepth). */
  maxDepth?: number;
}

/**
 * JSON bodies only (415 otherwise), read with a size limit by role (413 above it) and parsed here
 * rather than by express.json, so that the raw text can be checked before and while it is parsed.
 */
export function jsonOnly(
  options: JsonBodyOptions = {},
): (req: Request, res: Response, next: NextFunction) => void {
  const big = express.raw({ limit: options.limit ?? '1mb', type: () => true });
  const small = express.raw({ limit: options.venLimit ?? options.limit ?? '1mb', type: () => true });
  return (req, res, next) => {
    if (!req.is('application/json') && !req.is('application/*+json'))
      return next(
        new VtnError(415, `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`),
      );
    const charset = /;\s*charset=("?)([^";]+)\1/i.exec(req.get('content-type') ?? '')?.[2];
    if (charset && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8')
      return next(new VtnError(415, `request body: charset ${charset} is not supported; send UTF-8`));
    let role: string | undefined;
    try {
      role = options.principal?.(req).role;
    } catch (err) {
      return next(err);
    }
    (role === 'VEN' ? small : big)(req, res, (err?: unknown) => {
      if (err) return next(err);
      try {
        req.body = parseJsonBody(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), options.maxDepth);
        next();
      } catch (e) {
        next(e);
      }
    });
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The JSON value of a request body; an empty body is `{}` (as express.json had it). The text is
 * checked first (checkJsonText), so what JSON.parse would silently change never gets that far.
 */
export function parseJsonBody(bytes: Buffer, maxDepth = DEFAULT_VTN_LIMITS.jsonDepth): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new VtnError(400, 'request body: not valid UTF-8');
  }
  if (text.trim() === '') return {};
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[')
    throw new VtnError(400, 'request body: malformed JSON (a JSON object or array is expected)');
  checkJsonText(text, maxDepth);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new VtnError(400, `request body: malformed JSON (${(err as Error).message})`);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * One pass over the raw JSON text, outside strings: nesting deeper than `maxDepth` and number
 * tokens a double cannot hold — beyond ±1.8e308 (JSON.parse makes them Infinity, stored as null),
 * non-zero ones that underflow to 0 (`1e-400`), and integers written without a fraction or
 * exponent beyond 2^53 − 1 (rounded to a neighbour). Malformed text is left to JSON.parse.
 */
export function checkJsonText(text: string, maxDepth: number): void {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote (escapes included)
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth)
        throw new VtnError(400, `request body: nested more than ${maxDepth} deep (limit jsonDepth)`);
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        // digits . + - e E
        if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x2b || d === 0x2d || d === 0x65 || d === 0x45))
          break;
      }
      checkNumber(text.slice(i, j));
      i = j - 1;
    }
  }
}

function checkNumber(token: string): void {
  const value = Number(token);
  if (Number.isNaN(value)) return; // not a number token after all: JSON.parse will say so
  const problem = !Number.isFinite(value)
    ? 'is too large for a number'
    : value === 0 && /[1-9]/.test(token.replace(/[eE].*$/, ''))
      ? 'is too small for a number (it would become 0)'
      : token.length >= 16 && /^-?\d+$/.test(token) && (BigInt(token) > MAX_SAFE || BigInt(token) < -MAX_SAFE)
        ? 'is an integer beyond 2^53 − 1, which a number cannot hold exactly'
        : undefined;
  if (problem) {
    const shown = token.length > 40 ? `${token.slice(0, 40)}…` : token;
    throw new VtnError(400, `request body: the number ${shown} ${problem}`);
  }
}
