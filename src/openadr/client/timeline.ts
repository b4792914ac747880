/**
 * OpenADR events → a price timeline: `[{start, end, price, currency, units, eventID, intervalID}]`
 * in time order, following the User Guide's timing rules (7.1, 7.3, 7.4):
 * - intervalPeriod on the event is the default; an interval's own intervalPeriod overrides it
 *   (start and duration separately);
 * - an interval without its own start follows the previous one immediately; the first one
 *   starts at the event's start; a start of `0001-01-01` means "now" (first interval / event)
 *   or "right after the previous interval" (later intervals);
 * - a duration of `P9999Y` is open-ended (end clamped to 9999-12-31, `openEnded: true`);
 * - a payload with several values splits its interval into equal sub-intervals;
 * - event.duration (3.1.0) loops the interval set until it ends, or cuts it short;
 * - overlapping events: the lower `priority` number wins (no priority = lowest); a tie is
 *   resolved deterministically (newer modificationDateTime, then event id) with a warning;
 * - units and currency come from the event's payloadDescriptors, else the program's.
 * Intervals are placed by time, never by `interval.id`: a DST day has 23 or 25 hourly intervals
 * and ids are "not a sequence number" (spec).
 */
import {
  addDuration,
  isBeginningOfTime,
  ParsedDuration,
  parseDateTime,
  parseDuration,
  toIsoUtc,
} from './duration';
import type { OpenAdrEvent, PayloadDescriptor, Program } from './types';

export interface PriceSlot {
  start: string;
  end: string;
  price: number;
  currency: string | null;
  units: string | null;
  eventID: string | null;
  intervalID: number | null;
  eventName?: string | null;
  priority?: number | null;
  /** The interval (or event) is open-ended (P9999Y); `end` is clamped to 9999-12-31. */
  openEnded?: boolean;
}

export interface PriceTimeline {
  /** Non-overlapping slots in time order (the timeline contract). */
  intervals: PriceSlot[];
  /** The slot that contains `now`, if any. */
  current: PriceSlot | null;
  currentPrice: number | null;
  /** ISO time at which the price next changes (or starts/stops), null when it never does. */
  nextChange: string | null;
  /** Everything skipped or decided by a tie-break, naming the event and field. */
  warnings: string[];
}

export interface TimelineOptions {
  /** The moment "now" for `0001-01-01` starts and for dropping past slots. Default: Date.now(). */
  now?: Date | string | number;
  /** Programs, for payloadDescriptors (units, currency) the events do not carry. */
  programs?: Program[];
  /** Which payload to read. Default 'PRICE'. */
  payloadType?: string;
  /** Keep slots that ended before `now`. Default false. */
  includePast?: boolean;
  /** How far past `now` an endlessly looping event (event.duration P9999Y) is unrolled. Default 'P2D'. */
  loopHorizon?: string;
}

interface RawSlot {
  startMs: number;
  endMs: number;
  price: number;
  intervalID: number | null;
  /** Index of the event in the input, and the interval's position, for stable tie-breaks. */
  eventIndex: number;
  order: number;
}

interface EventInfo {
  event: OpenAdrEvent;
  eventID: string | null;
  label: string;
  priority: number;
  modifiedMs: number;
  currency: string | null;
  units: string | null;
}

function toMs(value: Date | string | number | undefined): number {
  if (value === undefined) return Date.now();
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  const ms = parseDateTime(value);
  if (ms === undefined) throw new Error(`options.now is not a date-time: ${JSON.stringify(value)}`);
  return ms;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findDescriptor(list: unknown, payloadType: string): PayloadDescriptor | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.find((d): d is PayloadDescriptor => isRecord(d) && d.payloadType === payloadType);
}

export function eventsToPriceTimeline(events: unknown, options: TimelineOptions = {}): PriceTimeline {
  if (!Array.isArray(events))
    throw new Error(`events must be an array of OpenADR events, got ${typeof events}`);
  const now = toMs(options.now);
  const payloadType = options.payloadType ?? 'PRICE';
  const warnings: string[] = [];
  const infos: EventInfo[] = [];
  const slots: RawSlot[] = [];
  const loopHorizon = parseDuration(options.loopHorizon ?? 'P2D', 'options.loopHorizon');

  events.forEach((raw, eventIndex) => {
    const label = isRecord(raw)
      ? `event ${JSON.stringify(raw.eventName ?? raw.id ?? `#${eventIndex}`)}`
      : `events[${eventIndex}]`;
    if (!isRecord(raw)) {
      warnings.push(`${label} skipped: not an object`);
      return;
    }
    const event = raw as OpenAdrEvent;
    const info = describeEvent(event, label, payloadType, options.programs);
    infos[eventIndex] = info;
    try {
      const eventSlots = placeEvent(event, eventIndex, now, payloadType, loopHorizon, warnings, label);
      slots.push(...eventSlots);
    } catch (err) {
      warnings.push(`${label} skipped: ${(err as Error).message}`);
    }
  });

  const resolved = resolveOverlaps(slots, infos, warnings);
  const visible = options.includePast ? resolved : resolved.filter((s) => s.endMs > now);
  const intervals = visible.map((s): PriceSlot => {
    const info = infos[s.eventIndex];
    const slot: PriceSlot = {
      start: toIsoUtc(s.startMs),
      end: toIsoUtc(s.endMs),
      price: s.price,
      currency: info.currency,
      units: info.units,
      eventID: info.eventID,
      intervalID: s.intervalID,
      eventName: (info.event.eventName as string | null | undefined) ?? null,
      priority: typeof info.event.priority === 'number' ? info.event.priority : null,
    };
    if (!Number.isFinite(s.endMs) || s.endMs >= Date.UTC(9999, 0, 1)) slot.openEnded = true;
    return slot;
  });

  const currentIndex = visible.findIndex((s) => s.startMs <= now && now < s.endMs);
  let nextChange: string | null;
  if (currentIndex >= 0) {
    let k = currentIndex;
    while (
      k + 1 < visible.length &&
      visible[k + 1].startMs === visible[k].endMs &&
      visible[k + 1].price === visible[k].price
    ) {
      k++;
    }
    nextChange = Number.isFinite(visible[k].endMs) && !intervals[k].openEnded ? intervals[k].end : null;
  } else {
    const upcoming = visible.find((s) => s.startMs > now);
    nextChange = upcoming ? toIsoUtc(upcoming.startMs) : null;
  }
  const current = currentIndex >= 0 ? intervals[currentIndex] : null;
  return { intervals, current, currentPrice: current ? current.price : null, nextChange, warnings };
}

function describeEvent(
  event: OpenAdrEvent,
  label: string,
  payloadType: string,
  programs: Program[] | undefined,
): EventInfo {
  const program = programs?.find(
    (p) => isRecord(p) && p.id !== undefined && String(p.id) === String(event.programID),
  );
  const descriptor =
    findDescriptor(event.payloadDescriptors, payloadType) ??
    findDescriptor(program?.payloadDescriptors, payloadType);
  const modified =
    parseDateTime(event.modificationDateTime) ?? parseDateTime(event.createdDateTime) ?? -Infinity;
  return {
    event,
    eventID: event.id === undefined || event.id === null ? null : String(event.id),
    label,
    priority:
      typeof event.priority === 'number' && Number.isFinite(event.priority) ? event.priority : Infinity,
    modifiedMs: modified,
    currency: descriptor?.currency ?? null,
    units: descriptor?.units ?? null,
  };
}

/** Place one event's intervals in time; returns its slots (before overlap resolution). */
function placeEvent(
  event: OpenAdrEvent,
  eventIndex: number,
  now: number,
  payloadType: string,
  loopHorizon: ParsedDuration,
  warnings: string[],
  label: string,
): RawSlot[] {
  if (!Array.isArray(event.intervals)) throw new Error('intervals is missing or not an array');
  const eventPeriod = isRecord(event.intervalPeriod) ? event.intervalPeriod : undefined;
  let eventStart: number | undefined;
  if (eventPeriod?.start !== undefined && eventPeriod.start !== null) {
    if (isBeginningOfTime(eventPeriod.start)) eventStart = now;
    else {
      eventStart = parseDateTime(eventPeriod.start);
      if (eventStart === undefined)
        throw new Error(`intervalPeriod.start is not a date-time: ${JSON.stringify(eventPeriod.start)}`);
    }
  }

  const slots: RawSlot[] = [];
  let cursor: number | undefined;
  let firstStart: number | undefined;
  let lastEnd: number | undefined;
  event.intervals.forEach((interval, position) => {
    const where = `intervals[${position}]`;
    if (!isRecord(interval)) throw new Error(`${where} is not an object`);
    const own = isRecord(interval.intervalPeriod) ? interval.intervalPeriod : {};
    let start: number | undefined;
    if (own.start !== undefined && own.start !== null && !isBeginningOfTime(own.start)) {
      start = parseDateTime(own.start);
      if (start === undefined)
        throw new Error(`${where}.intervalPeriod.start is not a date-time: ${JSON.stringify(own.start)}`);
    } else if (position === 0) {
      start = eventStart ?? (own.start !== undefined && isBeginningOfTime(own.start) ? now : undefined);
      if (start === undefined) {
        throw new Error('no start time: needs intervalPeriod.start on the event or on intervals[0]');
      }
    } else {
      start = cursor;
    }
    if (start === undefined || !Number.isFinite(start)) {
      throw new Error(`${where} follows an open-ended interval, so it never starts`);
    }
    const durationText = own.duration ?? eventPeriod?.duration;
    if (durationText === undefined || durationText === null) {
      throw new Error(`${where} has no duration: needs intervalPeriod.duration on the event or the interval`);
    }
    const duration = parseDuration(durationText, `${where}.intervalPeriod.duration`);
    const end = addDuration(start, duration);
    if (end < start) throw new Error(`${where}.intervalPeriod.duration is negative: ${String(durationText)}`);
    cursor = end;
    firstStart = firstStart === undefined ? start : Math.min(firstStart, start);
    lastEnd = lastEnd === undefined ? end : Math.max(lastEnd, end);
    if (end === start) return; // zero-length (e.g. a cancelled event, User Guide 7.x): nothing to place

    const payload = Array.isArray(interval.payloads)
      ? interval.payloads.find((p) => isRecord(p) && p.type === payloadType)
      : undefined;
    if (!payload) return;
    if (!Array.isArray(payload.values) || payload.values.length === 0) {
      warnings.push(`${label} ${where}: ${payloadType} payload has no values`);
      return;
    }
    const values = payload.values.map((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v));
    const intervalID =
      typeof interval.id === 'number' ? interval.id : interval.id == null ? null : Number(interval.id);
    if (values.length > 1 && !Number.isFinite(end)) {
      warnings.push(
        `${label} ${where}: ${values.length} values in an open-ended interval cannot be split; using the first`,
      );
      values.length = 1;
    }
    const step = (end - start) / values.length;
    values.forEach((value, k) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        warnings.push(
          `${label} ${where}: ${payloadType} value ${JSON.stringify(payload.values[k])} is not a number`,
        );
        return;
      }
      const subStart = values.length === 1 ? start! : start! + step * k;
      const subEnd = values.length === 1 || k === values.length - 1 ? end : start! + step * (k + 1);
      slots.push({
        startMs: subStart,
        endMs: subEnd,
        price: value,
        intervalID,
        eventIndex,
        order: slots.length,
      });
    });
  });

  if (
    event.duration !== undefined &&
    event.duration !== null &&
    firstStart !== undefined &&
    lastEnd !== undefined
  ) {
    return applyEventDuration(slots, event.duration, firstStart, lastEnd, now, loopHorizon, label, warnings);
  }
  return slots;
}

/** event.duration (3.1.0): repeat the interval set to fill it, and cut everything at its end. */
function applyEventDuration(
  slots: RawSlot[],
  durationText: string,
  firstStart: number,
  lastEnd: number,
  now: number,
  loopHorizon: ParsedDuration,
  label: string,
  warnings: string[],
): RawSlot[] {
  const spanEnd = addDuration(firstStart, parseDuration(durationText, 'duration'));
  const period = lastEnd - firstStart;
  const out: RawSlot[] = [];
  if (Number.isFinite(period) && period > 0 && spanEnd > lastEnd) {
    // Unroll an endless (or very long) loop only up to the horizon past now (or past its start).
    const stop = Math.min(spanEnd, Math.max(addDuration(Math.max(now, firstStart), loopHorizon), lastEnd));
    if (spanEnd > stop) warnings.push(`${label}: looping intervals unrolled only up to ${toIsoUtc(stop)}`);
    // Skip whole loops that ended before now (keeps a years-long loop cheap).
    const firstLoop = Math.max(0, Math.floor((now - firstStart) / period) - 1);
    for (let loop = firstLoop; firstStart + loop * period < stop; loop++) {
      for (const s of slots) {
        const startMs = s.startMs + loop * period;
        if (startMs >= stop) continue;
        out.push({ ...s, startMs, endMs: Math.min(s.endMs + loop * period, stop), order: out.length });
      }
    }
    return out;
  }
  for (const s of slots) {
    if (s.startMs >= spanEnd) continue;
    out.push({ ...s, endMs: Math.min(s.endMs, spanEnd) });
  }
  return out;
}

/** Cut the time axis at every boundary; in each piece the winning slot is kept; merge back. */
function resolveOverlaps(slots: RawSlot[], infos: EventInfo[], warnings: string[]): RawSlot[] {
  if (slots.length === 0) return [];
  const bounds = Array.from(new Set(slots.flatMap((s) => [s.startMs, s.endMs]))).sort((a, b) => a - b);
  const byStart = [...slots].sort((a, b) => a.startMs - b.startMs);
  const warned = new Set<string>();
  const out: RawSlot[] = [];
  // Sweep the boundaries in order with the set of slots covering the current piece, so a month of
  // hourly prices costs O(slots × overlap depth), not O(slots²).
  let active: RawSlot[] = [];
  let next = 0;
  for (let k = 0; k < bounds.length - 1; k++) {
    const from = bounds[k];
    const to = bounds[k + 1];
    while (next < byStart.length && byStart[next].startMs <= from) active.push(byStart[next++]);
    active = active.filter((s) => s.endMs > from);
    let winner: RawSlot | undefined;
    for (const s of active) winner = winner ? pick(winner, s, infos, warnings, warned) : s;
    if (!winner) continue;
    const last = out[out.length - 1];
    if (last && last.endMs === from && sameSource(last, winner)) last.endMs = to;
    else out.push({ ...winner, startMs: from, endMs: to });
  }
  return out;
}

function sameSource(a: RawSlot, b: RawSlot): boolean {
  return a.eventIndex === b.eventIndex && a.order === b.order;
}

function pick(a: RawSlot, b: RawSlot, infos: EventInfo[], warnings: string[], warned: Set<string>): RawSlot {
  const ia = infos[a.eventIndex];
  const ib = infos[b.eventIndex];
  if (a.eventIndex === b.eventIndex) {
    // Overlapping intervals inside one event: the later one in the list is the more specific.
    const key = `${a.eventIndex}:${Math.min(a.order, b.order)}:${Math.max(a.order, b.order)}`;
    if (!warned.has(key)) {
      warned.add(key);
      warnings.push(
        `${ia.label}: intervals ${a.intervalID} and ${b.intervalID} overlap; the later one in the list wins`,
      );
    }
    return b.order > a.order ? b : a;
  }
  if (ia.priority !== ib.priority) return ia.priority < ib.priority ? a : b;
  // Tie: newer information wins, then the smaller event id, then input order: deterministic
  // whatever order the server lists events in.
  let winner: RawSlot;
  if (ia.modifiedMs !== ib.modifiedMs) winner = ia.modifiedMs > ib.modifiedMs ? a : b;
  else if ((ia.eventID ?? '') !== (ib.eventID ?? ''))
    winner = (ia.eventID ?? '') < (ib.eventID ?? '') ? a : b;
  else winner = a.eventIndex < b.eventIndex ? a : b;
  const pair = [a.eventIndex, b.eventIndex].sort().join(':');
  if (!warned.has(pair)) {
    warned.add(pair);
    const loser = winner === a ? ib : ia;
    const won = winner === a ? ia : ib;
    const prio = Number.isFinite(ia.priority) ? `priority ${ia.priority}` : 'no priority';
    warnings.push(
      `${won.label} and ${loser.label} overlap with the same ${prio}; ${won.label} wins (newer, then lower id)`,
    );
  }
  return winner;
}

/**
 * The time span an event covers (first interval start → last interval end, event.duration
 * applied), whatever its payloads. Undefined when its timing cannot be read. `end` is
 * +Infinity for open-ended events.
 */
export function eventSpan(event: OpenAdrEvent, now = Date.now()): { start: number; end: number } | undefined {
  if (!isRecord(event) || !Array.isArray(event.intervals)) return undefined;
  const probe = '\u0000span';
  const copy: OpenAdrEvent = {
    ...event,
    duration: undefined,
    intervals: event.intervals.map((i) =>
      isRecord(i) ? { ...i, payloads: [{ type: probe, values: [0] }] } : i,
    ),
  };
  try {
    const slots = placeEvent(copy, 0, now, probe, parseDuration('PT0S'), [], '');
    if (!slots.length) return undefined;
    const start = Math.min(...slots.map((s) => s.startMs));
    let end = Math.max(...slots.map((s) => s.endMs));
    if (event.duration !== undefined && event.duration !== null)
      end = addDuration(start, parseDuration(event.duration));
    return { start, end };
  } catch {
    return undefined;
  }
}
