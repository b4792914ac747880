/**
 * Target matching: an object's targets as (type, value) pairs, whether an event or program is
 * meant for a VEN client (its Identity), and the list filters that look at targets and at a
 * subscription's objects. The pairs are the one representation every comparison uses.
 */

type Json = Record<string, unknown>;
type Target = { type?: unknown; values?: unknown };

export function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Pairs of a stored body's targets, computed once per body (stored bodies are never mutated). */
const pairsOfBody = new WeakMap<object, string[]>();

function targetPairs(targets: unknown): string[] {
  const out: string[] = [];
  if (!Array.isArray(targets)) return out;
  for (const t of targets as Target[]) {
    if (!isPlainObject(t) || !Array.isArray(t.values)) continue;
    for (const v of t.values) out.push(`${String(t.type)}\u0000${String(v)}`);
  }
  return out;
}

/** A body's targets as "type\0value" pairs (cached per body). */
export function bodyPairs(body: Json): string[] {
  let pairs = pairsOfBody.get(body);
  if (!pairs) {
    pairs = targetPairs(body.targets);
    pairsOfBody.set(body, pairs);
  }
  return pairs;
}

export const VEN_NAME_PREFIX = 'VEN_NAME\u0000';
export const RESOURCE_NAME_PREFIX = 'RESOURCE_NAME\u0000';

/**
 * What targets a VEN client: the targets BL granted on its vens and resources, its vens' names
 * (venName is unique in the VTN) and its resources' names. A resource name is unique only within
 * its ven (and chosen by the VEN), so it identifies a resource only among this client's own vens:
 * an event that names VENs (VEN_NAME) is for those VENs, and its RESOURCE_NAME targets grant
 * nothing to another client that happens to have a resource of that name.
 */
export interface Identity {
  granted: Set<string>;
  resourceNames: Set<string>;
}

export function targetsIdentity(id: Identity, body: Json): boolean {
  const pairs = bodyPairs(body);
  let namesVens = false;
  for (const x of pairs) {
    if (id.granted.has(x)) return true;
    if (x.startsWith(VEN_NAME_PREFIX)) namesVens = true;
  }
  if (namesVens || id.resourceNames.size === 0) return false;
  return pairs.some((x) => x.startsWith(RESOURCE_NAME_PREFIX) && id.resourceNames.has(x));
}

export function hasTargets(body: Json): boolean {
  return Array.isArray(body.targets) && bodyPairs(body).length > 0;
}

/** Whether a subscription body subscribes to any of these object types. */
export function subscribesTo(body: Json, objects: string[]): boolean {
  const ops = Array.isArray(body.objectOperations) ? (body.objectOperations as Json[]) : [];
  return ops.some(
    (oo) => Array.isArray(oo.objects) && (oo.objects as string[]).some((x) => objects.includes(x)),
  );
}

/** targetType + targetValues: an object matches when any of its targets matches (any-match). */
export function queryTargetFilter(query: Json): ((body: Json) => boolean) | undefined {
  // 3.1.0's `targets` query, already as (type, value) pairs: any pair matches.
  if (Array.isArray(query.targetPairs)) {
    const wanted = new Set((query.targetPairs as Array<[string, string]>).map(([t, v]) => `${t}\u0000${v}`));
    return (body) => bodyPairs(body).some((x) => wanted.has(x));
  }
  const type = typeof query.targetType === 'string' ? query.targetType : undefined;
  // A set: an object's values are each looked up once (a list made this values × values).
  const values = Array.isArray(query.targetValues)
    ? new Set((query.targetValues as unknown[]).map(String))
    : undefined;
  if (type === undefined && values === undefined) return undefined;
  return (body) =>
    Array.isArray(body.targets) &&
    (body.targets as Target[]).some(
      (t) =>
        isPlainObject(t) &&
        (type === undefined || t.type === type) &&
        (values === undefined || (Array.isArray(t.values) && t.values.some((v) => values.has(String(v))))),
    );
}
