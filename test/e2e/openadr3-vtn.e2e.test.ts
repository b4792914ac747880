import assert from 'assert';
import { freePort } from '../support/ports';
import { type NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';

function vtnFlow(vtnPort: number, storePath: string): unknown[] {
  const tab = 'tab-vtn';
  return [
    { id: tab, type: 'tab', label: 'vtn e2e' },
    {
      id: 'inject-program',
      z: tab,
      type: 'inject',
      topic: 'program',
      payload: '{"programName":"e2e-program"}',
      payloadType: 'json',
      wires: [['fn-upsert']],
    },
    {
      id: 'fn-upsert',
      z: tab,
      type: 'function',
      func: "msg.operation = 'upsert'; return msg;",
      outputs: 1,
      wires: [['vtn-node']],
    },
    {
      id: 'vtn-node',
      z: tab,
      type: 'openadr3-vtn',
      port: vtnPort,
      host: '127.0.0.1',
      basePath: '/openadr3/3.0.1',
      storeType: 'file',
      storePath,
      callbacksLoopback: true,
      wires: [['fn-record']],
    },
    {
      id: 'fn-record',
      z: tab,
      type: 'function',
      func: "const l = global.get('out') || []; l.push({ topic: msg.topic, operation: msg.operation, payload: msg.payload }); global.set('out', l); return null;",
      outputs: 1,
      wires: [[]],
    },
    { id: 'http-probe', z: tab, type: 'http in', url: '/probe', method: 'get', wires: [['fn-read']] },
    {
      id: 'fn-read',
      z: tab,
      type: 'function',
      func: "msg.payload = global.get('out') || []; return msg;",
      outputs: 1,
      wires: [['http-resp']],
    },
    { id: 'http-resp', z: tab, type: 'http response', wires: [] },
  ];
}

describe('e2e: openadr3-vtn in a real Node-RED', function () {
  this.timeout(90000);
  let red: NodeRedInstance | undefined;
  after(async () => red?.stop());

  it('publishes from the flow, serves a VEN over HTTP, outputs its report, and survives a redeploy', async () => {
    const vtnPort = await freePort();
    red = await startNodeRed();
    const storePath = `${red.userDir}/vtn-e2e.db`;
    const base = `http://127.0.0.1:${vtnPort}/openadr3/3.0.1`;
    await red.deploy(vtnFlow(vtnPort, storePath));
    const probe = async (): Promise<
      Array<{ topic: string; operation: string; payload: Record<string, unknown> }>
    > =>
      (await (await red!.get('/probe')).json()) as Array<{
        topic: string;
        operation: string;
        payload: Record<string, unknown>;
      }>;

    await waitFor(async () => (await fetch(`${base}/programs`)).status === 401, 20000, 'the VTN to listen');
    await red.inject('inject-program');
    const [answer] = await waitFor(
      async () => {
        const p = await probe();
        return p.length ? p : undefined;
      },
      10000,
      'the program answer',
    );
    assert.strictEqual(answer.topic, 'PROGRAM');
    const programID = String(answer.payload.id);

    const tok = async (id: string, secret: string): Promise<string> => {
      const r = await fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${id}&client_secret=${secret}`,
      });
      return ((await r.json()) as { access_token: string }).access_token;
    };
    const bl = await tok('bl_client', '1001');
    const ev = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bl}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        programID,
        eventName: 'e2e',
        intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.2] }] }],
      }),
    });
    const eventID = ((await ev.json()) as { id: string }).id;
    const ven = await tok('ven_client', '999');
    const rep = await fetch(`${base}/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ven}`, 'content-type': 'application/json' },
      body: JSON.stringify({ programID, eventID, clientName: 'ven', resources: [] }),
    });
    assert.strictEqual(rep.status, 201);
    const out = await waitFor(
      async () => {
        const p = await probe();
        return p.some((m) => m.topic === 'REPORT') ? p : undefined;
      },
      10000,
      'the report on the output',
    );
    assert.deepStrictEqual(
      out.map((m) => `${m.topic}:${m.operation}`),
      ['PROGRAM:create', 'EVENT:create', 'REPORT:create'],
    );

    // A full redeploy closes the node: the port must be free for the new instance, data kept.
    const flows = vtnFlow(vtnPort, storePath);
    (flows[3] as { name: string }).name = 'renamed';
    await red.deploy(flows);
    await waitFor(
      async () => {
        const r = await fetch(`${base}/programs/${programID}`, {
          headers: { authorization: `Bearer ${bl}` },
        });
        return r.status === 200;
      },
      20000,
      'the redeployed VTN to serve the stored program',
    );
    assert.strictEqual(red.exited(), false);
    assert.doesNotMatch(red.log(), /EADDRINUSE|Unhandled/);
  });
});

describe('e2e: examples/openadr3-vtn.json', function () {
  this.timeout(90000);
  let red: NodeRedInstance | undefined;
  after(async () => red?.stop());

  it('deploys as shipped (port changed to a free one) and publishes the demo program and its price event', async () => {
    const fs = await import('fs');
    const path = await import('path');
    const example = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'examples', 'openadr3-vtn.json'), 'utf8'),
    ) as Array<Record<string, unknown>>;
    const vtnPort = await freePort();
    for (const n of example)
      if (n.type === 'openadr3-vtn') Object.assign(n, { port: vtnPort, storeType: 'memory' });
    red = await startNodeRed();
    await red.deploy(example);
    const base = `http://127.0.0.1:${vtnPort}/openadr3/3.0.1`;
    await waitFor(async () => (await fetch(`${base}/programs`)).status === 401, 20000, 'the VTN to listen');
    const inject = example.find((n) => n.type === 'inject')!;
    await red.inject(String(inject.id));
    const r = await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=ven_client&client_secret=999',
    });
    const token = ((await r.json()) as { access_token: string }).access_token;
    const events = await waitFor(
      async () => {
        const list = (await (
          await fetch(`${base}/events`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as Array<{ eventName: string; intervals: unknown[] }>;
        return list.length ? list : undefined;
      },
      10000,
      'the price event',
    );
    assert.strictEqual(events[0].eventName, 'demo-prices');
    assert.strictEqual(events[0].intervals.length, 12);
  });
});
