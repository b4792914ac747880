/**
 * Price timelines: what the scheduler nodes accept as `msg.payload` — the VEN's timeline
 * `[{start, end, price, …}]`, an OpenADR 3 event (the reference implementation's event_pricing.json shape), or a plain
 * array of prices — turned into one shape with start/end as ISO-8601 UTC strings.
 */
import { instantOf, parseIsoDateTimeTolerant } from '../time/datetime';
import { isoDurationToMs, parseIsoDurationTolerant } from '../time/duration';

export interface PriceInterval {
  start: string;
  end: string;
  price: number;
  currency?: string;
  units?: string;
  eventID?: string;
  intervalID?: number | string;
}

/**
 * The length of an interval's ISO 8601 duration in ms (the tolerant reading: what a VEN passes
 * on). Years and months are refused: a price interval has a fixed length.
 */
export function intervalDurationMs(text: string): number {
  let ms = NaN;
  try {
    ms = isoDurationToMs(parseIsoDurationTolerant(text));
  } catch {
    // reported below
  }
  if (!(ms >= 0)) {
    throw new Error(
      `"${String(text)}" is not an ISO-8601 duration this scheduler understands (e.g. PT1H, PT15M, P1D)`,
    );
  }
  return ms;
}

/** A time as ms since the epoch: a Date, epoch milliseconds, or an ISO 8601 string (no zone = UTC). */
function toTime(field: string, value: unknown): number {
  const t =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'number'
        ? value
        : (parseIsoDateTimeTolerant(value) ?? NaN);
  if (!Number.isFinite(t))
    throw new Error(`${field} must be a date (ISO-8601 string), got ${JSON.stringify(value)}`);
  return t;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export interface TimelineOptions {
  /** Start of a plain price array (default: now). */
  start?: string | number | Date;
  /** Interval length of a plain price array in hours (default 1). */
  intervalHours?: number;
  now?: Date;
}

/** Accept a timeline, an OpenADR event or a plain price array; return a validated timeline. */
export function toPriceTimeline(payload: unknown, options: TimelineOptions = {}): PriceInterval[] {
  if (Array.isArray(payload)) {
    if (payload.length === 0) throw new Error('msg.payload: the price list is empty');
    if (payload.every((v) => typeof v === 'number')) return fromNumbers(payload as number[], options);
    return fromTimeline(payload);
  }
  if (
    payload &&
    typeof payload === 'object' &&
    Array.isArray((payload as { intervals?: unknown }).intervals)
  ) {
    return fromOpenAdrEvent(payload as OpenAdrEvent);
  }
  throw new Error(
    'msg.payload must be a price timeline [{start, end, price}], an OpenADR event with intervals, or an array of prices',
  );
}

function fromNumbers(prices: number[], options: TimelineOptions): PriceInterval[] {
  const hours = options.intervalHours ?? 1;
  if (!(typeof hours === 'number' && hours > 0 && Number.isFinite(hours))) {
    throw new Error(`intervalHours must be a positive number, got ${String(hours)}`);
  }
  const start =
    options.start !== undefined ? toTime('msg.start', options.start) : (options.now ?? new Date()).getTime();
  const step = hours * 3600_000;
  return prices.map((price, i) => {
    if (!Number.isFinite(price)) throw new Error(`msg.payload[${i}] must be a finite price, got ${price}`);
    return { start: iso(start + i * step), end: iso(start + (i + 1) * step), price };
  });
}

function fromTimeline(items: unknown[]): PriceInterval[] {
  const out = items.map((item, i): PriceInterval => {
    if (!item || typeof item !== 'object') throw new Error(`msg.payload[${i}] must be {start, end, price}`);
    const it = item as Record<string, unknown>;
    const start = toTime(`msg.payload[${i}].start`, it.start);
    const end = toTime(`msg.payload[${i}].end`, it.end);
    if (!(end > start)) throw new Error(`msg.payload[${i}]: end must be after start`);
    if (typeof it.price !== 'number' || !Number.isFinite(it.price)) {
      throw new Error(`msg.payload[${i}].price must be a finite number, got ${JSON.stringify(it.price)}`);
    }
    const interval: PriceInterval = { start: iso(start), end: iso(end), price: it.price };
    if (typeof it.currency === 'string') interval.currency = it.currency;
    if (typeof it.units === 'string') interval.units = it.units;
    if (typeof it.eventID === 'string') interval.eventID = it.eventID;
    if (typeof it.intervalID === 'number' || typeof it.intervalID === 'string')
      interval.intervalID = it.intervalID;
    return interval;
  });
  out.sort((a, b) => instantOf(a.start) - instantOf(b.start));
  for (let i = 1; i < out.length; i++) {
    if (instantOf(out[i].start) < instantOf(out[i - 1].end)) {
      throw new Error(`msg.payload: intervals starting ${out[i - 1].start} and ${out[i].start} overlap`);
    }
  }
  return out;
}

interface OpenAdrEvent {
  id?: string;
  intervalPeriod?: { start?: string; duration?: string };
  payloadDescriptors?: Array<{ payloadType?: string; units?: string; currency?: string }>;
  intervals: Array<{
    id?: number;
    intervalPeriod?: { start?: string; duration?: string };
    payloads?: Array<{ type?: string; values?: unknown[] }>;
  }>;
}

/**
 * An OpenADR 3 event: interval i (in id order) starts at the event's intervalPeriod.start + i ×
 * duration unless it carries its own intervalPeriod; its price is the first value of its PRICE payload.
 */
function fromOpenAdrEvent(event: OpenAdrEvent): PriceInterval[] {
  const descriptor = event.payloadDescriptors?.find((d) => d.payloadType === 'PRICE');
  const intervals = event.intervals.slice().sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  if (intervals.length === 0) throw new Error('msg.payload: the OpenADR event has no intervals');
  let cursor = NaN;
  return fromTimeline(
    intervals.map((interval, i) => {
      const period = { ...event.intervalPeriod, ...interval.intervalPeriod };
      if (!period.duration)
        throw new Error(`OpenADR event interval ${interval.id ?? i}: no intervalPeriod.duration`);
      const duration = intervalDurationMs(period.duration);
      const start = interval.intervalPeriod?.start
        ? toTime(`event interval ${interval.id ?? i} start`, interval.intervalPeriod.start)
        : i === 0 || !Number.isFinite(cursor)
          ? toTime('event intervalPeriod.start', period.start)
          : cursor;
      cursor = start + duration;
      const pricePayload = interval.payloads?.find((pl) => pl.type === 'PRICE');
      const price = pricePayload?.values?.[0];
      if (typeof price !== 'number') {
        throw new Error(`OpenADR event interval ${interval.id ?? i}: no numeric PRICE payload value`);
      }
      return {
        start: iso(start),
        end: iso(start + duration),
        price,
        currency: descriptor?.currency,
        units: descriptor?.units,
        eventID: event.id,
        intervalID: interval.id ?? i,
      };
    }),
  );
}
