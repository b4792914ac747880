/**
 * What a write stores: the request body reduced to the schema's own fields (server-set ones
 * dropped, extension fields checked), validated against the YAML; targets only BL may grant; and
 * the stored row (owner, name, scope, reference) made from the body.
 */
import type { OpenAdrSpec } from '../spec';
import type { Principal } from './auth';
import { KINDS, type Kind, type KindName } from './kinds';
import { checkBodyLimits, DEFAULT_VTN_LIMITS, type VtnLimits } from './limits';
import { VtnError } from './problem';
import type { StoredObject } from './store/store';
import { hasTargets, isPlainObject } from './target-match';

type Json = Record<string, unknown>;

/** Checks for fields outside the 3.0.1 schema a write keeps: each returns why a value is unacceptable. */
export type ExtensionFields = Partial<
  Record<KindName, Record<string, (value: unknown) => string | undefined>>
>;

const SERVER_FIELDS = new Set(['id', 'createdDateTime', 'modificationDateTime', 'objectType']);
const OPERATION_ALIASES: Record<string, string> = { GET: 'READ', POST: 'CREATE', PUT: 'UPDATE' };

/** Each kind's top-level schema properties, by kind name. */
export function schemaProperties(spec: OpenAdrSpec): Map<string, string[]> {
  const properties = new Map<string, string[]>();
  const schemas = (spec.document.components as { schemas: Record<string, { properties?: Json }> }).schemas;
  for (const kind of Object.values(KINDS))
    properties.set(kind.name, Object.keys(schemas[kind.schema].properties ?? {}));
  return properties;
}

export interface BodyRules {
  spec: OpenAdrSpec;
  properties: Map<string, string[]>;
  extensionFields: ExtensionFields;
  limits?: VtnLimits;
}

/** Keep only the schema's own fields (unknown extras are ignored), drop server-set ones, validate. */
export function prepareBody(rules: BodyRules, kind: Kind, raw: unknown): Json {
  if (!isPlainObject(raw)) throw new VtnError(400, `request body must be a JSON ${kind.schema} object`);
  checkBodyLimits(raw, rules.limits ?? DEFAULT_VTN_LIMITS);
  const body: Json = {};
  // The schema's own fields only, and inside them only what the schema declares (an unknown key
  // nested in an interval is dropped like one at the top).
  const known = rules.spec.stripUnknown(kind.schema, raw) as Json;
  for (const key of rules.properties.get(kind.name) ?? []) {
    if (SERVER_FIELDS.has(key) || !(key in known)) continue;
    body[key] = known[key];
  }
  if (kind.name === 'resources') delete body.venID;
  for (const [key, why] of Object.entries(rules.extensionFields[kind.name] ?? {})) {
    if (!(key in raw)) continue;
    const problem = why(raw[key]);
    if (problem) throw new VtnError(400, `${key}: ${problem}`);
    body[key] = raw[key];
  }
  if (kind.name === 'subscriptions' && Array.isArray(body.objectOperations)) {
    // The reference implementation's documents use HTTP verbs; the 3.0.1 YAML uses READ/CREATE/UPDATE/DELETE.
    body.objectOperations = (body.objectOperations as unknown[]).map((oo) =>
      isPlainObject(oo) && Array.isArray(oo.operations)
        ? {
            ...oo,
            operations: oo.operations.map((op) =>
              typeof op === 'string' ? (OPERATION_ALIASES[op.toUpperCase()] ?? op.toUpperCase()) : op,
            ),
          }
        : oo,
    );
  }
  const problems = rules.spec.validateSchema(kind.schema, body);
  if (problems.length) {
    const first = problems[0];
    throw new VtnError(400, `${first.field || kind.schema}: ${first.message}`);
  }
  return body;
}

/**
 * Only BL grants targets (3.1.0 Definition, "Only BL clients may write targets to ven and resource
 * objects"): the targets a VEN client sends on its ven or resource are dropped, and an update keeps
 * what BL granted. Dropped rather than refused, so a VEN that echoes back the ven it read (targets
 * included) keeps working.
 */
export function onlyBlGrants(
  kind: Kind,
  p: Principal,
  fields: Json,
  existing: StoredObject | undefined,
): Json {
  if (p.role !== 'VEN' || (kind.name !== 'vens' && kind.name !== 'resources')) return fields;
  const { targets: _sent, ...rest } = fields;
  return existing?.body.targets !== undefined ? { ...rest, targets: existing.body.targets } : rest;
}

/** The stored row for a body: its owner, unique name, scope (parent) and reference. */
export function storedObject(kind: Kind, body: Json, owner: string | null): StoredObject {
  const name = kind.nameField ? String(body[kind.nameField]) : null;
  const scope =
    kind.name === 'resources' ? String(body.venID) : kind.scopeField ? String(body[kind.scopeField]) : '';
  return {
    type: kind.type,
    id: String(body.id),
    owner,
    name,
    scope,
    ref: kind.name === 'reports' ? String(body.eventID) : '',
    targeted: hasTargets(body),
    body,
  };
}
