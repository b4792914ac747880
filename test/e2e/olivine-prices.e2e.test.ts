/**
 * olivine-prices in a real Node-RED process, loaded as an installed module: an inject fetches
 * from a local fixture server; a second node whose server is down falls back to the sample.
 * Results are recorded into global context by function nodes and read back over HTTP.
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { freePort } from '../support/ports';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { PriceServer, startPriceServer } from '../support/price-server';

interface Recorded {
  outputs: Array<{
    source: string;
    eventName: string;
    intervals: number;
    priceSource: string;
    first: { start: string; price: number };
  }>;
  statuses: Array<{ source: string; fill?: string; text?: string }>;
  payloads: Record<string, unknown>;
}

function flow(liveUrl: string, downUrl: string): unknown[] {
  const tab = 'tab-olivine';
  const record = `
    const list = global.get('outputs') || [];
    list.push({ source: msg.topic, eventName: msg.payload.eventName, intervals: msg.payload.intervals.length,
                priceSource: msg.priceSource, first: msg.prices[0] });
    global.set('outputs', list);
    const payloads = global.get('payloads') || {};
    payloads[msg.topic] = msg.payload;
    global.set('payloads', payloads);
    return null;`;
  return [
    { id: tab, type: 'tab', label: 'olivine e2e' },
    {
      id: 'inj-live',
      z: tab,
      type: 'inject',
      topic: 'from-api',
      payload: '',
      payloadType: 'date',
      wires: [['n-live']],
    },
    {
      id: 'inj-down',
      z: tab,
      type: 'inject',
      topic: 'from-sample',
      payload: '',
      payloadType: 'date',
      wires: [['n-down']],
    },
    {
      id: 'n-live',
      z: tab,
      type: 'olivine-prices',
      url: liveUrl,
      hourly: false,
      fetchOnStart: false,
      timeout: 5,
      retries: 0,
      backoff: 1,
      fallbackFile: '',
      configVersion: 1,
      wires: [['n-record']],
    },
    {
      id: 'n-down',
      z: tab,
      type: 'olivine-prices',
      url: downUrl,
      hourly: false,
      fetchOnStart: false,
      timeout: 2,
      retries: 1,
      backoff: 0.1,
      fallbackFile: 'sample_data/olivine/etou-dyn-24h.json',
      fallbackShift: true,
      configVersion: 1,
      wires: [['n-record']],
    },
    { id: 'n-record', z: tab, type: 'function', func: record, outputs: 1, wires: [[]] },
    { id: 'n-status', z: tab, type: 'status', scope: ['n-live', 'n-down'], wires: [['n-statuses']] },
    {
      id: 'n-statuses',
      z: tab,
      type: 'function',
      func: "const l = global.get('statuses') || []; l.push({ source: msg.status.source.id, fill: msg.status.fill, text: msg.status.text }); global.set('statuses', l); return null;",
      outputs: 1,
      wires: [[]],
    },
    { id: 'n-http', z: tab, type: 'http in', url: '/olivine-probe', method: 'get', wires: [['n-read']] },
    {
      id: 'n-read',
      z: tab,
      type: 'function',
      func: "msg.payload = { outputs: global.get('outputs') || [], statuses: global.get('statuses') || [], payloads: global.get('payloads') || {} }; return msg;",
      outputs: 1,
      wires: [['n-resp']],
    },
    { id: 'n-resp', z: tab, type: 'http response', wires: [] },
  ];
}

describe('e2e: olivine-prices in a real Node-RED process', function () {
  this.timeout(60000);
  let red: NodeRedInstance | undefined;
  let server: PriceServer | undefined;

  afterEach(async () => {
    await red?.stop();
    await server?.close();
    red = undefined;
    server = undefined;
  });

  it('fetches prices from a (local) API, and falls back to the sample when the API is down', async () => {
    server = await startPriceServer();
    const downUrl = `http://127.0.0.1:${await freePort()}/etou-dyn`;
    red = await startNodeRed();
    const nodes = (await (
      await fetch(`${red.url}/nodes`, { headers: { accept: 'application/json' } })
    ).json()) as Array<{ types: string[] }>;
    assert.ok(
      nodes.some((n) => n.types.includes('olivine-prices')),
      'the pack registers olivine-prices',
    );
    await red.deploy(flow(`${server.url}/simple`, downUrl));

    const read = async (): Promise<Recorded> => (await (await red!.get('/olivine-probe')).json()) as Recorded;

    await red.inject('inj-live');
    const afterLive = await waitFor(
      async () => ((await read()).outputs.length >= 1 ? read() : undefined),
      15000,
      'prices from the API',
    );
    assert.strictEqual(afterLive.outputs[0].priceSource, 'api');
    const sampleEvent = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8'),
    );
    assert.strictEqual(JSON.stringify(afterLive.payloads['from-api']), JSON.stringify(sampleEvent));
    assert.strictEqual(server.hits('/simple'), 1);

    await red.inject('inj-down');
    const afterDown = await waitFor(
      async () => ((await read()).outputs.length >= 2 ? read() : undefined),
      15000,
      'the sample fallback',
    );
    const sample = afterDown.outputs[1];
    assert.strictEqual(sample.source, 'from-sample');
    assert.strictEqual(sample.priceSource, 'sample');
    assert.strictEqual(sample.intervals, 24);
    assert.strictEqual(sample.first.price, 0.12265545);
    assert.ok(
      Math.abs(Date.parse(sample.first.start) - Date.now()) < 3_600_000 + 60_000,
      'the sample starts at the current hour',
    );

    const liveStatus = afterDown.statuses.filter((s) => s.source === 'n-live').at(-1);
    assert.deepStrictEqual(liveStatus, {
      source: 'n-live',
      fill: 'green',
      text: '13 h from 02-17 19:00Z, 0.117–0.122 USD/kWh',
    });
    const downStatuses = afterDown.statuses.filter((s) => s.source === 'n-down');
    assert.ok(
      downStatuses.some((s) => s.fill === 'yellow' && /^retry 1\/1/.test(s.text ?? '')),
      JSON.stringify(downStatuses),
    );
    assert.deepStrictEqual(downStatuses.at(-1), {
      source: 'n-down',
      fill: 'yellow',
      text: 'using sample prices: 24 h, 0.109–0.127 USD/kWh',
    });
    assert.strictEqual(red.exited(), false);
    assert.doesNotMatch(red.log(), /Unhandled|uncaughtException/i);
  });

  it('examples/olivine-prices.json deploys as imported and, with the API unreachable, shows the sample', async () => {
    const example = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'examples', 'olivine-prices.json'), 'utf8'),
    ) as Array<Record<string, unknown>>;
    const prices = example.find((n) => n.type === 'olivine-prices')!;
    assert.strictEqual(prices.url, 'https://api.olivineinc.com/i/oe/pricing/signal/paced/etou-dyn');
    assert.ok(
      example.some((n) => n.type === 'comment'),
      'the example explains itself',
    );
    assert.ok(example.some((n) => n.type === 'inject') && example.some((n) => n.type === 'debug'));
    // Tests never reach the internet: point the node at a closed local port (what offline looks like).
    prices.url = `http://127.0.0.1:${await freePort()}/etou-dyn`;
    const tab = example.find((n) => n.type === 'tab')!.id as string;
    (prices.wires as string[][])[0].push('n-ex-record');
    example.push({
      id: 'n-ex-record',
      z: tab,
      type: 'function',
      func: "global.set('example', { priceSource: msg.priceSource, intervals: msg.prices.length, eventName: msg.payload.eventName }); return null;",
      outputs: 1,
      wires: [[]],
    });
    example.push({
      id: 'n-ex-http',
      z: tab,
      type: 'http in',
      url: '/example-probe',
      method: 'get',
      wires: [['n-ex-read']],
    });
    example.push({
      id: 'n-ex-read',
      z: tab,
      type: 'function',
      func: "msg.payload = global.get('example') || {}; return msg;",
      outputs: 1,
      wires: [['n-ex-resp']],
    });
    example.push({ id: 'n-ex-resp', z: tab, type: 'http response', wires: [] });

    red = await startNodeRed();
    await red.deploy(example);
    const got = await waitFor(
      async () => {
        const body = (await (await red!.get('/example-probe')).json()) as { priceSource?: string };
        return body.priceSource ? body : undefined;
      },
      20000,
      'the example to emit prices on deploy',
    );
    const emitted = got as { priceSource: string; intervals: number; eventName: string };
    assert.strictEqual(emitted.priceSource, 'sample');
    assert.strictEqual(emitted.intervals, 24);
    assert.match(emitted.eventName, /^etou-dyn-sample-\d{4}-\d{2}-\d{2}$/);
    assert.match(red.log(), /using sample prices from .*etou-dyn-24h\.json/);
  });
});
