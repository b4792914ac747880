/**
 * Tolerant readers for what real VTNs return. Each returns a copy in the 3.0.1 shape this
 * package works with, and never throws on a quirk it can repair:
 * - numeric object ids (counter ids) become strings;
 * - 3.1.0 program `attributes` (PROGRAM_LONG_NAME, RETAILER_NAME, …) fill the 3.0.1 fields;
 * - interval ids given as numeric strings become numbers;
 * - zone-less date-times are kept as sent (parseDateTime reads them as UTC when needed).
 */
import type { Interval, OpenAdrEvent, Program, Report, ValuesMap } from './types';

function idString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const PROGRAM_ATTRIBUTE_FIELDS: Record<string, keyof Program> = {
  PROGRAM_LONG_NAME: 'programLongName',
  RETAILER_NAME: 'retailerName',
  RETAILER_LONG_NAME: 'retailerLongName',
  PROGRAM_TYPE: 'programType',
  COUNTRY: 'country',
  PRINCIPAL_SUBDIVISION: 'principalSubdivision',
  BINDING_EVENTS: 'bindingEvents',
  LOCAL: 'localPrice',
};

export function normalizeProgram(raw: unknown): Program {
  if (!isRecord(raw)) throw new Error(`program must be an object, got ${JSON.stringify(raw)}`);
  const program = { ...raw } as Program;
  const id = idString(raw.id);
  if (id !== undefined) program.id = id;
  if (Array.isArray(raw.attributes)) {
    for (const attr of raw.attributes as ValuesMap[]) {
      if (!isRecord(attr) || typeof attr.type !== 'string' || !Array.isArray(attr.values)) continue;
      const field = PROGRAM_ATTRIBUTE_FIELDS[attr.type];
      if (field && program[field] == null && attr.values.length) {
        (program as Record<string, unknown>)[field] = attr.values[0];
      }
    }
  }
  if (typeof program.programName !== 'string' && typeof raw.name === 'string') program.programName = raw.name;
  return program;
}

function normalizeIntervals(raw: unknown): Interval[] {
  if (!Array.isArray(raw)) return [];
  return raw.map((item) => {
    if (!isRecord(item)) return item as Interval;
    const interval = { ...item } as unknown as Interval;
    if (typeof item.id === 'string' && /^-?\d+$/.test(item.id)) interval.id = Number(item.id);
    return interval;
  });
}

export function normalizeEvent(raw: unknown): OpenAdrEvent {
  if (!isRecord(raw)) throw new Error(`event must be an object, got ${JSON.stringify(raw)}`);
  const event = { ...raw } as OpenAdrEvent;
  const id = idString(raw.id);
  if (id !== undefined) event.id = id;
  const programID = idString(raw.programID);
  if (programID !== undefined) event.programID = programID;
  if (typeof raw.priority === 'string' && /^\d+$/.test(raw.priority)) event.priority = Number(raw.priority);
  event.intervals = normalizeIntervals(raw.intervals);
  return event;
}

export function normalizeReport(raw: unknown): Report {
  if (!isRecord(raw)) throw new Error(`report must be an object, got ${JSON.stringify(raw)}`);
  const report = { ...raw } as Report;
  for (const key of ['id', 'programID', 'eventID'] as const) {
    const v = idString(raw[key]);
    if (v !== undefined) report[key] = v;
  }
  return report;
}

/** Normalise any addressable object's id (vens, resources, subscriptions). */
export function normalizeObject<T>(raw: unknown): T {
  if (!isRecord(raw)) throw new Error(`expected an object, got ${JSON.stringify(raw)}`);
  const obj = { ...raw };
  for (const key of ['id', 'programID', 'venID'] as const) {
    const v = idString(raw[key]);
    if (v !== undefined) obj[key] = v;
  }
  return obj as T;
}
