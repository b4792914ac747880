/**
 * What every VTN API version checks on a request before its route runs: the bearer token and a
 * JSON body. Shared by the 3.0.1 and 3.1.0 routers so both answer the same 401/415/400s.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Principal, TokenAuthority } from './auth';
import { VtnError } from './problem';

/** Reads `Authorization: Bearer <token>`; 401 with `WWW-Authenticate: Bearer` when missing. */
export function bearerAuthenticator(auth: TokenAuthority): (req: Request) => Principal {
  return (req) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!m)
      throw new VtnError(401, 'a bearer token is required (Authorization: Bearer <token>)', {
        'WWW-Authenticate': 'Bearer',
      });
    return auth.verify(m[1]);
  };
}

/** JSON bodies only (415 otherwise), parsed with a size limit (413 above it). */
export function jsonOnly(bodyLimit = '1mb'): (req: Request, res: Response, next: NextFunction) => void {
  const jsonBody = express.json({ limit: bodyLimit, type: () => true });
  return (req, res, next) => {
    if (!req.is('application/json') && !req.is('application/*+json'))
      return next(
        new VtnError(415, `Content-Type must be application/json (got ${req.get('content-type') ?? 'none'})`),
      );
    jsonBody(req, res, next);
  };
}
