/**
 * OpenADR 3 events offered as prices (some price endpoints already speak OpenADR 3): validated
 * against the normative 3.0.1 schema in spec/openadr3-3.0.1.yaml (nothing retyped), then read
 * for prices: every interval needs a time window and a finite PRICE value, and no two windows
 * may overlap. The events themselves are passed on unchanged.
 */
import fs from 'fs';
import path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../package-info';
import { formatIsoUtc, LAST_ISO_MS, parseIsoDateTime } from '../time/datetime';
import { isoDurationToMs } from '../time/duration';
import { checkPriceDuration, Cursor, PriceFormatError, childPath } from './json-path';

/** An OpenADR 3 event as plain JSON (the schema in spec/ is the authority on its fields). */
export type OpenAdrEvent = Record<string, unknown>;

let validateEvent: ValidateFunction | undefined;

/** The 3.0.1 `event` schema, compiled once from the spec file. */
function eventValidator(): ValidateFunction {
  if (!validateEvent) {
    const file = path.join(packageRoot(), 'spec', 'openadr3-3.0.1.yaml');
    const doc = parseYaml(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    // strict: false — the OpenAPI document uses keywords JSON Schema does not know (example,
    // discriminator); `nullable` is understood by Ajv itself.
    const ajv = new Ajv({ strict: false, allErrors: false });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: 'openadr3-3.0.1' });
    validateEvent = ajv.getSchema('openadr3-3.0.1#/components/schemas/event')!;
  }
  return validateEvent;
}

/** `/intervals/0/payloads` → `.intervals[0].payloads` under `base`. */
function pointerToPath(base: string, pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<string>((acc, key) => childPath(acc, /^\d+$/.test(key) ? Number(key) : key), base);
}

interface Timed {
  start: number;
  end: number;
  price: number;
  at: Cursor;
}

export function parseOpenAdrPriceEvents(
  root: Cursor,
  readPrice: (at: Cursor) => number,
  warnings: string[],
): { eventID: string | null; intervals: Array<{ start: string; end: string; price: number }> } {
  const events = Array.isArray(root.value) ? root.array() : [root];
  const timed: Timed[] = [];
  for (const event of events) {
    event.object();
    const validate = eventValidator();
    if (!validate(event.value)) {
      const first = validate.errors![0];
      new Cursor(undefined, pointerToPath(event.path, first.instancePath)).fail(
        `is not valid OpenADR 3.0.1: ${first.message ?? first.keyword}`,
      );
    }
    checkPriceDescriptor(event, warnings);
    const eventPeriod = event.has('intervalPeriod') ? readPeriod(event.get('intervalPeriod')) : undefined;
    event
      .get('intervals')
      .array()
      .forEach((interval, i) => {
        const own = interval.has('intervalPeriod') ? readPeriod(interval.get('intervalPeriod')) : undefined;
        if (!own && !eventPeriod) {
          interval.fail('has no intervalPeriod and the event has none either: its time is unknown');
        }
        const length = own?.length ?? eventPeriod?.length;
        if (length === undefined || length <= 0) {
          interval.fail('has no duration (own or from the event): a price needs a window longer than zero');
        }
        // Without its own period, interval i follows the event's start by i durations (3.0.1 §event).
        const start = own ? own.start : eventPeriod!.start + i * length!;
        if (!(start + length! <= LAST_ISO_MS))
          interval.fail('ends after the year 9999, past any date-time ISO 8601 can write');
        const payloads = interval.get('payloads').array();
        const pricePayload = payloads.find((p) => (p.value as { type?: unknown }).type === 'PRICE');
        if (!pricePayload)
          throw new PriceFormatError(childPath(interval.path, 'payloads'), 'has no PRICE payload');
        const price = readPrice(pricePayload.get('values').array()[0]);
        timed.push({ start, end: start + length!, price, at: interval });
      });
  }
  timed.sort((a, b) => a.start - b.start);
  for (let i = 1; i < timed.length; i++) {
    if (timed[i].start < timed[i - 1].end) {
      timed[i].at.fail(`overlaps ${timed[i - 1].at.path} (${formatIsoUtc(timed[i].start)})`);
    }
  }
  const first = events[0].value as { id?: unknown; eventName?: unknown };
  const id =
    typeof first.id === 'string' ? first.id : typeof first.eventName === 'string' ? first.eventName : null;
  return {
    eventID: id,
    intervals: timed.map((t) => ({ start: formatIsoUtc(t.start), end: formatIsoUtc(t.end), price: t.price })),
  };
}

function readPeriod(at: Cursor): { start: number; length: number | undefined } {
  const start = at.get('start').parse(parseIsoDateTime);
  const durationAt = at.get('duration');
  if (durationAt.value === undefined) return { start, length: undefined };
  const length = durationAt.parse((v) => isoDurationToMs(v as string));
  checkPriceDuration(durationAt, length);
  return { start, length };
}

/** Prices are passed on as they are; say so when they are not USD per kWh. */
function checkPriceDescriptor(event: Cursor, warnings: string[]): void {
  const descriptors = event.get('payloadDescriptors').value;
  if (!Array.isArray(descriptors)) return;
  const price = descriptors.find((d) => (d as { payloadType?: unknown })?.payloadType === 'PRICE') as
    { units?: unknown; currency?: unknown } | undefined;
  if (!price) return;
  const units = price.units ?? 'KWH';
  const currency = price.currency ?? 'USD';
  if (units !== 'KWH' || currency !== 'USD') {
    warnings.push(
      `${event.path}.payloadDescriptors: prices are ${String(currency)} per ${String(units)}, passed on unchanged (not USD per KWH)`,
    );
  }
}
