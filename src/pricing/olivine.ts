/**
 * Olivine eTOU-Dyn prices → a checked price list → an OpenADR 3.0.1 PRICE event.
 *
 * Three input shapes are recognised by their keys (see detectPriceShape):
 * - `live`: what https://api.olivineinc.com/i/oe/pricing/signal/paced/etou-dyn returns
 *   (OpenADR 2.0b-like: eventDescriptor, eiActivePeriod, eiEventSignals);
 * - `simple`: the documented summary shape (activePeriod, signalMetadata, priceSignals);
 * - `openadr3`: one OpenADR 3 event or an array of them, passed through after validation.
 *
 * Validation is strict because these prices drive a water heater: anything missing, mistyped or
 * inconsistent is an Error whose message starts with the JSON path at fault. Only the free-text
 * comment and implausible-but-valid prices produce warnings.
 */
import { formatIsoDuration, isoDurationToMs, parseIsoDuration } from '../time/duration';
import { calendarDateIn, formatIsoUtc, LAST_ISO_MS, parseIsoDateTime } from '../time/datetime';
import { checkPriceDuration, Cursor, PriceFormatError, describeValue, isObject } from './json-path';
import { parseVtnComment, VtnMetadata } from './vtn-comment';
import { OpenAdrEvent, parseOpenAdrPriceEvents } from './openadr-passthrough';

export const OLIVINE_ETOU_DYN_URL = 'https://api.olivineinc.com/i/oe/pricing/signal/paced/etou-dyn';
/** Some price servers write this number where a price is missing. It is never a real price. */
export const MISSING_PRICE_SENTINEL = -99999;
/** USD/kWh. Prices outside are accepted (real markets spike and go negative) with a warning. */
export const DEFAULT_PRICE_RANGE: PriceRange = { min: -1, max: 2 };
/** Olivine's windows and event dates follow the Pacific calendar. */
export const OLIVINE_TIME_ZONE = 'America/Los_Angeles';
/** The reference implementation's sample_data/event_pricing.json carries this until openadr3-publish sets the real id. */
export const PROGRAM_ID_PLACEHOLDER = 'PROGRAM_ID_PLACEHOLDER';

export type PriceShape = 'live' | 'simple' | 'openadr3';

export interface PriceRange {
  min: number;
  max: number;
}

export interface PriceInterval {
  /** ISO 8601 UTC with `Z`. */
  start: string;
  end: string;
  /** USD per kWh (may be negative). */
  price: number;
}

export interface OlivinePrices {
  shape: PriceShape;
  /** `live`: eventDescriptor.eventID; `simple`: the Pacific date of the start (the shape has no
   * id); `openadr3`: the first event's id or eventName, null when it has neither. */
  eventID: string | null;
  /** Start of the first interval. */
  start: string;
  /** End of the last interval. */
  end: string;
  intervals: PriceInterval[];
  /** The parsed vtnComment (`live` only; `{}` otherwise). */
  metadata: VtnMetadata;
  warnings: string[];
  /** `openadr3` only: the event or events exactly as received. */
  openadr?: OpenAdrEvent | OpenAdrEvent[];
}

export interface ParseOptions {
  /** Sanity range in USD/kWh for warnings (default -1…2). */
  priceRange?: PriceRange;
}

const LIVE_KEYS = ['eventDescriptor', 'eiActivePeriod', 'eiEventSignals'];
const SIMPLE_KEYS = ['activePeriod', 'signalMetadata', 'priceSignals'];
const OPENADR_KEYS = ['programID', 'intervalPeriod', 'payloadDescriptors', 'eventName'];

/** Turn a response body (text, bytes or already-parsed JSON) into checked prices. */
export function parseOlivinePrices(body: unknown, options: ParseOptions = {}): OlivinePrices {
  const range = options.priceRange ?? DEFAULT_PRICE_RANGE;
  if (!(range.min <= range.max)) throw new Error(`price range ${range.min}…${range.max} is empty`);
  try {
    return parseBody(body, range);
  } catch (err) {
    if (err instanceof PriceFormatError) throw err;
    // Whatever slipped past the field checks (a RangeError deep in a library) still names a path.
    throw new PriceFormatError('$', `could not be read: ${(err as Error).message}`);
  }
}

function parseBody(body: unknown, range: PriceRange): OlivinePrices {
  const root = new Cursor(decodeBody(body));
  const shape = detectPriceShape(root.value);
  const warnings: string[] = [];
  if (shape === 'openadr3') {
    const parsed = parseOpenAdrPriceEvents(root, (c) => readPrice(c, range, warnings), warnings);
    return finish(shape, parsed.eventID, parsed.intervals, {}, warnings, root.value as OpenAdrEvent);
  }
  if (shape === 'live') {
    const { eventID, intervals, metadata } = parseLive(root, range, warnings);
    return finish(shape, eventID, intervals, metadata, warnings);
  }
  const { eventID, intervals } = parseSimple(root, range, warnings);
  return finish(shape, eventID, intervals, {}, warnings);
}

/** Which of the three shapes a parsed body is; throws when it is none of them or ambiguous. */
export function detectPriceShape(value: unknown): PriceShape {
  if (Array.isArray(value)) {
    if (value.length === 0) throw new PriceFormatError('$', 'is an empty array: no OpenADR 3 events');
    return 'openadr3';
  }
  if (!isObject(value)) {
    throw new PriceFormatError(
      '$',
      `must be a JSON object (or an array of OpenADR 3 events), got ${describeValue(value)}`,
    );
  }
  const keys = Object.keys(value);
  const found: PriceShape[] = [];
  if (LIVE_KEYS.some((k) => k in value)) found.push('live');
  if (SIMPLE_KEYS.some((k) => k in value)) found.push('simple');
  if (Array.isArray(value.intervals) && OPENADR_KEYS.some((k) => k in value)) found.push('openadr3');
  if (found.length > 1) {
    throw new PriceFormatError(
      '$',
      `is ambiguous: it has keys of the ${found.join(' and ')} shapes (${keys.join(', ')})`,
    );
  }
  if (found.length === 0) {
    throw new PriceFormatError(
      '$',
      `has an unrecognised shape (keys: ${keys.join(', ') || 'none'}); expected Olivine's ` +
        `eventDescriptor/eiActivePeriod/eiEventSignals, activePeriod/signalMetadata/priceSignals, ` +
        `or an OpenADR 3 event with programID and intervals`,
    );
  }
  return found[0];
}

/**
 * An OpenADR 3.0.1 PRICE event (the shape of the reference implementation's sample_data/event_pricing.json) from
 * parsed prices or a plain interval list. Equal back-to-back intervals share the event's
 * `intervalPeriod`; otherwise each interval carries its own.
 */
export function pricesToOpenAdrEvent(
  prices: OlivinePrices | PriceInterval[],
  options: { programID?: string; eventName?: string } = {},
): OpenAdrEvent {
  const list = Array.isArray(prices) ? prices : prices.intervals;
  const eventID = Array.isArray(prices) ? null : prices.eventID;
  const programID = options.programID || PROGRAM_ID_PLACEHOLDER;
  if (!/^[a-zA-Z0-9_-]{1,128}$/.test(programID)) {
    throw new Error(
      `programID ${JSON.stringify(programID)} is not an OpenADR object id (letters, digits, _ and -)`,
    );
  }
  const eventName = options.eventName || (eventID !== null ? `etou-dyn-${eventID}` : undefined);
  if (!eventName) throw new Error('eventName is required when the prices carry no eventID');
  if (!Array.isArray(list) || list.length === 0) throw new Error('prices: there are no intervals to publish');
  const times = list.map((interval, i) => {
    const at = new Cursor(interval, `prices[${i}]`).object();
    const start = at.get('start').parse(parseIsoDateTime);
    const end = at.get('end').parse(parseIsoDateTime);
    if (!(end > start)) at.get('end').fail('must be after start');
    at.get('price').finiteNumber();
    return { start, end };
  });
  const firstLength = times[0].end - times[0].start;
  const uniform = times.every(
    (t, i) => t.end - t.start === firstLength && (i === 0 || t.start === times[i - 1].end),
  );
  const payloads = (price: number) => [{ type: 'PRICE', values: [price] }];
  const event: OpenAdrEvent = { eventName, programID };
  if (uniform) {
    event.intervalPeriod = { start: formatIsoUtc(times[0].start), duration: formatIsoDuration(firstLength) };
  }
  event.payloadDescriptors = [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }];
  event.intervals = list.map((interval, i) =>
    uniform
      ? { id: i, payloads: payloads(interval.price) }
      : {
          id: i,
          intervalPeriod: {
            start: formatIsoUtc(times[i].start),
            duration: formatIsoDuration(times[i].end - times[i].start),
          },
          payloads: payloads(interval.price),
        },
  );
  return event;
}

function decodeBody(body: unknown): unknown {
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = new TextDecoder().decode(body);
  if (text === undefined) return body;
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte-order mark
  if (text.trim() === '') throw new PriceFormatError('$', 'is not JSON: the body is empty');
  try {
    return JSON.parse(text);
  } catch (err) {
    const head = text.trim().slice(0, 60);
    throw new PriceFormatError(
      '$',
      `is not JSON (${(err as Error).message}); it starts with ${JSON.stringify(head)}`,
    );
  }
}

function parseLive(
  root: Cursor,
  range: PriceRange,
  warnings: string[],
): { eventID: string; intervals: PriceInterval[]; metadata: VtnMetadata } {
  const descriptor = root.objectAt('eventDescriptor');
  const eventID = descriptor.get('eventID').string();
  const comment = parseVtnComment(descriptor.get('vtnComment').value, descriptor.get('vtnComment').path);
  for (const w of comment.warnings) warnings.push(w);
  const properties = root.objectAt('eiActivePeriod').objectAt('properties');
  const startMs = readStart(properties.objectAt('dtstart').objectAt('datetime').get('value'));
  const signalList = root.objectAt('eiEventSignals').get('eiEventSignal');
  const signals = signalList.array();
  if (signals.length > 1) {
    warnings.push(`${signalList.path}: ${signals.length} signals; only the first is used`);
  }
  const items = signals[0].object().get('intervals').array();
  const indexes: Array<{ index: number; at: Cursor }> = [];
  const intervals: PriceInterval[] = [];
  let t = startMs;
  for (const item of items) {
    item.object();
    const length = readLength(item.objectAt('duration').get('duration'));
    const indexAt = item.objectAt('item').get('text');
    indexes.push({ index: readIndexText(indexAt), at: indexAt });
    const payload = item.get('streamPayloadBase').array()[0];
    const price = readPrice(payload.objectAt('item').get('value'), range, warnings);
    const end = windowEnd(t, length, item.objectAt('duration').get('duration'));
    intervals.push({ start: formatIsoUtc(t), end: formatIsoUtc(end), price });
    t = end;
  }
  checkIndexes(indexes);
  // OpenADR 2.0b puts the window's total length here; Olivine's live feed leaves it out.
  if (properties.has('duration')) {
    checkTotal(properties.objectAt('duration').get('duration'), t - startMs, intervals.length);
  }
  return { eventID, intervals, metadata: comment.metadata };
}

function parseSimple(
  root: Cursor,
  range: PriceRange,
  warnings: string[],
): { eventID: string; intervals: PriceInterval[] } {
  const period = root.objectAt('activePeriod');
  const startMs = readStart(period.get('startTime'));
  const totalAt = period.get('duration');
  readLength(totalAt);
  const step = readLength(root.objectAt('signalMetadata').get('intervalDuration'));
  const signals = root.get('priceSignals').array();
  const indexes: Array<{ index: number; at: Cursor }> = [];
  const intervals: PriceInterval[] = [];
  signals.forEach((signal, i) => {
    signal.object();
    const indexAt = signal.get('interval');
    const index = indexAt.finiteNumber();
    if (!Number.isInteger(index) || index < 0) indexAt.fail(`must be a whole number ≥ 0, got ${index}`);
    indexes.push({ index, at: indexAt });
    const price = readPrice(signal.get('priceUSD_per_kWh'), range, warnings);
    const start = startMs + i * step;
    const end = windowEnd(start, step, signal);
    intervals.push({ start: formatIsoUtc(start), end: formatIsoUtc(end), price });
  });
  checkIndexes(indexes);
  checkTotal(totalAt, intervals.length * step, intervals.length);
  return { eventID: calendarDateIn(startMs, OLIVINE_TIME_ZONE), intervals };
}

function readStart(at: Cursor): number {
  return at.parse(parseIsoDateTime);
}

/** An interval or window length: a positive ISO 8601 duration of fixed length, at most MAX_PRICE_DURATION_MS. */
function readLength(at: Cursor): number {
  const text = at.string();
  const parsed = at.parse(parseIsoDuration);
  if (parsed.years || parsed.months) {
    at.fail(`${JSON.stringify(text)} is in months or years, which have no fixed length`);
  }
  const ms = isoDurationToMs(parsed);
  if (ms < 0) at.fail(`${JSON.stringify(text)} is negative; a duration must be longer than zero`);
  if (ms === 0) at.fail(`${JSON.stringify(text)} is zero; a duration must be longer than zero`);
  checkPriceDuration(at, ms);
  return ms;
}

/** `start + length`, refused at `at` when it falls past the last ISO 8601 date-time (year 9999). */
function windowEnd(start: number, length: number, at: Cursor): number {
  const end = start + length;
  if (!(end <= LAST_ISO_MS)) at.fail('ends after the year 9999, past any date-time ISO 8601 can write');
  return end;
}

function readIndexText(at: Cursor): number {
  const text = at.string();
  if (!/^(0|[1-9]\d*)$/.test(text)) {
    at.fail(`must be a whole number ≥ 0 written as a string (e.g. "0"), got ${describeValue(text)}`);
  }
  return Number(text);
}

function readPrice(at: Cursor, range: PriceRange, warnings: string[]): number {
  const price = at.finiteNumber();
  if (price === MISSING_PRICE_SENTINEL) {
    at.fail(`${MISSING_PRICE_SENTINEL} is the "missing price" sentinel, not a price`);
  }
  if (price < range.min || price > range.max) {
    warnings.push(`${at.path}: price ${price} is outside the sanity range ${range.min}…${range.max} USD/kWh`);
  }
  return price;
}

/** Interval indexes must read 0, 1, 2, … in order: no duplicates, no gaps, no shuffling. */
function checkIndexes(indexes: Array<{ index: number; at: Cursor }>): void {
  const seen = new Map<number, string>();
  for (const { index, at } of indexes) {
    const earlier = seen.get(index);
    if (earlier !== undefined) at.fail(`index ${index} is duplicated (also at ${earlier})`);
    seen.set(index, at.path);
  }
  for (let i = 1; i < indexes.length; i++) {
    if (indexes[i].index < indexes[i - 1].index) {
      indexes[i].at.fail(
        `index ${indexes[i].index} is out of order (it follows index ${indexes[i - 1].index})`,
      );
    }
  }
  for (let i = 0; i < indexes.length; i++) {
    if (indexes[i].index !== i) {
      indexes[i].at.fail(`index ${indexes[i].index} where ${i} was expected: index ${i} is missing`);
    }
  }
}

function checkTotal(at: Cursor, actualMs: number, count: number): void {
  const declared = readLength(at);
  if (declared !== actualMs) {
    at.fail(
      `declares ${at.value as string} but the ${count} intervals add up to ${formatIsoDuration(actualMs)}`,
    );
  }
}

function finish(
  shape: PriceShape,
  eventID: string | null,
  intervals: PriceInterval[],
  metadata: VtnMetadata,
  warnings: string[],
  openadr?: OpenAdrEvent | OpenAdrEvent[],
): OlivinePrices {
  const result: OlivinePrices = {
    shape,
    eventID,
    start: intervals[0].start,
    end: intervals[intervals.length - 1].end,
    intervals,
    metadata,
    warnings,
  };
  if (openadr !== undefined) result.openadr = openadr;
  return result;
}
