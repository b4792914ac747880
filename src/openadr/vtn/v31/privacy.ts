/**
 * 3.1.0 target hiding: a VEN reading a program or event sees only the targets it was granted
 * (its vens' and their resources' targets, set by BL) — and of those, only the ones its query
 * asked for when it named any — so it cannot learn the other groups an object is aimed at.
 */
import type { Principal } from '../auth';
import type { VtnStore } from '../store/store';
import { targetsTo31 } from './convert';

type Json = Record<string, unknown>;

/** The 3.1 target strings granted to a VEN client through its ven and resource objects. */
export async function grantedTargets(store: VtnStore, clientID: string): Promise<Set<string>> {
  const granted = new Set<string>();
  for (const ven of await store.list({ type: 'VEN', owner: clientID })) {
    for (const t of (targetsTo31(ven.body.targets) as string[] | undefined) ?? []) granted.add(t);
    for (const r of await store.list({ type: 'RESOURCE', scope: ven.id }))
      for (const t of (targetsTo31(r.body.targets) as string[] | undefined) ?? []) granted.add(t);
  }
  return granted;
}

/** A hider for one request: BL sees everything; a VEN sees granted (and requested) targets only. */
export async function targetHider(
  store: VtnStore,
  p: Principal,
  requested: string[] | undefined,
): Promise<(o: Json) => Json> {
  if (p.role === 'BL') return (o) => o;
  const granted = await grantedTargets(store, p.clientID ?? '');
  const shown = (t: string): boolean => granted.has(t) && (!requested || requested.includes(t));
  return (o) => (Array.isArray(o.targets) ? { ...o, targets: (o.targets as string[]).filter(shown) } : o);
}
