import assert from 'assert';
import path from 'path';
import { helper, inLanguage, nextMessage, repoRoot, TestNode, withCatalogOf } from '../support/node-helper';

// The test-only nodes speak through the catalog of a pack node (hpwh-chart's holds the shared
// input wrapper's strings too), as the pack's own nodes do.
const guardProbe = withCatalogOf(
  'hpwh-chart',
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(repoRoot, 'test', 'fixtures', 'nodes', 'guard-probe', 'guard-probe.js')),
);

describe('nodes: the shared input wrapper under node-red-node-test-helper', () => {
  afterEach(() => helper.unload());

  it('routes an async failure to done(err): a Catch node receives it with the original message', async () => {
    const flow = [
      { id: 'subject', type: 'test-guarded-async-throw', wires: [['out']] },
      { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
      { id: 'out', type: 'helper' },
    ];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    await helper.load([guardProbe, require('@node-red/nodes/core/common/25-catch.js')], flow);
    const subject = helper.getNode('subject') as TestNode;
    const caught = helper.getNode('caught') as TestNode;
    const out = helper.getNode('out') as TestNode;
    const gotError = nextMessage<{ error: { message: string }; _msgid: string; payload: string }>(caught);
    subject.receive({ payload: 'boom' });
    const msg = await gotError;
    assert.match(msg.error.message, /failed on purpose/);
    assert.strictEqual(msg.payload, 'boom', 'the Catch node sees the original message');

    const passed = nextMessage<{ payload: string }>(out);
    subject.receive({ payload: 'fine' });
    assert.strictEqual((await passed).payload, 'fine', 'the node keeps handling messages after a failure');
  });
});

describe('nodes: the input wrapper when a connection closes under a message', () => {
  afterEach(() => helper.unload());

  it('drops the message with one warning: no error, no Catch, no red status, done() called', async () => {
    const flow = [
      { id: 'subject', type: 'test-guarded-closed', wires: [['out']] },
      { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
      { id: 'caught', type: 'helper' },
      { id: 'done', type: 'complete', scope: ['subject'], wires: [['completed']] },
      { id: 'completed', type: 'helper' },
      { id: 'out', type: 'helper' },
    ];
    await helper.load(
      [
        guardProbe,
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@node-red/nodes/core/common/25-catch.js'),
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('@node-red/nodes/core/common/24-complete.js'),
      ],
      flow,
    );
    const subject = helper.getNode('subject') as TestNode;
    let caught = 0;
    helper.getNode('caught').on('input', () => caught++);
    const statuses: Array<{ fill?: string }> = [];
    subject.on('call:status', (call: { args: Array<{ fill?: string }> }) => statuses.push(call.args[0]));
    const completed = nextMessage<{ _msgid: string }>(helper.getNode('completed') as TestNode);
    subject.receive({ payload: 'in flight', _msgid: 'm-1' });
    assert.strictEqual((await completed)._msgid, 'm-1', 'the message ended (done() without an error)');
    await new Promise((r) => setTimeout(r, 50));
    assert.strictEqual(caught, 0, 'no Catch node saw an error');
    assert.ok(!statuses.some((s) => s.fill === 'red'), 'no red status');
    const spied = (f: unknown) => f as { args: unknown[][]; callCount: number };
    const warnings = spied(subject.warn).args.map((a) => String(a[0]));
    assert.strictEqual(warnings.length, 1);
    assert.match(
      warnings[0],
      /message m-1 was dropped: its connection closed .*the connection to the VTN was closed/,
    );
    assert.strictEqual(spied(subject.error).callCount, 0);
  });
});

describe('nodes: the input wrapper with messages Node-RED cannot copy', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hostile = require(path.join(repoRoot, 'test', 'fixtures', 'nodes', 'fuzz', 'lib', 'hostile.js'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const catchNode = require('@node-red/nodes/core/common/25-catch.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const completeNode = require('@node-red/nodes/core/common/24-complete.js');

  afterEach(() => helper.unload());

  const uncopyable: Array<[string, () => Record<string, unknown>]> = [
    ['a payload nested 10,000 levels', () => ({ payload: hostile.deep(10000), topic: 'prices', fail: true })],
    [
      'a payload of arrays nested 10,000 levels',
      () => ({ payload: hostile.deep(10000, true), topic: 'prices', fail: true }),
    ],
    [
      'a payload whose getter throws',
      () => ({ payload: hostile.throwingGetter('intervals'), topic: 'prices', fail: true }),
    ],
    [
      'a message property whose getter throws',
      () => Object.assign(hostile.throwingGetter('extra', { payload: 1, topic: 'prices' }), { fail: true }),
    ],
  ];

  for (const type of ['test-guarded-async-throw', 'test-guarded-serial']) {
    for (const [what, make] of uncopyable) {
      it(`${type}: an async failure on ${what} reaches the Catch node with a safe copy; the node keeps working`, async () => {
        const flow = [
          { id: 'subject', type, wires: [['out']] },
          { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
          { id: 'caught', type: 'helper' },
          { id: 'out', type: 'helper' },
        ];
        await helper.load([guardProbe, catchNode], flow);
        const subject = helper.getNode('subject') as TestNode;
        const caught = helper.getNode('caught') as TestNode;
        const out = helper.getNode('out') as TestNode;
        const gotError = nextMessage<{
          error: { message: string };
          _msgid: string;
          topic: string;
          copyError: string;
        }>(caught);
        const msg = make();
        msg._msgid = 'hostile-1';
        subject.receive(msg);
        const report = await gotError;
        assert.match(report.error.message, /failed on purpose/);
        assert.strictEqual(report._msgid, 'hostile-1');
        assert.strictEqual(report.topic, 'prices');
        assert.match(
          report.copyError,
          /^the message could not be copied for the Catch node \(.+\); msg\.payload and its other properties are left out$/,
        );

        const passed = nextMessage<{ payload: string }>(out);
        subject.receive({ payload: 'fine' });
        assert.strictEqual((await passed).payload, 'fine', 'the node keeps handling messages');
      });
    }
  }

  it('in German: the note for the Catch node and the Complete warning come from the German catalog', async () => {
    await inLanguage('de', async () => {
      const flow = [
        { id: 'subject', type: 'test-guarded-async-throw', wires: [['out']] },
        { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
        { id: 'completer', type: 'complete', scope: ['subject'], wires: [[]] },
        { id: 'caught', type: 'helper' },
        { id: 'out', type: 'helper' },
      ];
      await helper.load([guardProbe, catchNode, completeNode], flow);
      const subject = helper.getNode('subject') as TestNode;
      const caught = helper.getNode('caught') as TestNode;
      const warnings: string[] = [];
      subject.on('call:warn', (call: { args: [string] }) => warnings.push(String(call.args[0])));

      const gotError = nextMessage<{ copyError: string }>(caught);
      subject.receive({ payload: hostile.deep(10000), fail: true, _msgid: 'tief-1' });
      assert.strictEqual(
        (await gotError).copyError,
        'die Nachricht konnte für den Catch-Node nicht kopiert werden (sie ist mehr als 500 Ebenen tief ' +
          'verschachtelt); msg.payload und ihre übrigen Eigenschaften fehlen',
      );

      subject.receive({ payload: hostile.deep(10000), _msgid: 'tief-ok' });
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(
        warnings.some((w) =>
          w.startsWith('Nachricht tief-ok wurde verarbeitet, aber ein Complete-Node konnte keine Kopie'),
        ),
        warnings.join(' | '),
      );
    });
  });

  it('a handled message a Complete node cannot copy is logged, not thrown; the next one completes', async () => {
    const flow = [
      { id: 'subject', type: 'test-guarded-async-throw', wires: [['out']] },
      { id: 'completer', type: 'complete', scope: ['subject'], wires: [['completed']] },
      { id: 'completed', type: 'helper' },
      { id: 'out', type: 'helper' },
    ];
    await helper.load([guardProbe, completeNode], flow);
    const subject = helper.getNode('subject') as TestNode;
    const completed = helper.getNode('completed') as TestNode;
    const warnings: string[] = [];
    subject.on('call:warn', (call: { args: [string] }) => warnings.push(String(call.args[0])));
    subject.receive({ payload: hostile.deep(10000), _msgid: 'deep-ok' });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(
      warnings.some((w) =>
        w.startsWith('message deep-ok was handled, but a Complete node could not get a copy of it: '),
      ),
      `a warning names the message: ${warnings.join(' | ')}`,
    );
    const done = nextMessage<{ _msgid: string }>(completed);
    subject.receive({ payload: 'fine', _msgid: 'fine-1' });
    assert.strictEqual((await done)._msgid, 'fine-1');
  });
});
