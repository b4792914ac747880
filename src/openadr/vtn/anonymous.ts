/**
 * Anonymous local programs: a VTN in a home may serve chosen programs (a local price, say) to any
 * device on the LAN without credentials, as the 3.1.0 Definition allows for non-authenticated
 * clients. The whole rule lives here, so the access rules can change in one place:
 * - only GET on programs and events is ever anonymous; every other request still needs a token;
 * - an anonymous caller sees the listed programs (by programName) and their untargeted events;
 *   a targeted event is meant for particular VENs, and an anonymous caller is nobody in particular.
 * Having no client id, anonymous callers are charged to a quota per client address (limits.ts).
 */
import type { Principal } from './auth';
import type { KindName } from './kinds';
import type { StoredObject, VtnStore } from './store/store';

/** The principal of a request without a token, where anonymous reading is allowed. */
export const ANONYMOUS_PRINCIPAL: Readonly<Principal> = Object.freeze({
  clientID: null,
  role: 'VEN',
  scopes: ['read_all'],
  anonymous: true,
});

export function isAnonymous(p: Principal): boolean {
  return p.anonymous === true;
}

/** Whether a request for this kind and method may go without a token at all. */
export function anonymousAllowed(programNames: ReadonlySet<string>, kind: KindName, method: string): boolean {
  return programNames.size > 0 && (kind === 'programs' || kind === 'events') && method === 'GET';
}

/**
 * A visibility test for one anonymous request: the listed programs and their untargeted events,
 * nothing else. Program lookups are remembered for the request (a page of events names few).
 */
export function anonymousVisibility(
  store: VtnStore,
  programNames: ReadonlySet<string>,
): (o: StoredObject) => Promise<boolean> {
  const publicProgram = new Map<string, boolean>();
  return async (o) => {
    if (o.type === 'PROGRAM') return programNames.has(String(o.body.programName));
    if (o.type !== 'EVENT' || o.targeted) return false;
    let open = publicProgram.get(o.scope);
    if (open === undefined) {
      const program = await store.get('PROGRAM', o.scope);
      open = program !== undefined && programNames.has(String(program.body.programName));
      publicProgram.set(o.scope, open);
    }
    return open;
  };
}

/** Check and normalise the option: program names as the YAML allows them (1–128 characters). */
export function anonymousProgramSet(names: readonly string[] | undefined): Set<string> {
  const set = new Set<string>();
  for (const raw of names ?? []) {
    if (typeof raw !== 'string') throw new Error(`anonymousPrograms: ${JSON.stringify(raw)} is not a name`);
    const name = raw.trim();
    if (!name) continue;
    if (name.length > 128)
      throw new Error(`anonymousPrograms: "${name.slice(0, 20)}…" is longer than a programName may be (128)`);
    set.add(name);
  }
  return set;
}
