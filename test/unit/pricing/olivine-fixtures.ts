/** The Olivine fixtures from sample_data/olivine/, loaded fresh (deep copies) for mutation. */
import fs from 'fs';
import path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');

export const LIVE_FILE = path.join(root, 'sample_data', 'olivine', 'etou-dyn-24h.json');
export const SIMPLE_FILE = path.join(root, 'sample_data', 'olivine', 'simple-shape-13h.json');
export const SAMPLE_EVENT_FILE = path.join(root, 'sample_data', 'event_pricing.json');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const liveText = (): string => fs.readFileSync(LIVE_FILE, 'utf8');
export const live = (): Json => JSON.parse(liveText());
export const simple = (): Json => JSON.parse(fs.readFileSync(SIMPLE_FILE, 'utf8'));
export const sampleEvent = (): Json => JSON.parse(fs.readFileSync(SAMPLE_EVENT_FILE, 'utf8'));

/** The live fixture's intervals array. */
export const liveIntervals = (body: Json): Json[] => body.eiEventSignals.eiEventSignal[0].intervals;

/** A copy of `base` changed by `change`. */
export function mutate(base: () => Json, change: (body: Json) => void): Json {
  const body = base();
  change(body);
  return body;
}

/**
 * A live-shape body carrying the simple fixture's window and prices: the same input in the
 * other format (the reference implementation's event_pricing.json was built from the simple shape).
 */
export function liveFromSimple(eventID: string): Json {
  const s = simple();
  return {
    eventDescriptor: { eventID, vtnComment: 'BindingPrices:True' },
    eiActivePeriod: { properties: { dtstart: { datetime: { value: s.activePeriod.startTime } } } },
    eiEventSignals: {
      eiEventSignal: [
        {
          intervals: s.priceSignals.map((p: Json) => ({
            duration: { duration: s.signalMetadata.intervalDuration },
            item: { text: String(p.interval) },
            streamPayloadBase: [{ item: { value: p.priceUSD_per_kWh } }],
          })),
        },
      ],
    },
  };
}
