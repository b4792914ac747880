import assert from 'assert';
import { NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';
import { sampleSchedule } from '../support/sample-schedule';

describe('e2e: hpwh-chart serves the latest schedule picture from a real Node-RED', function () {
  this.timeout(60000);
  let red: NodeRedInstance;
  before(async () => {
    red = await startNodeRed();
  });
  after(() => red?.stop());

  it('shows a waiting page, then the picture, and drops the route when the node is removed', async () => {
    const tab = { id: 'tab-chart', type: 'tab', label: 'chart' };
    const flow = [
      tab,
      {
        id: 'inject-schedule',
        z: tab.id,
        type: 'inject',
        props: [{ p: 'payload' }],
        payload: JSON.stringify(sampleSchedule(24)),
        payloadType: 'json',
        wires: [['node-chart']],
      },
      {
        id: 'node-chart',
        z: tab.id,
        type: 'hpwh-chart',
        path: '/hpwh/e2e-chart',
        maxStorage: '12',
        wires: [[]],
      },
    ];
    await red.deploy(flow);
    const waiting = await red.get('/hpwh/e2e-chart');
    assert.strictEqual(waiting.status, 200);
    assert.match(await waiting.text(), /No schedule yet/);

    await red.inject('inject-schedule');
    const svg = await waitFor(
      async () => {
        const res = await red.get('/hpwh/e2e-chart.svg');
        return res.status === 200 ? res : undefined;
      },
      10000,
      'the SVG to be served',
    );
    assert.match(String(svg.headers.get('content-type')), /image\/svg\+xml/);
    assert.strictEqual((await svg.text()).match(/class="signal signal-/g)?.length, 24);

    await red.deploy([tab]);
    assert.strictEqual((await red.get('/hpwh/e2e-chart')).status, 404, 'the route goes with the node');
    assert.strictEqual(red.exited(), false);
  });
});
