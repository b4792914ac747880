/**
 * A validated 3.1.0 write request turned into the service's write: the 3.0.1 body, the 3.1-only
 * extras, the owning clientID and the parent ven. The 3.1.0 request objects (BL_VEN_REQUEST,
 * VEN_RESOURCE_REQUEST, ...) and the report's missing programID are settled here.
 */
import type { Principal } from '../auth';
import { KINDS, type KindName } from '../kinds';
import { VtnError } from '../problem';
import type { VtnService } from '../service';
import { requestTo301 } from './convert';

type Json = Record<string, unknown>;

export interface Write301 {
  body: Json;
  extra: Json;
  owner?: string | null;
  parentID?: string;
}

/** Checks the request object type a role sends for vens and resources; returns the owner BL names. */
function venOrResourceWrite(
  kind: 'vens' | 'resources',
  p: Principal,
  req31: Json,
  existing: Json | undefined,
): { owner?: string | null; parentID?: string } {
  let owner: string | null | undefined;
  let parentID: string | undefined;
  const bl = kind === 'vens' ? 'BL_VEN_REQUEST' : 'BL_RESOURCE_REQUEST';
  const venReq = kind === 'vens' ? 'VEN_VEN_REQUEST' : 'VEN_RESOURCE_REQUEST';
  if (p.role === 'VEN' && req31.objectType !== venReq)
    throw new VtnError(403, `objectType: a VEN client sends ${venReq}`);
  if (p.role === 'BL' && req31.objectType !== bl)
    throw new VtnError(400, `objectType: a BL client sends ${bl} (with the clientID the object belongs to)`);
  // BL sets the owning clientID; a VEN owns what it writes. Only BL grants targets: the
  // service drops a VEN's and keeps what BL gave (onlyBlGrants in write-body.ts).
  if (p.role === 'BL') owner = String(req31.clientID);
  if (kind === 'resources') {
    parentID = String(req31.venID);
    if (existing && existing.venID !== parentID)
      throw new VtnError(
        400,
        `venID: a resource cannot move to another ven (it belongs to ${String(existing.venID)})`,
      );
  }
  return { owner, parentID };
}

/** Turn a validated 3.1 request into the service's write: 3.0.1 body, extras, owner, parent. */
export async function writeFrom31(
  service: VtnService,
  known301: Set<string>,
  kind: KindName,
  p: Principal,
  req31: Json,
  existing: Json | undefined,
): Promise<Write301> {
  const type = KINDS[kind].type;
  const { body, extra } = requestTo301(type, req31, known301);
  if (kind === 'vens' || kind === 'resources') {
    return { body, extra, ...venOrResourceWrite(kind, p, req31, existing) };
  }
  if (kind === 'reports') {
    // 3.1 reports name only the event; the 3.0.1 body needs its program.
    // Only "not there" is a 400; a database outage must stay a 503.
    const event = await service.get('events', p, String(req31.eventID)).catch((err: unknown) => {
      if (err instanceof VtnError && err.status === 404) return undefined;
      throw err;
    });
    if (!event) throw new VtnError(400, `eventID: no event with id ${String(req31.eventID)}`);
    body.programID = event.programID;
  }
  return { body, extra, owner: undefined, parentID: undefined };
}
