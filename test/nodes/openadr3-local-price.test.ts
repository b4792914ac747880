/**
 * openadr3-local-price in Node-RED: retail timeline + emissions (beside it or as its own message)
 * → the local price event and program; status; bad input is a catchable error, never a crash.
 */
import assert from 'assert';
import { builtNode, helper, nextMessage, recordStatuses } from '../support/node-helper';

const localPriceNode = builtNode('openadr3-local-price');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
type Msg = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const hour = 3600_000;
// The series start a minute before each test (not at the top of the hour, which the suite may
// cross between loading this file and running a test), so "now" is always in the first slot.
let base = Date.now();
const at = (h: number): string => new Date(base + h * hour).toISOString();
let retail: Msg[] = [];
let emissions: Msg[] = [];
const freshSeries = (): void => {
  base = Date.now() - 60_000;
  retail = [
    { start: at(0), end: at(1), price: 0.2, currency: 'USD', units: 'KWH' },
    { start: at(1), end: at(2), price: 0.3, currency: 'USD', units: 'KWH' },
  ];
  emissions = [
    { start: at(0), duration: 'PT1H', value: 400 },
    { start: at(1), duration: 'PT1H', value: 100 },
  ];
};

describe('nodes: openadr3-local-price', function () {
  this.timeout(10000);
  beforeEach(freshSeries);
  afterEach(() => helper.unload());

  const flow = (extra: Record<string, unknown> = {}) => [
    { id: 'lp', type: 'openadr3-local-price', dollarsPerTon: '50', wires: [['out']], ...extra },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  it('republishes the retail price plus the emissions burden as a local price event and program', async () => {
    await helper.load([localPriceNode, catchNode], flow());
    const lp = helper.getNode('lp');
    const statuses = recordStatuses(lp);
    const out = nextMessage<Msg>(helper.getNode('out'));
    lp.receive({ payload: retail, emissions, program: { programName: 'eTOU-Dyn', retailerName: 'Utility' } });
    const msg = await out;
    assert.strictEqual(msg.topic, 'local-price');
    assert.strictEqual(msg.payload.eventName, 'local-price');
    assert.deepStrictEqual(
      msg.payload.intervals.map((i: Msg) => i.payloads.map((p: Msg) => [p.type, p.values[0]])),
      [
        [
          ['PRICE', 0.22],
          ['GHG', 400],
        ],
        [
          ['PRICE', 0.305],
          ['GHG', 100],
        ],
      ],
    );
    assert.strictEqual(msg.program.localPrice, true);
    assert.strictEqual(msg.program.programName, 'local-price');
    assert.strictEqual(msg.program.programLongName, 'Local price from eTOU-Dyn');
    assert.strictEqual(msg.program.retailerName, 'Utility');
    assert.match(statuses.at(-1)?.text ?? '', /^now 0\.22 USD\/KWH \(retail 0\.2 \+ 0\.02\) · 2 slots$/);
    assert.strictEqual(statuses.at(-1)?.fill, 'green');
  });

  it('takes emissions as their own message, waits for a price, and follows a new price per ton', async () => {
    await helper.load([localPriceNode, catchNode], flow({ dollarsPerTon: '' }));
    const lp = helper.getNode('lp');
    const statuses = recordStatuses(lp);
    lp.receive({ topic: 'emissions', payload: emissions });
    await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(statuses.at(-1)?.text, 'waiting for the retail price');
    let out = nextMessage<Msg>(helper.getNode('out'));
    lp.receive({ payload: retail });
    assert.deepStrictEqual(
      (await out).slots.map((s: Msg) => s.price),
      [0.2, 0.3],
      'no price per ton: the retail price, marked local',
    );
    out = nextMessage<Msg>(helper.getNode('out'));
    lp.receive({ dollarsPerTon: 100 });
    assert.deepStrictEqual(
      (await out).slots.map((s: Msg) => s.price),
      [0.24, 0.31],
    );
  });

  it('reports bad input to a Catch node and keeps running', async () => {
    await helper.load([localPriceNode, catchNode], flow());
    const lp = helper.getNode('lp');
    let caught = nextMessage<Msg>(helper.getNode('caught'));
    lp.receive({ payload: { not: 'a timeline' } });
    assert.match((await caught).error.message, /price timeline of openadr3-ven/);
    caught = nextMessage<Msg>(helper.getNode('caught'));
    lp.receive({ payload: retail, emissions: [{ start: 'yesterday', value: 1 }] });
    assert.match((await caught).error.message, /emissions\[0\]\.start/);
    const out = nextMessage<Msg>(helper.getNode('out'));
    lp.receive({ payload: retail, emissions });
    assert.strictEqual((await out).slots.length, 2);
  });

  it('refuses a series longer than the schedule limit before keeping it', async () => {
    await helper.load([localPriceNode, catchNode], flow());
    const lp = helper.getNode('lp');
    const caught = nextMessage<Msg>(helper.getNode('caught'));
    const huge = Array.from({ length: 10_001 }, (_, i) => ({ start: at(i), duration: 'PT1H', value: 1 }));
    lp.receive({ topic: 'emissions', payload: huge });
    assert.match((await caught).error.message, /at most 10000 are accepted .*maxScheduleIntervals/);
    const out = nextMessage<Msg>(helper.getNode('out'));
    lp.receive({ payload: retail, emissions });
    assert.strictEqual((await out).slots.length, 2, 'the next messages are computed as usual');
  });

  it('shows a bad price per ton in red at deploy', async () => {
    await helper.load([localPriceNode, catchNode], flow({ dollarsPerTon: '-3' }));
    const lp = helper.getNode('lp');
    const first = (lp.status as unknown as { args: Array<[{ fill?: string; text?: string }]> }).args[0]?.[0];
    assert.strictEqual(first?.fill, 'red');
    assert.match(first?.text ?? '', /price per ton must be a number ≥ 0/);
    const caught = nextMessage<Msg>(helper.getNode('caught'));
    lp.receive({ payload: retail });
    assert.match((await caught).error.message, /price per ton must be a number ≥ 0/);
  });
});
