import assert from 'assert';
import path from 'path';
import { helper, nextMessage, repoRoot, TestNode } from '../support/node-helper';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const guardProbe = require(path.join(repoRoot, 'test', 'fixtures', 'nodes', 'guard-probe', 'guard-probe.js'));

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
