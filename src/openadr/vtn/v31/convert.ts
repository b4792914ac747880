/**
 * The 3.1.0 view of the VTN's objects. The store keeps every object in its 3.0.1 shape (the
 * service's rules work on that); these functions turn a 3.1.0 request into a 3.0.1 body plus
 * the 3.1-only fields kept beside it, and a stored body back into the 3.1.0 shape. Each
 * mapping choice is listed in docs/vtn.md ("OpenADR 3.1.0 beside 3.0.1").
 */
import type { OpenAdrSpec } from '../../spec';
import type { KindName } from '../kinds';
import type { ObjectType } from '../store/store';

type Json = Record<string, unknown>;

/** The 3.0.1 target type that carries plain 3.1 target strings. */
export const PLAIN_TARGET_TYPE = 'TARGET';
/** intervalPeriod.start stored when a 3.1 client leaves it out ("now" per the 3.1 Definition). */
export const START_NOW = '0001-01-01T00:00:00Z';
/** programID stored for a 3.1 subscription without one (it then hears about every program). */
export const ANY_PROGRAM = '_any_program';
/** clientID shown for objects the Node-RED flow created (they have no owning client). */
export const FLOW_CLIENT_ID = 'openadr3-vtn-flow';
/** Extension field marking a subscription whose webhooks speak 3.1.0. */
export const NOTIFICATION_VERSION = 'notificationVersion';

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---- targets ----------------------------------------------------------------------------------

/** A 3.1 target string as a 3.0.1 (type, value) pair: `TYPE:value`, or a plain TARGET value. */
export function splitTarget(s: string): [string, string] {
  const i = s.indexOf(':');
  if (i > 0 && s.slice(0, i) !== PLAIN_TARGET_TYPE) return [s.slice(0, i), s.slice(i + 1)];
  return [PLAIN_TARGET_TYPE, s];
}

export function joinTarget(type: string, value: unknown): string {
  return type === PLAIN_TARGET_TYPE ? String(value) : `${type}:${String(value)}`;
}

/** 3.1 strings → 3.0.1 valuesMaps; consecutive strings of one type share a valuesMap. */
export function targetsTo301(targets: unknown): unknown {
  if (!Array.isArray(targets)) return targets;
  const out: Array<{ type: string; values: string[] }> = [];
  for (const s of targets) {
    const [type, value] = splitTarget(String(s));
    const last = out[out.length - 1];
    if (last && last.type === type) last.values.push(value);
    else out.push({ type, values: [value] });
  }
  return out;
}

export function targetsTo31(targets: unknown): unknown {
  if (!Array.isArray(targets)) return targets;
  const out: string[] = [];
  for (const t of targets) {
    if (!isObject(t) || !Array.isArray(t.values)) continue;
    for (const v of t.values) out.push(joinTarget(String(t.type), v));
  }
  return out;
}

/** A 3.1 `targets` query as (type, value) pairs for the service's filter. */
export function targetQueryPairs(targets: unknown): Array<[string, string]> | undefined {
  if (targets === undefined) return undefined;
  const list = Array.isArray(targets) ? targets : [targets];
  return list.map((s) => splitTarget(String(s)));
}

// ---- interval periods -------------------------------------------------------------------------

function periodTo301(p: unknown): unknown {
  if (!isObject(p) || p.start !== undefined) return p;
  return { start: START_NOW, ...p };
}

function periodTo31(p: unknown): unknown {
  if (!isObject(p) || p.start !== START_NOW) return p;
  const { start: _start, ...rest } = p;
  return rest;
}

function intervalsMap(intervals: unknown, period: (p: unknown) => unknown): unknown {
  if (!Array.isArray(intervals)) return intervals;
  return intervals.map((iv) =>
    isObject(iv) && iv.intervalPeriod !== undefined
      ? { ...iv, intervalPeriod: period(iv.intervalPeriod) }
      : iv,
  );
}

// ---- payload descriptors ----------------------------------------------------------------------

const REPORT_ONLY = ['readingType', 'accuracy', 'confidence'];

/** 3.1 requires objectType on payload descriptors; 3.0.1 leaves it optional. */
function descriptorsTo31(list: unknown, kind: 'EVENT' | 'REPORT' | 'EITHER'): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((d) => {
    if (!isObject(d) || d.objectType !== undefined) return d;
    const report = kind === 'REPORT' || (kind === 'EITHER' && REPORT_ONLY.some((k) => d[k] !== undefined));
    return { objectType: report ? 'REPORT_PAYLOAD_DESCRIPTOR' : 'EVENT_PAYLOAD_DESCRIPTOR', ...d };
  });
}

function reportDescriptorsMap(list: unknown, targets: (t: unknown) => unknown): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((d) =>
    isObject(d) && d.targets !== undefined ? { ...d, targets: targets(d.targets) } : d,
  );
}

// ---- programs: attributes ↔ 3.0.1 fields --------------------------------------------------------

/** 3.0.1 program fields and the 3.1 program attribute that carries each (in this order). */
export const PROGRAM_ATTRIBUTES: Array<{ field: string; type: string; kind: 'string' | 'boolean' }> = [
  { field: 'programLongName', type: 'PROGRAM_LONG_NAME', kind: 'string' },
  { field: 'retailerName', type: 'RETAILER_NAME', kind: 'string' },
  { field: 'retailerLongName', type: 'RETAILER_LONG_NAME', kind: 'string' },
  { field: 'programType', type: 'PROGRAM_TYPE', kind: 'string' },
  { field: 'country', type: 'COUNTRY', kind: 'string' },
  { field: 'principalSubdivision', type: 'PRINCIPAL_SUBDIVISION', kind: 'string' },
  { field: 'timeZoneOffset', type: 'TIME_ZONE_OFFSET', kind: 'string' },
  { field: 'bindingEvents', type: 'BINDING_EVENTS', kind: 'boolean' },
  { field: 'localPrice', type: 'LOCAL', kind: 'boolean' },
];

/** The attributes list the 3.0.1 fields of a program stand for (null fields → empty values). */
function attributesFromFields(body: Json): Json[] {
  const out: Json[] = [];
  for (const a of PROGRAM_ATTRIBUTES) {
    if (!(a.field in body) || body[a.field] === undefined) continue;
    const v = body[a.field];
    out.push({ type: a.type, values: v === null ? [] : [v] });
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * 3.1 payload descriptors as stored: objectType is left out where 3.0.1 would infer the same one
 * (it is optional there), so a 3.0.1 object read and rewritten through 3.1 comes back as it was.
 */
function descriptorsTo301(list: unknown, kind: 'EVENT' | 'REPORT' | 'EITHER'): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((d) => {
    if (!isObject(d) || d.objectType === undefined) return d;
    const { objectType: _o, ...rest } = d;
    const inferred = descriptorsTo31([rest], kind) as Json[];
    return inferred[0].objectType === d.objectType ? rest : d;
  });
}

// ---- the conversions, per object type ---------------------------------------------------------

export interface Converted301 {
  /** The 3.0.1 request body handed to the service (validated against the 3.0.1 YAML there). */
  body: Json;
  /** 3.1-only fields stored beside it (the 3.0.1 YAML allows extension fields). */
  extra: Json;
}

/** Fields of a 3.1 request that are not 3.1 data but request plumbing. */
const REQUEST_ONLY = ['objectType', 'clientID', 'id', 'createdDateTime', 'modificationDateTime'];

function withoutRequestOnly(req: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(req)) if (!REQUEST_ONLY.includes(k)) out[k] = v;
  return out;
}

/** A 3.1 request body as a 3.0.1 body plus the extras, for one object type. */
export function requestTo301(type: ObjectType, req: Json, known301: Set<string>): Converted301 {
  const src = withoutRequestOnly(req);
  const body: Json = {};
  const extra: Json = {};
  if (src.targets !== undefined) src.targets = targetsTo301(src.targets);
  if (src.intervalPeriod !== undefined) src.intervalPeriod = periodTo301(src.intervalPeriod);
  switch (type) {
    case 'PROGRAM': {
      const attrs = src.attributes;
      delete src.attributes;
      if (Array.isArray(attrs)) {
        for (const a of attrs as Json[]) {
          const m = PROGRAM_ATTRIBUTES.find((x) => isObject(a) && x.type === a.type);
          if (!m || m.field in body || !Array.isArray(a.values) || a.values.length > 1) continue;
          const v = a.values.length ? a.values[0] : null;
          if (v === null || typeof v === m.kind) body[m.field] = v;
        }
      }
      // Attributes the fields cannot say exactly (other types, order, several values) are kept whole.
      if (attrs !== undefined && !sameJson(attrs, attributesFromFields(body))) extra.attributes = attrs;
      src.payloadDescriptors = descriptorsTo301(src.payloadDescriptors, 'EITHER');
      break;
    }
    case 'EVENT':
      if (src.intervals === undefined) src.intervals = [];
      src.intervals = intervalsMap(src.intervals, periodTo301);
      src.reportDescriptors = reportDescriptorsMap(src.reportDescriptors, targetsTo301);
      if (src.reportDescriptors === undefined) delete src.reportDescriptors;
      src.payloadDescriptors = descriptorsTo301(src.payloadDescriptors, 'EVENT');
      break;
    case 'REPORT':
      src.payloadDescriptors = descriptorsTo301(src.payloadDescriptors, 'REPORT');
      if (Array.isArray(src.resources))
        src.resources = (src.resources as unknown[]).map((r) =>
          isObject(r)
            ? {
                ...r,
                ...(r.intervalPeriod !== undefined ? { intervalPeriod: periodTo301(r.intervalPeriod) } : {}),
                intervals: intervalsMap(r.intervals, periodTo301),
              }
            : r,
        );
      break;
    case 'SUBSCRIPTION':
      if (src.programID === undefined) src.programID = ANY_PROGRAM;
      extra[NOTIFICATION_VERSION] = '3.1.0';
      break;
    default:
      break;
  }
  for (const [k, v] of Object.entries(src)) {
    if (k in body || v === undefined) continue;
    if (known301.has(k)) body[k] = v;
    else extra[k] = v;
  }
  return { body, extra };
}

/** A stored (3.0.1) body in its 3.1 shape; `owner` is the stored owner (clientID in 3.1). */
export function bodyTo31(type: ObjectType, stored: Json, owner: string | null): Json {
  const out: Json = { ...stored };
  if (out.targets !== undefined) out.targets = targetsTo31(out.targets);
  if (out.intervalPeriod !== undefined) out.intervalPeriod = periodTo31(out.intervalPeriod);
  switch (type) {
    case 'PROGRAM': {
      const attrs =
        Array.isArray(stored.attributes) || stored.attributes === null ? stored.attributes : undefined;
      const fromFields = attributesFromFields(stored);
      for (const a of PROGRAM_ATTRIBUTES) delete out[a.field];
      delete out.attributes;
      if (attrs !== undefined) out.attributes = attrs;
      else if (fromFields.length) out.attributes = fromFields;
      out.payloadDescriptors = descriptorsTo31(out.payloadDescriptors, 'EITHER');
      if (out.payloadDescriptors === undefined) delete out.payloadDescriptors;
      break;
    }
    case 'EVENT':
      if (Array.isArray(out.intervals) && out.intervals.length === 0) delete out.intervals;
      else out.intervals = intervalsMap(out.intervals, periodTo31);
      if (out.reportDescriptors !== undefined)
        out.reportDescriptors = reportDescriptorsMap(out.reportDescriptors, targetsTo31);
      if (out.payloadDescriptors !== undefined)
        out.payloadDescriptors = descriptorsTo31(out.payloadDescriptors, 'EVENT');
      break;
    case 'REPORT':
      // 3.1 reports name no program: it follows from the event (and is derived again on writes).
      delete out.programID;
      if (out.payloadDescriptors !== undefined)
        out.payloadDescriptors = descriptorsTo31(out.payloadDescriptors, 'REPORT');
      if (Array.isArray(out.resources))
        out.resources = (out.resources as unknown[]).map((r) =>
          isObject(r)
            ? {
                ...r,
                ...(r.intervalPeriod !== undefined ? { intervalPeriod: periodTo31(r.intervalPeriod) } : {}),
                intervals: intervalsMap(r.intervals, periodTo31),
              }
            : r,
        );
      out.clientID = owner ?? FLOW_CLIENT_ID;
      break;
    case 'SUBSCRIPTION':
      if (out.programID === ANY_PROGRAM) delete out.programID;
      delete out[NOTIFICATION_VERSION];
      out.clientID = owner ?? FLOW_CLIENT_ID;
      break;
    case 'VEN':
    case 'RESOURCE':
      out.clientID = owner ?? FLOW_CLIENT_ID;
      break;
  }
  return out;
}

type Checker = (value: unknown) => string | undefined;

/**
 * The 3.1-only fields stored beside the 3.0.1 fields, with how to check one arriving through
 * 3.0.1 (a 3.0.1 client echoing an object it read): held to the 3.1.0 YAML.
 */
export function extensionFields31(spec31: OpenAdrSpec): Partial<Record<KindName, Record<string, Checker>>> {
  const listOf =
    (schema: string, what: string): Checker =>
    (v) =>
      v === null || (Array.isArray(v) && v.every((x) => spec31.validateSchema(schema, x).length === 0))
        ? undefined
        : `must be null or a list of ${what}`;
  return {
    programs: { attributes: listOf('valuesMap', 'valuesMap objects ({type, values})') },
    events: {
      duration: (v) =>
        spec31.validateSchema('duration', v).length ? 'must be an ISO 8601 duration such as PT1H' : undefined,
    },
    subscriptions: { [NOTIFICATION_VERSION]: (v) => (v === '3.1.0' ? undefined : 'must be "3.1.0"') },
  };
}
