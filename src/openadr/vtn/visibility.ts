/**
 * Who may see what: BL sees everything; an anonymous caller sees what anonymous.ts allows; a VEN
 * client sees untargeted programs and events, those targeted at its Identity, resources of its
 * own vens, and the reports, subscriptions and vens it owns.
 */
import type { Principal } from './auth';
import { anonymousVisibility, isAnonymous } from './anonymous';
import type { StoredObject, VtnStore } from './store/store';
import {
  bodyPairs,
  type Identity,
  RESOURCE_NAME_PREFIX,
  targetsIdentity,
  VEN_NAME_PREFIX,
} from './target-match';

/** What targets this VEN client (see Identity): BL's grants and its own names. */
export async function identityOf(store: VtnStore, clientID: string): Promise<Identity> {
  const id: Identity = { granted: new Set(), resourceNames: new Set() };
  const vens = await store.list({ type: 'VEN', owner: clientID });
  for (const ven of vens) {
    id.granted.add(`${VEN_NAME_PREFIX}${String(ven.body.venName)}`);
    for (const x of bodyPairs(ven.body)) id.granted.add(x);
    for (const r of await store.list({ type: 'RESOURCE', scope: ven.id })) {
      id.resourceNames.add(`${RESOURCE_NAME_PREFIX}${String(r.body.resourceName)}`);
      for (const x of bodyPairs(r.body)) id.granted.add(x);
    }
  }
  return id;
}

/** A visibility test for one principal, loading what it needs only once and only if needed. */
export function visibilityFor(
  store: VtnStore,
  anonymousPrograms: ReadonlySet<string>,
  p: Principal,
): (o: StoredObject) => Promise<boolean> {
  if (p.role === 'BL') return async () => true;
  if (isAnonymous(p)) return anonymousVisibility(store, anonymousPrograms);
  const clientID = p.clientID ?? '';
  let id: Identity | undefined;
  const venOwner = new Map<string, boolean>();
  return async (o) => {
    switch (o.type) {
      case 'PROGRAM':
      case 'EVENT': {
        if (!o.targeted) return true;
        id ??= await identityOf(store, clientID);
        return targetsIdentity(id, o.body);
      }
      case 'RESOURCE': {
        let owned = venOwner.get(o.scope);
        if (owned === undefined) {
          owned = (await store.get('VEN', o.scope))?.owner === clientID;
          venOwner.set(o.scope, owned);
        }
        return owned;
      }
      default:
        return o.owner === clientID;
    }
  };
}
