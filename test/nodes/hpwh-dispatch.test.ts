/**
 * hpwh-dispatch in a real Node-RED runtime (node-red-node-test-helper), on the real clock with
 * schedules a second or two long: boundaries, a redeploy in the middle of a schedule,
 * the SG-Ready lock limits, the Home Assistant shape, and bad input.
 */
import assert from 'assert';
import { builtNode, helper, nextMessage, recordStatuses, TestNode } from '../support/node-helper';

const dispatchNode = builtNode('hpwh-dispatch');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number) => new Date(ms).toISOString();

interface Out {
  topic: string;
  payload: Record<string, unknown>;
  command: string;
  until: string | null;
  trigger: string;
}

// A fresh node id per test: the node remembers its plan per id across redeploys.
let testNumber = 0;
const did = (): string => `dispatch${testNumber}`;

function flow(extra: Record<string, unknown> = {}) {
  // One named tab: a node's context belongs to its id and its flow, so a redeploy keeps it.
  return [
    { id: 'tab', type: 'tab', label: 'dispatch' },
    { id: did(), type: 'hpwh-dispatch', z: 'tab', configVersion: 1, wires: [['out']], ...extra },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}

function collect(node: TestNode): Out[] {
  const seen: Out[] = [];
  node.on('input', (msg: Out) => seen.push(msg));
  return seen;
}

async function waitFor(cond: () => boolean, ms: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(20);
  }
}

/** The longest gap between ticks of a 10 ms interval while `run` runs: how long this process stalled. */
async function withStallWatch<T>(run: (stall: () => number) => Promise<T>): Promise<T> {
  let last = Date.now();
  let longest = 0;
  const tick = setInterval(() => {
    longest = Math.max(longest, Date.now() - last);
    last = Date.now();
  }, 10);
  try {
    return await run(() => longest);
  } finally {
    clearInterval(tick);
  }
}

describe('nodes: hpwh-dispatch', function () {
  // These tests follow blocks of a second or two on real timers. On CI the node-layer process has
  // stalled for longer than a block (while the second runtime compiles native modules beside it);
  // a boundary then fires after the next one and the node rightly sends only the command due now.
  // Such a run is tried again; a node that gets a boundary wrong fails every try.
  this.retries(2);
  beforeEach(() => testNumber++);
  afterEach(() => helper.unload());

  it('sends the command due at once and at every boundary, with the status saying until when', async () => {
    await helper.load([dispatchNode], flow());
    const node = helper.getNode(did());
    const statuses = recordStatuses(node);
    const seen = collect(helper.getNode('out'));
    const t0 = Date.now();
    await withStallWatch(async (stall) => {
      node.receive({
        payload: {
          intervals: [
            { start: iso(t0 - 60_000), end: iso(t0 + 1000), signal: 1 },
            { start: iso(t0 + 1000), end: iso(t0 + 2000), signal: -1 },
          ],
        },
      });
      const seenSoFar = () =>
        `${JSON.stringify(seen.map((m) => [m.trigger, m.command]))}, longest stall ${stall()} ms`;
      await waitFor(
        () => seen.length >= 3,
        6000,
        () => `three messages (seen ${seenSoFar()})`,
      );
      assert.deepStrictEqual(
        seen.map((m) => [m.trigger, m.command, m.topic]),
        [
          ['schedule', 'loadup', 'command'],
          ['boundary', 'shed', 'command'],
          ['boundary', 'normal', 'command'],
        ],
        seenSoFar(),
      );
    });
    assert.deepStrictEqual(seen[0].payload, { command: 'loadup', signal: 1, durationSeconds: 1 });
    assert.strictEqual(seen[1].until, iso(t0 + 2000));
    assert.strictEqual(seen[2].until, null);
    assert.ok(
      statuses.some((s) => s.fill === 'green' && /^Load Up until \d\d:\d\d$/.test(String(s.text))),
      JSON.stringify(statuses),
    );
    assert.deepStrictEqual(statuses[statuses.length - 1], { fill: 'green', shape: 'dot', text: 'Normal' });
  });

  it('after a redeploy in the middle of a schedule sends the command due now, never a past one', async () => {
    const t0 = Date.now();
    await helper.load([dispatchNode], flow());
    helper.getNode(did()).receive({
      payload: {
        intervals: [
          { start: iso(t0 - 600_000), end: iso(t0 - 300_000), signal: 1 },
          { start: iso(t0 - 300_000), end: iso(t0 + 3000), signal: -1 },
          { start: iso(t0 + 3000), end: iso(t0 + 600_000), signal: 0 },
        ],
      },
    });
    await sleep(100);
    // Redeploy the changed node only: the new instance reads the remembered plan from its context.
    const redeployed = flow({ name: 'redeployed' });
    await (helper as unknown as { setFlows(f: unknown[], type: string): Promise<void> }).setFlows(
      redeployed,
      'nodes',
    );
    const seen = collect(helper.getNode('out'));
    await waitFor(() => seen.length >= 1, 2000, 'the restart message');
    assert.deepStrictEqual([seen[0].trigger, seen[0].command], ['restart', 'shed']);
    await waitFor(() => seen.length >= 2, 5000, 'the next boundary');
    assert.deepStrictEqual([seen[1].trigger, seen[1].command], ['boundary', 'normal']);
    assert.ok(!seen.some((m) => m.command === 'loadup'), 'the past load up is never sent');
  });

  it('SG-Ready: relays per state and the lock limit enforced, with a warning', async () => {
    await helper.load(
      [dispatchNode],
      flow({ shape: 'sg-ready', topic: 'heatpump/sg', maxLockMinutes: 0.01, minReleaseMinutes: 0.02 }),
    );
    const node = helper.getNode(did());
    const warnings: string[] = [];
    node.on('call:warn', (call: { args: [string] }) => warnings.push(call.args[0]));
    const seen = collect(helper.getNode('out'));
    const t0 = Date.now();
    node.receive({ payload: { intervals: [{ start: iso(t0 - 1000), end: iso(t0 + 5000), signal: -1 }] } });
    await waitFor(() => seen.length >= 3, 4000, 'lock, release, lock');
    const states = seen.map((m) => [
      m.trigger,
      m.payload.state,
      m.payload.relay1,
      m.payload.relay2,
      m.payload.limited,
    ]);
    assert.deepStrictEqual(states.slice(0, 3), [
      ['schedule', 1, true, false, undefined],
      ['limit', 2, false, false, 'max-lock'],
      ['limit', 1, true, false, undefined],
    ]);
    assert.strictEqual(seen[0].topic, 'heatpump/sg');
    assert.match(warnings[0], /SG-Ready: the plan asks for a longer lock than allowed/);
  });

  it('set-point: the Home Assistant water_heater action per command', async () => {
    await helper.load(
      [dispatchNode],
      flow({
        shape: 'setpoint',
        entityId: 'water_heater.tank',
        unit: 'C',
        tempShed: 45,
        tempNormal: 50,
        tempLoadup: 60,
        tempAdvancedLoadup: 65,
        modeLoadup: 'high_demand',
        modeShed: 'eco',
      }),
    );
    const out = helper.getNode('out');
    const first = nextMessage<Out>(out);
    helper.getNode(did()).receive({ payload: { command: 'loadup', durationSeconds: 600 } });
    const msg = await first;
    assert.strictEqual(msg.topic, 'water_heater.set_temperature');
    assert.deepStrictEqual(msg.payload, {
      action: 'water_heater.set_temperature',
      target: { entity_id: 'water_heater.tank' },
      data: { temperature: 60, operation_mode: 'high_demand' },
    });
  });

  it('bad input is an error naming the field; the node goes on; a bad setting says which', async () => {
    await helper.load([dispatchNode, catchNode], flow());
    const node = helper.getNode(did());
    const caught = helper.getNode('caught');
    const statuses = recordStatuses(node);
    let err = nextMessage<{ error: { message: string } }>(caught);
    node.receive({ payload: 42 });
    assert.match((await err).error.message, /msg\.payload must be a schedule/);
    err = nextMessage<{ error: { message: string } }>(caught);
    const t0 = Date.now();
    node.receive({
      payload: {
        intervals: [
          { start: iso(t0), end: iso(t0 + 60_000), signal: 0 },
          { start: iso(t0 + 30_000), end: iso(t0 + 90_000), signal: 1 },
        ],
      },
    });
    assert.match((await err).error.message, /schedule\.intervals\[1\]\.start: overlaps/);
    assert.strictEqual(statuses[statuses.length - 1].fill, 'red');
    const ok = nextMessage<Out>(helper.getNode('out'));
    node.receive({ payload: 'shed' });
    assert.strictEqual((await ok).command, 'shed');
    assert.strictEqual(statuses[statuses.length - 1].fill, 'green');
    await helper.unload();

    await helper.load([dispatchNode, catchNode], flow({ shape: 'setpoint', entityId: 'light.kitchen' }));
    const bad = helper.getNode(did());
    const badStatuses = recordStatuses(bad);
    const e2 = nextMessage<{ error: { message: string } }>(helper.getNode('caught'));
    bad.receive({ payload: 'shed' });
    assert.match((await e2).error.message, /entityId: must be a water_heater entity id/);
    assert.ok(badStatuses.length === 0 || badStatuses[badStatuses.length - 1].fill === 'red');
  });
});
