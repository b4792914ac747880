/**
 * VEN side: turn water-heater telemetry (the cta2045-out / hpwh-modbus-out contract) into a
 * 3.0.1 report answering an event, and keep one open report per event up to date: the first
 * sample creates it (or adopts the stored one with the same reportName/clientName/eventID),
 * later samples add an interval and replace it.
 */
import type { VenClient } from './client';
import { formatDurationMs, parseDateTime } from './duration';
import { eventSpan } from './timeline';
import type { Interval, OpenAdrEvent, PayloadDescriptor, Report, ValuesMap } from './types';
import type { Telemetry } from '../../device/telemetry';

// The telemetry contract is the device module's (one type for CTA-2045, Modbus and reports).
export type { Telemetry };

export interface ReportOptions {
  clientName: string;
  resourceName?: string;
  /** Default `hpwh-<clientName>-<eventID>`. */
  reportName?: string;
  /** Keep at most this many intervals in the open report (oldest dropped). Default 96. */
  maxIntervals?: number;
}

/** The payload types and units each telemetry field becomes (private types start with X_). */
export const REPORT_PAYLOAD_DESCRIPTORS: PayloadDescriptor[] = [
  { objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'OPERATING_STATE' },
  { objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'DEMAND', readingType: 'DIRECT_READ', units: 'KW' },
  { objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'USAGE', readingType: 'ESTIMATED', units: 'KWH' },
  {
    objectType: 'REPORT_PAYLOAD_DESCRIPTOR',
    payloadType: 'STORAGE_CHARGE_LEVEL',
    readingType: 'DIRECT_READ',
    units: 'PERCENT',
  },
  {
    objectType: 'REPORT_PAYLOAD_DESCRIPTOR',
    payloadType: 'STORAGE_USABLE_CAPACITY',
    readingType: 'DIRECT_READ',
    units: 'KWH',
  },
  {
    objectType: 'REPORT_PAYLOAD_DESCRIPTOR',
    payloadType: 'X_ENERGY_TAKE',
    readingType: 'DIRECT_READ',
    units: 'KWH',
  },
  { objectType: 'REPORT_PAYLOAD_DESCRIPTOR', payloadType: 'X_CUSTOMER_OVERRIDE' },
];

function numberOrNull(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(`${field} must be a number or null, got ${JSON.stringify(value)}`);
  return value;
}

/** Check a telemetry payload; throws an Error naming the bad field. */
export function readTelemetry(payload: unknown): Telemetry {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new Error(
      'msg.payload must be a telemetry object {time, operatingState, energyTakeWh, energyStoredWh, capacityWh, powerW, customerOverride}',
    );
  }
  const p = payload as Record<string, unknown>;
  if (parseDateTime(p.time) === undefined)
    throw new Error(`msg.payload.time must be an ISO date-time, got ${JSON.stringify(p.time)}`);
  if (p.operatingState !== undefined && p.operatingState !== null && typeof p.operatingState !== 'string') {
    throw new Error(`msg.payload.operatingState must be a string, got ${JSON.stringify(p.operatingState)}`);
  }
  if (
    p.customerOverride !== undefined &&
    p.customerOverride !== null &&
    typeof p.customerOverride !== 'boolean'
  ) {
    throw new Error(
      `msg.payload.customerOverride must be true or false, got ${JSON.stringify(p.customerOverride)}`,
    );
  }
  return {
    time: p.time as string,
    operatingState: (p.operatingState as string | undefined) ?? null,
    energyTakeWh: numberOrNull(p.energyTakeWh, 'msg.payload.energyTakeWh'),
    energyStoredWh: numberOrNull(p.energyStoredWh, 'msg.payload.energyStoredWh'),
    capacityWh: numberOrNull(p.capacityWh, 'msg.payload.capacityWh'),
    powerW: numberOrNull(p.powerW, 'msg.payload.powerW'),
    customerOverride: (p.customerOverride as boolean | undefined) ?? null,
    device:
      typeof p.device === 'object' && p.device !== null ? (p.device as Record<string, unknown>) : undefined,
  };
}

/** 'IdleNormal' / 'idle normal' / 'IDLE_NORMAL' → 'IDLE_NORMAL' (the 3.x OPERATING_STATE enumeration). */
export function toOperatingState(state: string): string {
  return state
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[\s-]+/g, '_')
    .toUpperCase();
}

const round = (x: number, digits = 6): number => Number(x.toFixed(digits));

/** One report interval for one sample; `previous` (the sample before) gives USAGE over the gap. */
export function telemetryInterval(sample: Telemetry, id: number, previous?: Telemetry): Interval {
  const at = parseDateTime(sample.time)!;
  const prevAt = previous ? parseDateTime(previous.time) : undefined;
  const spanMs = prevAt !== undefined && prevAt < at ? at - prevAt : 0;
  const payloads: ValuesMap[] = [];
  if (sample.operatingState)
    payloads.push({ type: 'OPERATING_STATE', values: [toOperatingState(sample.operatingState)] });
  if (sample.powerW !== null) payloads.push({ type: 'DEMAND', values: [round(sample.powerW / 1000)] });
  if (spanMs > 0 && previous?.powerW !== null && previous?.powerW !== undefined) {
    // The heater held the previous reading's power until this one: energy = power × time.
    payloads.push({ type: 'USAGE', values: [round((previous.powerW * spanMs) / 3.6e9)] });
  }
  if (sample.energyStoredWh !== null && sample.capacityWh !== null && sample.capacityWh > 0) {
    payloads.push({
      type: 'STORAGE_CHARGE_LEVEL',
      values: [round((100 * sample.energyStoredWh) / sample.capacityWh, 2)],
    });
  }
  if (sample.capacityWh !== null)
    payloads.push({ type: 'STORAGE_USABLE_CAPACITY', values: [round(sample.capacityWh / 1000)] });
  if (sample.energyTakeWh !== null)
    payloads.push({ type: 'X_ENERGY_TAKE', values: [round(sample.energyTakeWh / 1000)] });
  if (sample.customerOverride !== null)
    payloads.push({ type: 'X_CUSTOMER_OVERRIDE', values: [sample.customerOverride] });
  return {
    id,
    intervalPeriod: { start: new Date(at - spanMs).toISOString(), duration: formatDurationMs(spanMs) },
    payloads,
  };
}

export function defaultReportName(clientName: string, eventID: string): string {
  return `hpwh-${clientName}-${eventID}`;
}

export function buildReport(
  event: Pick<OpenAdrEvent, 'id' | 'programID'>,
  intervals: Interval[],
  options: ReportOptions,
): Report {
  if (!options.clientName) throw new Error('clientName is required (a non-empty string)');
  if (event.id === undefined || event.id === null || event.id === '')
    throw new Error('the event the report answers has no id');
  if (event.programID === undefined || event.programID === null || event.programID === '')
    throw new Error('the event the report answers has no programID');
  const eventID = String(event.id);
  return {
    reportName: options.reportName || defaultReportName(options.clientName, eventID),
    programID: String(event.programID),
    eventID,
    clientName: options.clientName,
    payloadDescriptors: REPORT_PAYLOAD_DESCRIPTORS,
    resources: [{ resourceName: options.resourceName || 'water-heater', intervals }],
  };
}

/** What the report node remembers per event between samples. */
export interface OpenReportState {
  reportID?: string;
  intervals: Interval[];
  lastSample?: Telemetry;
  adopted?: boolean;
}

/**
 * Add one sample to the open report for `event` and store it: create on first use (or adopt
 * the stored report of the same name), replace afterwards. Mutates and returns `state`.
 */
export async function upsertTelemetryReport(
  client: VenClient,
  state: OpenReportState,
  sample: Telemetry,
  event: Pick<OpenAdrEvent, 'id' | 'programID'>,
  options: ReportOptions,
): Promise<{ stored: Report; created: boolean; state: OpenReportState }> {
  const probe = buildReport(event, [], options); // validates before any network call
  const resourceName = probe.resources[0].resourceName;
  if (!state.adopted) {
    state.adopted = true;
    const existing = (
      await client.getAllReports({ eventID: probe.eventID, clientName: options.clientName })
    ).find(
      (r) =>
        r.reportName === probe.reportName &&
        r.clientName === options.clientName &&
        String(r.eventID) === probe.eventID,
    );
    if (existing?.id !== undefined) {
      state.reportID = String(existing.id);
      const res = existing.resources?.find((r) => r.resourceName === resourceName);
      if (res && Array.isArray(res.intervals)) state.intervals = [...res.intervals, ...state.intervals];
    }
  }
  const nextId =
    state.intervals.reduce((max, i) => Math.max(max, typeof i.id === 'number' ? i.id : -1), -1) + 1;
  const interval = telemetryInterval(sample, nextId, state.lastSample);
  const intervals = [...state.intervals, interval].slice(-(options.maxIntervals ?? 96));
  const report = buildReport(event, intervals, options);
  let stored: Report;
  let created = false;
  if (state.reportID) {
    stored = await client.updateReport(state.reportID, report);
  } else {
    stored = await client.createReport(report);
    created = true;
  }
  state.reportID = String(stored.id ?? state.reportID);
  state.intervals = intervals;
  state.lastSample = sample;
  return { stored, created, state };
}

/** The event a report should answer, from a list: the one active now, else the latest to start. */
export function pickEvent(events: OpenAdrEvent[], now = Date.now()): OpenAdrEvent | undefined {
  const spans = events.map((e) => ({ e, span: eventSpan(e, now) }));
  const active = spans.filter((s) => s.span && s.span.start <= now && now < s.span.end);
  const pool = active.length ? active : spans;
  return [...pool].sort((a, b) => (b.span?.start ?? -Infinity) - (a.span?.start ?? -Infinity))[0]?.e;
}
