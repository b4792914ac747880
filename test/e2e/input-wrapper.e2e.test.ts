import assert from 'assert';
import path from 'path';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { probeNodes, recordInGlobal } from '../support/probe-flow';

const fixtureNodes = path.join(repoRoot, 'test', 'fixtures', 'nodes');

interface Probe {
  caught: Array<{ message: string; source: string }>;
  statuses: Array<{ fill?: string; text?: string }>;
  passed: unknown[];
}

/** inject → node under test, with Catch and Status nodes recording into global context, read over HTTP. */
function probeFlow(nodeType: string): unknown[] {
  const tab = 'tab1';
  return [
    { id: tab, type: 'tab', label: 'wrapper probe' },
    {
      id: 'inject-boom',
      z: tab,
      type: 'inject',
      payload: 'boom',
      payloadType: 'str',
      wires: [['n-subject']],
    },
    {
      id: 'inject-fine',
      z: tab,
      type: 'inject',
      payload: 'fine',
      payloadType: 'str',
      wires: [['n-subject']],
    },
    { id: 'n-subject', z: tab, type: nodeType, name: 'subject', wires: [['n-passed']] },
    {
      id: 'n-passed',
      z: tab,
      type: 'function',
      func: recordInGlobal('passed', 'msg.payload'),
      outputs: 1,
      wires: [[]],
    },
    ...probeNodes(tab, {
      statusScope: ['n-subject'],
      caughtValue: '{ message: msg.error.message, source: msg.error.source.id }',
      keys: ['caught', 'statuses', 'passed'],
    }),
  ];
}

describe('e2e: the shared input wrapper in a real Node-RED process', function () {
  this.timeout(60000);
  let red: NodeRedInstance | undefined;

  afterEach(async () => {
    await red?.stop();
    red = undefined;
  });

  const readProbe = async (): Promise<Probe> => (await (await red!.get('/probe')).json()) as Probe;

  it('an async handler that throws leaves Node-RED running, shows a red status and reaches a Catch node', async () => {
    red = await startNodeRed({ nodesDir: [fixtureNodes] });
    await red.deploy(probeFlow('test-guarded-async-throw'));
    await red.inject('inject-boom');
    const probe = await waitFor(
      async () => {
        const p = await readProbe();
        return p.caught.length && p.statuses.length ? p : undefined;
      },
      10000,
      'the error to reach the Catch node',
    );
    assert.strictEqual(probe.caught.length, 1);
    assert.match(probe.caught[0].message, /async handler failed on purpose/);
    assert.strictEqual(probe.caught[0].source, 'n-subject');
    assert.strictEqual(probe.statuses.at(-1)?.fill, 'red');
    assert.match(probe.statuses.at(-1)?.text ?? '', /failed on purpose/);
    assert.strictEqual(red.exited(), false);

    // The node keeps working after the failure.
    await red.inject('inject-fine');
    const after = await waitFor(
      async () => {
        const p = await readProbe();
        return p.passed.length ? p : undefined;
      },
      10000,
      'the next message to pass',
    );
    assert.deepStrictEqual(after.passed, ['fine']);
    assert.strictEqual(after.statuses.at(-1)?.fill, 'green');
    assert.doesNotMatch(red.log(), /Unhandled|uncaughtException/i);
  });

  it('control: without the wrapper the same failure terminates Node-RED (why the wrapper exists)', async () => {
    red = await startNodeRed({ nodesDir: [fixtureNodes] });
    await red.deploy(probeFlow('test-unguarded-async-throw'));
    await red.inject('inject-boom');
    await waitFor(() => red!.exited(), 10000, 'Node-RED to exit');
    assert.match(red.log(), /unguarded async handler failed/);
  });
});
