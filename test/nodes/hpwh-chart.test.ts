import assert from 'assert';
import { builtNode, helper, nextMessage, recordStatuses, TestNode } from '../support/node-helper';
import { sampleSchedule } from '../support/sample-schedule';

const chartNode = builtNode('hpwh-chart');

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

describe('nodes: hpwh-chart', () => {
  afterEach(() => helper.unload());

  const flow = (extra: Record<string, unknown> = {}) => [
    { id: 'n-chart', type: 'hpwh-chart', name: 'chart', wires: [['out']], ...extra },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];

  it('turns a schedule into an SVG ready for an http response node, with a green status', async () => {
    await helper.load([chartNode, catchNode], flow({ maxStorage: '12', minStorage: '1' }));
    const chart = helper.getNode('n-chart') as TestNode;
    const statuses = recordStatuses(chart);
    const got = nextMessage<{ payload: string; headers: Record<string, string> }>(
      helper.getNode('out') as TestNode,
    );
    chart.receive({ payload: sampleSchedule(24) });
    const msg = await got;
    assert.match(msg.payload, /^<svg /);
    assert.strictEqual(msg.headers['content-type'], 'image/svg+xml');
    assert.match(msg.payload, /class="limit tank-max"/);
    assert.strictEqual(statuses.at(-1)?.fill, 'green');
    assert.match(statuses.at(-1)?.text ?? '', /24 intervals/);
  });

  it('takes tank limits from msg.params when the node does not set them', async () => {
    await helper.load([chartNode, catchNode], flow());
    const got = nextMessage<{ payload: string }>(helper.getNode('out') as TestNode);
    (helper.getNode('n-chart') as TestNode).receive({
      payload: sampleSchedule(6),
      params: { minStorage: 1 },
    });
    const svg = (await got).payload;
    assert.match(svg, /tank-min/);
    assert.doesNotMatch(svg, /tank-max/);
  });

  it('reports a malformed schedule to a Catch node with a red status and keeps working', async () => {
    await helper.load([chartNode, catchNode], flow());
    const chart = helper.getNode('n-chart') as TestNode;
    const statuses = recordStatuses(chart);
    const caught = nextMessage<{ error: { message: string } }>(helper.getNode('caught') as TestNode);
    chart.receive({ payload: { intervals: 'nope' } });
    assert.match((await caught).error.message, /schedule\.intervals must be an array/);
    assert.strictEqual(statuses.at(-1)?.fill, 'red');
    const ok = nextMessage<{ payload: string }>(helper.getNode('out') as TestNode);
    chart.receive({ payload: sampleSchedule(3) });
    assert.match((await ok).payload, /<svg/);
  });
});
