/**
 * The local price of the 3.1.0 Definition's "Local Scenarios": the retail price a home receives,
 * plus an optional greenhouse-gas burden — a per-interval emissions series (g/kWh, the GHG payload)
 * times a price per metric ton of CO2e the household chooses — republished by the home's VTN in a
 * program marked `localPrice: true` (3.0.1 field; the 3.1.0 API shows it as the LOCAL program
 * attribute).
 *
 * The timeline is cut wherever either series changes: each piece has one retail price and one
 * emissions value, so a 15-minute emissions series refines an hourly tariff instead of being
 * averaged away. Where there is no emissions value the retail price goes on unchanged (a heater
 * is better served by the retail price than by no price), and a warning says where.
 */
import { instantOf, parseIsoDateTime } from '../../time/datetime';
import { formatIsoDuration, isoDurationToMs } from '../../time/duration';
import { eventsToPriceTimeline, type PriceSlot } from '../client/timeline';
import type { OpenAdrEvent } from '../client/types';

/** One value of an emissions series, in g CO2e per kWh. `end` defaults to the next start. */
export interface EmissionsPoint {
  start: string;
  end?: string;
  duration?: string;
  value: number;
}

export interface LocalPriceSlot {
  start: string;
  end: string;
  /** The local price: retail + burden. */
  price: number;
  retail: number;
  /** g CO2e/kWh, null where the series had no value. */
  ghg: number | null;
  /** What the emissions add, in the price's currency per its energy unit. */
  burden: number;
  currency: string | null;
  units: string | null;
}

export interface LocalPriceResult {
  slots: LocalPriceSlot[];
  warnings: string[];
}

/** Grams in a metric ton, per energy unit of the price: g/kWh × $/t → $/kWh or $/MWh. */
const PER_UNIT: Record<string, number> = { KWH: 1e-6, MWH: 1e-3 };

type Span = { start: number; end: number };

function ms(text: string, what: string): number {
  try {
    return parseIsoDateTime(text);
  } catch (err) {
    throw new Error(`${what}: must be an ISO 8601 date-time with a zone: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The emissions series as spans: an array of {start, end | duration, value} (value in g/kWh), or
 * OpenADR events with GHG payloads. A point without end or duration lasts until the next one.
 */
export function emissionsSpans(series: unknown, now?: number): Array<Span & { value: number }> {
  if (series === undefined || series === null) return [];
  if (!Array.isArray(series))
    throw new Error('emissions must be an array of {start, end, value} or OpenADR events');
  if (series.length > 0 && typeof series[0] === 'object' && series[0] !== null && 'intervals' in series[0]) {
    const t = eventsToPriceTimeline(series, { payloadType: 'GHG', includePast: true, now });
    return t.intervals.map((s) => ({ start: instantOf(s.start), end: instantOf(s.end), value: s.price }));
  }
  const points = (series as unknown[]).map((p, i) => {
    if (typeof p !== 'object' || p === null) throw new Error(`emissions[${i}]: not an object`);
    const { start, end, duration, value } = p as Partial<EmissionsPoint>;
    if (typeof start !== 'string') throw new Error(`emissions[${i}].start: a date-time is required`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new Error(
        `emissions[${i}].value: a number of g/kWh ≥ 0 is required (got ${JSON.stringify(value)})`,
      );
    const s = ms(start, `emissions[${i}].start`);
    const e =
      typeof end === 'string'
        ? ms(end, `emissions[${i}].end`)
        : typeof duration === 'string'
          ? s + isoDurationToMs(duration)
          : undefined;
    return { start: s, end: e, value };
  });
  points.sort((a, b) => a.start - b.start);
  return points.map((p, i) => {
    const end = p.end ?? points[i + 1]?.start;
    if (end === undefined)
      throw new Error('emissions: the last value needs an end or a duration (nothing follows it)');
    if (end <= p.start)
      throw new Error(`emissions: a value ends before it starts (${new Date(p.start).toISOString()})`);
    return { start: p.start, end, value: p.value };
  });
}

const iso = (t: number): string => new Date(t).toISOString();

/**
 * Retail slots (an openadr3-ven price timeline) + emissions × $/t → local price slots.
 * `dollarsPerTon` is per metric ton of CO2e, in the retail price's currency; 0 gives the retail
 * price back (still marked local).
 */
export function computeLocalPrice(
  retail: PriceSlot[],
  emissions: unknown,
  dollarsPerTon: number,
  now?: number,
): LocalPriceResult {
  if (!Array.isArray(retail))
    throw new Error('the retail price must be a price timeline (an array of slots)');
  if (typeof dollarsPerTon !== 'number' || !Number.isFinite(dollarsPerTon) || dollarsPerTon < 0)
    throw new Error(
      `the emissions burden must be a price per ton ≥ 0 (got ${JSON.stringify(dollarsPerTon)})`,
    );
  const ghg = emissionsSpans(emissions, now);
  const warnings: string[] = [];
  const slots: LocalPriceSlot[] = [];
  const uncovered: Span[] = [];
  retail.forEach((r, i) => {
    if (typeof r?.price !== 'number' || !Number.isFinite(r.price))
      throw new Error(`retail[${i}].price: a number is required`);
    const units = r.units ? String(r.units).toUpperCase() : 'KWH';
    const factor = PER_UNIT[units];
    if (factor === undefined && ghg.length > 0 && dollarsPerTon > 0)
      throw new Error(
        `retail[${i}]: prices per ${r.units} cannot carry a burden per kWh (use KWH or MWH prices)`,
      );
    const start = ms(r.start, `retail[${i}].start`);
    const end = ms(r.end, `retail[${i}].end`);
    // Every boundary of the emissions series inside this slot cuts it.
    const cuts = [start, end];
    for (const g of ghg) for (const t of [g.start, g.end]) if (t > start && t < end) cuts.push(t);
    const points = [...new Set(cuts)].sort((a, b) => a - b);
    for (let k = 0; k + 1 < points.length; k++) {
      const [s, e] = [points[k], points[k + 1]];
      const g = ghg.find((x) => x.start <= s && x.end >= e);
      const burden = g && factor !== undefined ? g.value * dollarsPerTon * factor : 0;
      if (!g) uncovered.push({ start: s, end: e });
      slots.push({
        start: iso(s),
        end: iso(e),
        // Rounded to a micro-unit: float noise in a price helps no one.
        price: Math.round((r.price + burden) * 1e6) / 1e6,
        retail: r.price,
        ghg: g ? g.value : null,
        burden: Math.round(burden * 1e6) / 1e6,
        currency: r.currency ?? null,
        units: r.units ?? null,
      });
    }
  });
  if (uncovered.length && ghg.length) {
    const spans = mergeSpans(uncovered)
      .map((s) => `${iso(s.start)}–${iso(s.end)}`)
      .join(', ');
    warnings.push(`no emissions value for ${spans}: the retail price is used there`);
  }
  return { slots: mergeEqual(slots), warnings };
}

function mergeSpans(spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && last.end === s.start) last.end = s.end;
    else out.push({ ...s });
  }
  return out;
}

/** Neighbouring pieces with the same price, retail and emissions are one interval. */
function mergeEqual(slots: LocalPriceSlot[]): LocalPriceSlot[] {
  const out: LocalPriceSlot[] = [];
  for (const s of slots) {
    const last = out[out.length - 1];
    if (
      last &&
      last.end === s.start &&
      last.price === s.price &&
      last.retail === s.retail &&
      last.ghg === s.ghg
    )
      last.end = s.end;
    else out.push({ ...s });
  }
  return out;
}

export interface LocalPriceEventOptions {
  /** Replaced by the program's id when published (openadr3-publish). */
  programID?: string;
  /** The event is replaced in place on each update (openadr3-publish matches by eventName). */
  eventName?: string;
}

/**
 * The OpenADR 3 event for a local price: one interval per slot with its own intervalPeriod, a
 * PRICE payload (the local price) and, where known, the GHG value it was computed from.
 */
export function localPriceEvent(
  result: LocalPriceResult,
  options: LocalPriceEventOptions = {},
): OpenAdrEvent {
  const first = result.slots[0];
  return {
    programID: options.programID ?? 'PROGRAM_ID_PLACEHOLDER',
    eventName: options.eventName ?? 'local-price',
    payloadDescriptors: [
      {
        objectType: 'EVENT_PAYLOAD_DESCRIPTOR',
        payloadType: 'PRICE',
        units: first?.units ?? 'KWH',
        currency: first?.currency ?? 'USD',
      },
      { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'GHG', units: 'GHG' },
    ],
    intervalPeriod: first
      ? {
          start: first.start,
          duration: formatIsoDuration(
            instantOf(result.slots[result.slots.length - 1].end) - instantOf(first.start),
          ),
        }
      : undefined,
    intervals: result.slots.map((s, id) => ({
      id,
      intervalPeriod: {
        start: s.start,
        duration: formatIsoDuration(instantOf(s.end) - instantOf(s.start)),
      },
      payloads: [
        { type: 'PRICE', values: [s.price] },
        ...(s.ghg === null ? [] : [{ type: 'GHG', values: [s.ghg] }]),
      ],
    })),
  } as unknown as OpenAdrEvent;
}

/** The program a local price is published in: marked as local (3.0.1 localPrice, 3.1.0 LOCAL). */
export function localPriceProgram(
  programName: string,
  retailProgram?: { programName?: string; retailerName?: string | null },
  price: { units?: string | null; currency?: string | null } = {},
): Record<string, unknown> {
  return {
    programName,
    programLongName: retailProgram?.programName
      ? `Local price from ${retailProgram.programName}`
      : 'Local price',
    programType: 'PRICING',
    // Said explicitly, so nothing of another program's template (openadr3-publish's sample) sticks.
    retailerName: retailProgram?.retailerName ?? null,
    retailerLongName: null,
    country: null,
    principalSubdivision: null,
    localPrice: true,
    payloadDescriptors: [
      {
        objectType: 'EVENT_PAYLOAD_DESCRIPTOR',
        payloadType: 'PRICE',
        units: price.units ?? 'KWH',
        currency: price.currency ?? 'USD',
      },
      { objectType: 'EVENT_PAYLOAD_DESCRIPTOR', payloadType: 'GHG', units: 'GHG' },
    ],
  };
}
