/**
 * eventsToPriceTimeline cost per slot as the input grows: 1 day of hourly prices is the baseline
 * (measured in the same run); a week, a month, and a month with a higher-priority override
 * every day should stay near 1× per slot (the overlap sweep is linear in slots × overlap depth).
 * Run: npm run bench:openadr-client
 */
import { eventsToPriceTimeline, OpenAdrEvent } from '../src/openadr/client';

const DAY = 86400000;
const start = Date.UTC(2026, 1, 1);

function day(d: number, priority: number | null = 1): OpenAdrEvent {
  return {
    id: `day-${d}`,
    programID: 'p',
    priority,
    intervalPeriod: { start: new Date(start + d * DAY).toISOString(), duration: 'PT1H' },
    payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
    intervals: Array.from({ length: 24 }, (_, h) => ({
      id: h,
      payloads: [{ type: 'PRICE', values: [0.1 + h / 100] }],
    })),
  };
}

function override(d: number): OpenAdrEvent {
  return {
    id: `peak-${d}`,
    programID: 'p',
    priority: 0,
    intervalPeriod: { start: new Date(start + d * DAY + 17.5 * 3600000).toISOString(), duration: 'PT3H' },
    intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.9] }] }],
  };
}

function perSlotMicros(events: OpenAdrEvent[], minMs = 400): { us: number; slots: number } {
  const now = new Date(start - DAY);
  let runs = 0;
  let slots = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs || runs < 5) {
    slots = eventsToPriceTimeline(events, { now }).intervals.length;
    runs++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return { us: (elapsed * 1000) / runs / slots, slots };
}

const days = (n: number): OpenAdrEvent[] => Array.from({ length: n }, (_, d) => day(d));
// Warm up the JIT before measuring the baseline.
perSlotMicros(days(7), 200);
const baseline = perSlotMicros(days(1));
const cases: Array<[string, OpenAdrEvent[]]> = [
  ['7 days (168 slots)', days(7)],
  ['31 days (744 slots)', days(31)],
  [
    '31 days + daily priority-0 peak override',
    [...days(31), ...Array.from({ length: 31 }, (_, d) => override(d))],
  ],
  ['365 days (8760 slots)', days(365)],
];
console.log(`baseline: 1 day, ${baseline.slots} slots, ${baseline.us.toFixed(2)} µs/slot`);
for (const [name, events] of cases) {
  const r = perSlotMicros(events);
  console.log(
    `${name}: ${r.slots} slots, ${r.us.toFixed(2)} µs/slot, ${(r.us / baseline.us).toFixed(2)}× baseline per slot`,
  );
}
