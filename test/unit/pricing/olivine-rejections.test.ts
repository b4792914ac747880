/**
 * Every rejection issue 5 lists, for both Olivine shapes (and the OpenADR 3 passthrough): each
 * must throw an Error whose message begins with the JSON path at fault and says what is wrong.
 */
import assert from 'assert';
import { parseOlivinePrices } from '../../../src/pricing/olivine';
import { PriceFormatError } from '../../../src/pricing/json-path';
import { Json, live, liveIntervals, liveText, mutate, sampleEvent, simple } from './olivine-fixtures';

interface Case {
  name: string;
  body: () => unknown;
  path: string;
  problem: RegExp;
}

const L0 = '$.eiEventSignals.eiEventSignal[0].intervals';
const START_LIVE = '$.eiActivePeriod.properties.dtstart.datetime.value';
const liveWith = (change: (b: Json) => void) => () => mutate(live, change);
const simpleWith = (change: (b: Json) => void) => () => mutate(simple, change);
const interval = (b: Json, i: number): Json => liveIntervals(b)[i];
const price = (b: Json, i: number): Json => interval(b, i).streamPayloadBase[0].item;

function check(cases: Case[]): void {
  for (const c of cases) {
    it(`${c.name} → ${c.path}`, () => {
      let thrown: unknown;
      try {
        parseOlivinePrices(c.body());
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof Error, `expected a rejection for: ${c.name}`);
      assert.ok(thrown instanceof PriceFormatError, `expected a PriceFormatError, got ${String(thrown)}`);
      assert.strictEqual(thrown.path, c.path);
      assert.ok(thrown.message.startsWith(`${c.path}: `), `message names the path: ${thrown.message}`);
      assert.match(thrown.message, c.problem);
    });
  }
}

describe('unit: Olivine prices, every rejection', () => {
  describe('not JSON, not an object, not a known shape', () => {
    check([
      {
        name: 'an HTML error page',
        body: () => '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>',
        path: '$',
        problem: /is not JSON .*it starts with "<!DOCTYPE html><html><body><h1>502 Bad Gateway/,
      },
      { name: 'truncated JSON', body: () => liveText().slice(0, 500), path: '$', problem: /is not JSON/ },
      { name: 'an empty body', body: () => '', path: '$', problem: /is not JSON: the body is empty/ },
      {
        name: 'an empty body as bytes',
        body: () => Buffer.from('  \n'),
        path: '$',
        problem: /the body is empty/,
      },
      { name: 'JSON null', body: () => 'null', path: '$', problem: /must be a JSON object .*got null/ },
      {
        name: 'a JSON number',
        body: () => '42',
        path: '$',
        problem: /must be a JSON object .*got the number 42/,
      },
      { name: 'a JSON string', body: () => '"prices"', path: '$', problem: /got the string "prices"/ },
      { name: 'a JSON boolean', body: () => 'true', path: '$', problem: /got boolean true/ },
      { name: 'an empty array', body: () => '[]', path: '$', problem: /empty array: no OpenADR 3 events/ },
      {
        name: 'an unrecognised object',
        body: () => ({ data: [1, 2, 3], status: 'ok' }),
        path: '$',
        problem: /unrecognised shape \(keys: data, status\)/,
      },
      { name: 'an empty object', body: () => ({}), path: '$', problem: /unrecognised shape \(keys: none\)/ },
      {
        name: 'keys of both Olivine shapes',
        body: () => ({ ...live(), priceSignals: [] }),
        path: '$',
        problem: /ambiguous: it has keys of the live and simple shapes/,
      },
    ]);
  });

  describe('live shape: required fields missing or of the wrong type', () => {
    check([
      {
        name: 'no eventDescriptor',
        body: liveWith((b) => delete b.eventDescriptor),
        path: '$.eventDescriptor',
        problem: /must be an object, got nothing \(the field is missing\)/,
      },
      {
        name: 'eventDescriptor is a string',
        body: liveWith((b) => (b.eventDescriptor = 'x')),
        path: '$.eventDescriptor',
        problem: /must be an object, got the string "x"/,
      },
      {
        name: 'no eventID',
        body: liveWith((b) => delete b.eventDescriptor.eventID),
        path: '$.eventDescriptor.eventID',
        problem: /must be a string, got nothing/,
      },
      {
        name: 'eventID is a number',
        body: liveWith((b) => (b.eventDescriptor.eventID = 7)),
        path: '$.eventDescriptor.eventID',
        problem: /must be a string, got the number 7/,
      },
      {
        name: 'eventID is empty',
        body: liveWith((b) => (b.eventDescriptor.eventID = ' ')),
        path: '$.eventDescriptor.eventID',
        problem: /must not be empty/,
      },
      {
        name: 'no eiActivePeriod',
        body: liveWith((b) => delete b.eiActivePeriod),
        path: '$.eiActivePeriod',
        problem: /must be an object/,
      },
      {
        name: 'no properties',
        body: liveWith((b) => delete b.eiActivePeriod.properties),
        path: '$.eiActivePeriod.properties',
        problem: /must be an object/,
      },
      {
        name: 'no dtstart',
        body: liveWith((b) => delete b.eiActivePeriod.properties.dtstart),
        path: '$.eiActivePeriod.properties.dtstart',
        problem: /must be an object/,
      },
      {
        name: 'datetime is an array',
        body: liveWith((b) => (b.eiActivePeriod.properties.dtstart.datetime = [])),
        path: '$.eiActivePeriod.properties.dtstart.datetime',
        problem: /must be an object, got an array of 0/,
      },
      {
        name: 'no start value',
        body: liveWith((b) => delete b.eiActivePeriod.properties.dtstart.datetime.value),
        path: START_LIVE,
        problem: /must be an ISO 8601 string/,
      },
      {
        name: 'start is a number (epoch ms)',
        body: liveWith((b) => (b.eiActivePeriod.properties.dtstart.datetime.value = 1771477200000)),
        path: START_LIVE,
        problem: /must be an ISO 8601 string .*got number/,
      },
      {
        name: 'no eiEventSignals',
        body: liveWith((b) => delete b.eiEventSignals),
        path: '$.eiEventSignals',
        problem: /must be an object/,
      },
      {
        name: 'eiEventSignal is an object',
        body: liveWith((b) => (b.eiEventSignals.eiEventSignal = {})),
        path: '$.eiEventSignals.eiEventSignal',
        problem: /must be an array, got an object/,
      },
      {
        name: 'the signal is null',
        body: liveWith((b) => (b.eiEventSignals.eiEventSignal[0] = null)),
        path: '$.eiEventSignals.eiEventSignal[0]',
        problem: /must be an object, got null/,
      },
      {
        name: 'no intervals',
        body: liveWith((b) => delete b.eiEventSignals.eiEventSignal[0].intervals),
        path: L0,
        problem: /must be an array, got nothing/,
      },
      {
        name: 'an interval is a number',
        body: liveWith((b) => (liveIntervals(b)[4] = 4)),
        path: `${L0}[4]`,
        problem: /must be an object, got the number 4/,
      },
      {
        name: 'an interval without duration',
        body: liveWith((b) => delete interval(b, 2).duration),
        path: `${L0}[2].duration`,
        problem: /must be an object/,
      },
      {
        name: 'duration.duration missing',
        body: liveWith((b) => delete interval(b, 2).duration.duration),
        path: `${L0}[2].duration.duration`,
        problem: /must be a string, got nothing/,
      },
      {
        name: 'an interval without item',
        body: liveWith((b) => delete interval(b, 6).item),
        path: `${L0}[6].item`,
        problem: /must be an object/,
      },
      {
        name: 'item.text missing',
        body: liveWith((b) => delete interval(b, 6).item.text),
        path: `${L0}[6].item.text`,
        problem: /must be a string, got nothing/,
      },
      {
        name: 'item.text is a number',
        body: liveWith((b) => (interval(b, 6).item.text = 6)),
        path: `${L0}[6].item.text`,
        problem: /must be a string, got the number 6/,
      },
      {
        name: 'no streamPayloadBase',
        body: liveWith((b) => delete interval(b, 9).streamPayloadBase),
        path: `${L0}[9].streamPayloadBase`,
        problem: /must be an array, got nothing/,
      },
      {
        name: 'streamPayloadBase is an object',
        body: liveWith((b) => (interval(b, 9).streamPayloadBase = { item: { value: 0.1 } })),
        path: `${L0}[9].streamPayloadBase`,
        problem: /must be an array, got an object/,
      },
      {
        name: 'payload without item',
        body: liveWith((b) => delete interval(b, 9).streamPayloadBase[0].item),
        path: `${L0}[9].streamPayloadBase[0].item`,
        problem: /must be an object/,
      },
      {
        name: 'no price value',
        body: liveWith((b) => delete price(b, 9).value),
        path: `${L0}[9].streamPayloadBase[0].item.value`,
        problem: /must be a number, got nothing/,
      },
    ]);
  });

  describe('simple shape: required fields missing or of the wrong type', () => {
    check([
      {
        name: 'no activePeriod',
        body: simpleWith((b) => delete b.activePeriod),
        path: '$.activePeriod',
        problem: /must be an object/,
      },
      {
        name: 'no startTime',
        body: simpleWith((b) => delete b.activePeriod.startTime),
        path: '$.activePeriod.startTime',
        problem: /must be an ISO 8601 string/,
      },
      {
        name: 'no activePeriod.duration',
        body: simpleWith((b) => delete b.activePeriod.duration),
        path: '$.activePeriod.duration',
        problem: /must be a string, got nothing/,
      },
      {
        name: 'no signalMetadata',
        body: simpleWith((b) => delete b.signalMetadata),
        path: '$.signalMetadata',
        problem: /must be an object/,
      },
      {
        name: 'no intervalDuration',
        body: simpleWith((b) => delete b.signalMetadata.intervalDuration),
        path: '$.signalMetadata.intervalDuration',
        problem: /must be a string, got nothing/,
      },
      {
        name: 'no priceSignals',
        body: simpleWith((b) => delete b.priceSignals),
        path: '$.priceSignals',
        problem: /must be an array, got nothing/,
      },
      {
        name: 'priceSignals is a string',
        body: simpleWith((b) => (b.priceSignals = '0.12,0.13')),
        path: '$.priceSignals',
        problem: /must be an array, got the string/,
      },
      {
        name: 'a price signal is an array',
        body: simpleWith((b) => (b.priceSignals[1] = [1, 0.1])),
        path: '$.priceSignals[1]',
        problem: /must be an object, got an array of 2/,
      },
      {
        name: 'no interval',
        body: simpleWith((b) => delete b.priceSignals[3].interval),
        path: '$.priceSignals[3].interval',
        problem: /must be a number, got nothing/,
      },
      {
        name: 'interval is a string',
        body: simpleWith((b) => (b.priceSignals[3].interval = '3')),
        path: '$.priceSignals[3].interval',
        problem: /must be a number, got the string "3"/,
      },
      {
        name: 'no priceUSD_per_kWh',
        body: simpleWith((b) => delete b.priceSignals[5].priceUSD_per_kWh),
        path: '$.priceSignals[5].priceUSD_per_kWh',
        problem: /must be a number, got nothing/,
      },
    ]);
  });

  describe('empty interval lists', () => {
    check([
      {
        name: 'live: no intervals',
        body: liveWith((b) => (b.eiEventSignals.eiEventSignal[0].intervals = [])),
        path: L0,
        problem: /must not be empty/,
      },
      {
        name: 'live: no signals',
        body: liveWith((b) => (b.eiEventSignals.eiEventSignal = [])),
        path: '$.eiEventSignals.eiEventSignal',
        problem: /must not be empty/,
      },
      {
        name: 'live: empty streamPayloadBase',
        body: liveWith((b) => (interval(b, 0).streamPayloadBase = [])),
        path: `${L0}[0].streamPayloadBase`,
        problem: /must not be empty/,
      },
      {
        name: 'simple: no price signals',
        body: simpleWith((b) => (b.priceSignals = [])),
        path: '$.priceSignals',
        problem: /must not be empty/,
      },
    ]);
  });

  describe('prices that are not finite numbers, and the missing-price sentinel', () => {
    const P = (i: number) => `${L0}[${i}].streamPayloadBase[0].item.value`;
    check([
      {
        name: 'live: a numeric string',
        body: liveWith((b) => (price(b, 1).value = '0.12')),
        path: P(1),
        problem: /must be a number, got the string "0\.12"/,
      },
      {
        name: 'live: null',
        body: liveWith((b) => (price(b, 1).value = null)),
        path: P(1),
        problem: /must be a number, got null/,
      },
      {
        name: 'live: 1e999 in the JSON text (Infinity)',
        body: () => liveText().replace('0.12150466', '1e999'),
        path: P(1),
        problem: /must be a finite number, got the number Infinity/,
      },
      {
        name: 'live: -1e999 in the JSON text',
        body: () => liveText().replace('0.12150466', '-1e999'),
        path: P(1),
        problem: /must be a finite number, got the number -Infinity/,
      },
      {
        name: 'live: NaN from a parsed object',
        body: liveWith((b) => (price(b, 1).value = Number.NaN)),
        path: P(1),
        problem: /must be a finite number, got the number NaN/,
      },
      {
        name: 'live: a boolean',
        body: liveWith((b) => (price(b, 1).value = true)),
        path: P(1),
        problem: /must be a number, got boolean true/,
      },
      {
        name: 'live: the -99999 sentinel',
        body: liveWith((b) => (price(b, 20).value = -99999)),
        path: P(20),
        problem: /-99999 is the "missing price" sentinel, not a price/,
      },
      {
        name: 'live: the sentinel written -99999.0',
        body: () => liveText().replace('0.12150466', '-99999.0'),
        path: P(1),
        problem: /sentinel/,
      },
      {
        name: 'simple: a numeric string',
        body: simpleWith((b) => (b.priceSignals[0].priceUSD_per_kWh = '0.12')),
        path: '$.priceSignals[0].priceUSD_per_kWh',
        problem: /must be a number, got the string/,
      },
      {
        name: 'simple: null',
        body: simpleWith((b) => (b.priceSignals[0].priceUSD_per_kWh = null)),
        path: '$.priceSignals[0].priceUSD_per_kWh',
        problem: /got null/,
      },
      {
        name: 'simple: 1e999',
        body: () =>
          JSON.stringify(simple()).replace('"priceUSD_per_kWh":0.12097', '"priceUSD_per_kWh":1e999'),
        path: '$.priceSignals[0].priceUSD_per_kWh',
        problem: /must be a finite number, got the number Infinity/,
      },
      {
        name: 'simple: the -99999 sentinel',
        body: simpleWith((b) => (b.priceSignals[12].priceUSD_per_kWh = -99999)),
        path: '$.priceSignals[12].priceUSD_per_kWh',
        problem: /sentinel/,
      },
    ]);
  });

  describe('durations: negative, zero, not a string, unknown syntax, months or years', () => {
    const D = `${L0}[3].duration.duration`;
    const live3 = (d: unknown) => liveWith((b) => (interval(b, 3).duration.duration = d));
    const simpleStep = (d: unknown) => simpleWith((b) => (b.signalMetadata.intervalDuration = d));
    check([
      {
        name: 'live: negative',
        body: live3('-PT1H'),
        path: D,
        problem: /"-PT1H" is negative; a duration must be longer than zero/,
      },
      { name: 'live: zero', body: live3('PT0S'), path: D, problem: /"PT0S" is zero/ },
      { name: 'live: zero hours', body: live3('PT0H'), path: D, problem: /is zero/ },
      {
        name: 'live: a number of seconds',
        body: live3(3600),
        path: D,
        problem: /must be a string, got the number 3600/,
      },
      { name: 'live: null', body: live3(null), path: D, problem: /must be a string, got null/ },
      {
        name: 'live: plain words',
        body: live3('1 hour'),
        path: D,
        problem: /"1 hour" is not an ISO 8601 duration/,
      },
      {
        name: 'live: an unknown designator',
        body: live3('PT1X'),
        path: D,
        problem: /not an ISO 8601 duration/,
      },
      { name: 'live: lower case', body: live3('pt1h'), path: D, problem: /not an ISO 8601 duration/ },
      { name: 'live: empty', body: live3(''), path: D, problem: /must not be empty/ },
      {
        name: 'live: months',
        body: live3('P1M'),
        path: D,
        problem: /"P1M" is in months or years, which have no fixed length/,
      },
      { name: 'live: years', body: live3('P1Y'), path: D, problem: /in months or years/ },
      {
        name: 'simple: negative step',
        body: simpleStep('-PT1H'),
        path: '$.signalMetadata.intervalDuration',
        problem: /is negative/,
      },
      {
        name: 'simple: zero step',
        body: simpleStep('PT0M'),
        path: '$.signalMetadata.intervalDuration',
        problem: /is zero/,
      },
      {
        name: 'simple: step in months',
        body: simpleStep('P1M'),
        path: '$.signalMetadata.intervalDuration',
        problem: /months or years/,
      },
      {
        name: 'simple: step as a number',
        body: simpleStep(60),
        path: '$.signalMetadata.intervalDuration',
        problem: /must be a string/,
      },
      {
        name: 'simple: window of unknown syntax',
        body: simpleWith((b) => (b.activePeriod.duration = '13h')),
        path: '$.activePeriod.duration',
        problem: /not an ISO 8601 duration/,
      },
      {
        name: 'simple: window in years',
        body: simpleWith((b) => (b.activePeriod.duration = 'P1Y')),
        path: '$.activePeriod.duration',
        problem: /months or years/,
      },
    ]);
  });

  describe('start times: without a zone, or not a date-time', () => {
    const liveStart = (s: unknown) =>
      liveWith((b) => (b.eiActivePeriod.properties.dtstart.datetime.value = s));
    const simpleStart = (s: unknown) => simpleWith((b) => (b.activePeriod.startTime = s));
    check([
      {
        name: 'live: no zone',
        body: liveStart('2026-02-19T05:00:00'),
        path: START_LIVE,
        problem: /has no time zone: it would be read as local time/,
      },
      {
        name: 'live: no zone, no seconds',
        body: liveStart('2026-02-19T05:00'),
        path: START_LIVE,
        problem: /has no time zone/,
      },
      {
        name: 'live: a date only',
        body: liveStart('2026-02-19'),
        path: START_LIVE,
        problem: /is a date, not a date-time/,
      },
      {
        name: 'live: words',
        body: liveStart('tomorrow 5am'),
        path: START_LIVE,
        problem: /not an ISO 8601 date-time/,
      },
      {
        name: 'live: a day that does not exist',
        body: liveStart('2026-02-30T05:00:00Z'),
        path: START_LIVE,
        problem: /day 30/,
      },
      {
        name: 'live: an RFC 2822 date',
        body: liveStart('Thu, 19 Feb 2026 05:00:00 GMT'),
        path: START_LIVE,
        problem: /not an ISO 8601 date-time/,
      },
      {
        name: 'simple: no zone',
        body: simpleStart('2026-02-17T19:00:00'),
        path: '$.activePeriod.startTime',
        problem: /has no time zone/,
      },
      {
        name: 'simple: empty',
        body: simpleStart(''),
        path: '$.activePeriod.startTime',
        problem: /not an ISO 8601 date-time/,
      },
      {
        name: 'simple: a number',
        body: simpleStart(20260217),
        path: '$.activePeriod.startTime',
        problem: /must be an ISO 8601 string/,
      },
    ]);
  });

  describe('interval indexes: not integers, duplicated, missing, out of order', () => {
    const text = (i: number, t: string) => (b: Json) => (interval(b, i).item.text = t);
    const T = (i: number) => `${L0}[${i}].item.text`;
    check([
      {
        name: 'live: a fraction',
        body: liveWith(text(4, '4.5')),
        path: T(4),
        problem: /must be a whole number ≥ 0 written as a string .*got the string "4\.5"/,
      },
      { name: 'live: a word', body: liveWith(text(4, 'four')), path: T(4), problem: /whole number/ },
      { name: 'live: negative', body: liveWith(text(0, '-0')), path: T(0), problem: /whole number/ },
      { name: 'live: leading zero', body: liveWith(text(4, '04')), path: T(4), problem: /whole number/ },
      { name: 'live: padded', body: liveWith(text(4, ' 4')), path: T(4), problem: /whole number/ },
      {
        name: 'live: duplicated',
        body: liveWith(text(5, '4')),
        path: T(5),
        problem:
          /index 4 is duplicated \(also at \$\.eiEventSignals\.eiEventSignal\[0\]\.intervals\[4\]\.item\.text\)/,
      },
      {
        name: 'live: out of order (two swapped)',
        body: liveWith((b) => {
          interval(b, 7).item.text = '8';
          interval(b, 8).item.text = '7';
        }),
        path: T(8),
        problem: /index 7 is out of order \(it follows index 8\)/,
      },
      {
        name: 'live: missing (a gap)',
        body: liveWith((b) =>
          liveIntervals(b).forEach((x: Json, i: number) => i >= 10 && (x.item.text = String(i + 1))),
        ),
        path: T(10),
        problem: /index 11 where 10 was expected: index 10 is missing/,
      },
      {
        name: 'live: not starting at 0',
        body: liveWith((b) =>
          liveIntervals(b).forEach((x: Json, i: number) => (x.item.text = String(i + 1))),
        ),
        path: T(0),
        problem: /index 1 where 0 was expected: index 0 is missing/,
      },
      {
        name: 'simple: a fraction',
        body: simpleWith((b) => (b.priceSignals[2].interval = 2.5)),
        path: '$.priceSignals[2].interval',
        problem: /must be a whole number ≥ 0, got 2\.5/,
      },
      {
        name: 'simple: negative',
        body: simpleWith((b) => (b.priceSignals[0].interval = -1)),
        path: '$.priceSignals[0].interval',
        problem: /whole number ≥ 0, got -1/,
      },
      {
        name: 'simple: duplicated',
        body: simpleWith((b) => (b.priceSignals[2].interval = 1)),
        path: '$.priceSignals[2].interval',
        problem: /index 1 is duplicated \(also at \$\.priceSignals\[1\]\.interval\)/,
      },
      {
        name: 'simple: out of order',
        body: simpleWith((b) => b.priceSignals.reverse()),
        path: '$.priceSignals[1].interval',
        problem: /index 11 is out of order \(it follows index 12\)/,
      },
      {
        name: 'simple: missing (one dropped, total adjusted)',
        body: simpleWith((b) => {
          b.priceSignals.splice(6, 1);
          b.activePeriod.duration = 'PT12H';
        }),
        path: '$.priceSignals[6].interval',
        problem: /index 7 where 6 was expected: index 6 is missing/,
      },
    ]);
  });

  describe('declared total durations that disagree with the intervals', () => {
    check([
      {
        name: 'simple: window longer than the intervals',
        body: simpleWith((b) => (b.activePeriod.duration = 'PT14H')),
        path: '$.activePeriod.duration',
        problem: /declares PT14H but the 13 intervals add up to PT13H/,
      },
      {
        name: 'simple: an interval dropped',
        body: simpleWith((b) => b.priceSignals.pop()),
        path: '$.activePeriod.duration',
        problem: /declares PT13H but the 12 intervals add up to PT12H/,
      },
      {
        name: 'simple: a different step',
        body: simpleWith((b) => (b.signalMetadata.intervalDuration = 'PT30M')),
        path: '$.activePeriod.duration',
        problem: /declares PT13H but the 13 intervals add up to PT6H30M/,
      },
      {
        name: 'live: a declared window that disagrees',
        body: liveWith((b) => (b.eiActivePeriod.properties.duration = { duration: 'PT23H' })),
        path: '$.eiActivePeriod.properties.duration.duration',
        problem: /declares PT23H but the 24 intervals add up to PT24H/,
      },
      {
        name: 'live: a declared window of bad syntax',
        body: liveWith((b) => (b.eiActivePeriod.properties.duration = { duration: 'a day' })),
        path: '$.eiActivePeriod.properties.duration.duration',
        problem: /not an ISO 8601 duration/,
      },
    ]);
  });

  describe('OpenADR 3 passthrough: validated against spec/openadr3-3.0.1.yaml, then for prices', () => {
    const eventWith = (change: (e: Json) => void) => () => mutate(sampleEvent, change);
    check([
      {
        name: 'no programID (schema)',
        body: eventWith((e) => delete e.programID),
        path: '$',
        problem: /not valid OpenADR 3\.0\.1: must have required property 'programID'/,
      },
      {
        name: 'interval id is a string (schema)',
        body: eventWith((e) => (e.intervals[2].id = 'two')),
        path: '$.intervals[2].id',
        problem: /not valid OpenADR 3\.0\.1: must be integer/,
      },
      {
        name: 'bad duration syntax (schema)',
        body: eventWith((e) => (e.intervalPeriod.duration = '1h')),
        path: '$.intervalPeriod.duration',
        problem: /must match pattern/,
      },
      {
        name: 'bad start (schema format)',
        body: eventWith((e) => (e.intervalPeriod.start = 'soon')),
        path: '$.intervalPeriod.start',
        problem: /must match format "date-time"/,
      },
      {
        name: 'start without a zone',
        body: eventWith((e) => (e.intervalPeriod.start = '2026-02-17T19:00:00')),
        path: '$.intervalPeriod.start',
        problem: /no time zone|must match format/,
      },
      {
        name: 'in an array, the second event',
        body: () => [sampleEvent(), mutate(sampleEvent, (e) => delete e.intervals)],
        path: '$[1]',
        problem: /must have required property 'intervals'/,
      },
      {
        name: 'no time for the intervals',
        body: eventWith((e) => delete e.intervalPeriod),
        path: '$.intervals[0]',
        problem: /has no intervalPeriod and the event has none either/,
      },
      {
        name: 'no duration',
        body: eventWith((e) => delete e.intervalPeriod.duration),
        path: '$.intervals[0]',
        problem: /has no duration/,
      },
      {
        name: 'zero duration',
        body: eventWith((e) => (e.intervalPeriod.duration = 'PT0S')),
        path: '$.intervals[0]',
        problem: /has no duration .*longer than zero/,
      },
      {
        name: 'duration in months',
        body: eventWith((e) => (e.intervalPeriod.duration = 'P1M')),
        path: '$.intervalPeriod.duration',
        problem: /years or months have no fixed length/,
      },
      {
        name: 'no PRICE payload',
        body: eventWith((e) => (e.intervals[4].payloads[0].type = 'GHG')),
        path: '$.intervals[4].payloads',
        problem: /has no PRICE payload/,
      },
      {
        name: 'no price value',
        body: eventWith((e) => (e.intervals[4].payloads[0].values = [])),
        path: '$.intervals[4].payloads[0].values',
        problem: /must not be empty/,
      },
      {
        name: 'price is a string',
        body: eventWith((e) => (e.intervals[4].payloads[0].values = ['0.1'])),
        path: '$.intervals[4].payloads[0].values[0]',
        problem: /must be a number, got the string/,
      },
      {
        name: 'price is the sentinel',
        body: eventWith((e) => (e.intervals[4].payloads[0].values = [-99999])),
        path: '$.intervals[4].payloads[0].values[0]',
        problem: /sentinel/,
      },
      {
        name: 'overlapping events',
        body: () => [
          sampleEvent(),
          mutate(sampleEvent, (e) => (e.intervalPeriod.start = '2026-02-18T07:00:00Z')),
        ],
        path: '$[1].intervals[0]',
        problem: /overlaps \$\[0\]\.intervals\[12\]/,
      },
      {
        name: 'an empty interval list',
        body: eventWith((e) => (e.intervals = [])),
        path: '$.intervals',
        problem: /must not be empty/,
      },
      {
        name: 'a non-object in an array',
        body: () => [sampleEvent(), 'x'],
        path: '$[1]',
        problem: /must be an object/,
      },
    ]);
  });
});
