/**
 * The built olivine-prices node in node-red-node-test-helper, fetching from a local server that
 * serves the fixtures and fails in the ways real servers do (500, timeout, HTML error page).
 */
import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { builtNode, helper, nextMessage, repoRoot, TestNode } from '../support/node-helper';
import { PriceServer, startPriceServer } from '../support/price-server';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const olivineNode = builtNode('olivine-prices');
const sampleEvent = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8'),
);

interface Out {
  payload: Record<string, unknown>;
  prices: Array<{ start: string; end: string; price: number }>;
  metadata: Record<string, unknown>;
  eventID: string | null;
  priceSource: string;
  warnings: string[];
  fetchError?: string;
  topic?: string;
}

type Status = { fill?: string; shape?: string; text?: string };

interface SpyCall {
  thisValue: unknown;
  args: unknown[];
}

/**
 * Every status this node has set, constructor included, in order. Read from the helper's sinon
 * spy on Node.prototype.status (its `call:status` events arrive on a later tick and can miss the
 * constructor's status).
 */
function statusesOf(node: TestNode): Status[] {
  const spy = node.status as unknown as { getCalls(): SpyCall[] };
  return spy
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => c.args[0] as Status);
}

/** A flow: olivine-prices (config overrides) → out; a Catch node → caught. */
async function load(
  config: Record<string, unknown>,
): Promise<{ subject: TestNode; out: TestNode; caught: TestNode; statuses: () => Status[] }> {
  const flow = [
    {
      id: 'subject',
      type: 'olivine-prices',
      fetchOnStart: false,
      hourly: false,
      fallbackFile: '',
      timeout: 2,
      retries: 0,
      backoff: 0.01,
      ...config,
      wires: [['out']],
    },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, wires: [['caught']] },
    { id: 'caught', type: 'helper' },
  ];
  await helper.load([olivineNode, catchNode], flow);
  const subject = helper.getNode('subject');
  return {
    subject,
    out: helper.getNode('out'),
    caught: helper.getNode('caught'),
    statuses: () => statusesOf(subject),
  };
}

async function settle(statuses: () => Status[], fill: string, ms = 5000): Promise<Status> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const last = statuses().at(-1);
    if (last?.fill === fill) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${fill} status within ${ms} ms; saw ${JSON.stringify(statuses())}`);
}

describe('nodes: olivine-prices', () => {
  let server: PriceServer;
  beforeEach(async () => (server = await startPriceServer()));
  afterEach(async () => {
    await helper.unload();
    await server.close();
  });

  it('fetches the live response on input: event, prices, metadata and a green status with window and range', async () => {
    const { subject, out, statuses } = await load({ url: `${server.url}/live`, programID: 'prog-1' });
    const got = nextMessage<Out & { keep: string }>(out);
    subject.receive({ payload: 'go', keep: 'me' });
    const msg = await got;
    assert.strictEqual(msg.keep, 'me', 'the input message is passed on');
    assert.strictEqual(msg.payload.eventName, 'etou-dyn-PUC-paced-etou-dyn-2026-02-18');
    assert.strictEqual(msg.payload.programID, 'prog-1');
    assert.deepStrictEqual(msg.payload.intervalPeriod, { start: '2026-02-19T05:00:00Z', duration: 'PT1H' });
    assert.strictEqual((msg.payload.intervals as unknown[]).length, 24);
    assert.strictEqual(msg.prices.length, 24);
    assert.deepStrictEqual(msg.prices[0], {
      start: '2026-02-19T05:00:00Z',
      end: '2026-02-19T06:00:00Z',
      price: 0.12265545,
    });
    assert.strictEqual(msg.metadata.RetailerLong, 'Pacific Utility Company');
    assert.strictEqual(msg.metadata.BindingPrices, true);
    assert.strictEqual(msg.eventID, 'PUC-paced-etou-dyn-2026-02-18');
    assert.strictEqual(msg.priceSource, 'api');
    assert.deepStrictEqual(msg.warnings, []);
    assert.deepStrictEqual(statuses().at(-1), {
      fill: 'green',
      shape: 'dot',
      text: '24 h from 02-19 05:00Z, 0.109–0.127 USD/kWh',
    });
    assert.deepStrictEqual(
      statuses().map((s) => s.text),
      ['waiting for input', 'fetching prices…', '24 h from 02-19 05:00Z, 0.109–0.127 USD/kWh'],
    );
  });

  it("turns the simple shape into exactly the reference implementation's event_pricing.json", async () => {
    const { subject, out } = await load({ url: `${server.url}/simple` });
    const got = nextMessage<Out>(out);
    subject.receive({});
    const msg = await got;
    assert.strictEqual(JSON.stringify(msg.payload), JSON.stringify(sampleEvent));
    assert.strictEqual(msg.eventID, '2026-02-17');
  });

  it('passes an OpenADR 3 event through unchanged', async () => {
    const { subject, out } = await load({
      url: `${server.url}/openadr`,
      programID: 'ignored-for-passthrough',
    });
    const got = nextMessage<Out>(out);
    subject.receive({});
    const msg = await got;
    assert.deepStrictEqual(msg.payload, sampleEvent);
    assert.strictEqual(msg.prices.length, 13);
  });

  it('uses the configured event name', async () => {
    const { subject, out } = await load({ url: `${server.url}/live`, eventName: 'prices-today' });
    const got = nextMessage<Out>(out);
    subject.receive({});
    assert.strictEqual((await got).payload.eventName, 'prices-today');
  });

  it('a 500 without fallback: red status, the error reaches a Catch node, no output', async () => {
    const { subject, out, caught, statuses } = await load({ url: `${server.url}/500` });
    let outputs = 0;
    out.on('input', () => outputs++);
    const gotError = nextMessage<{ error: { message: string }; payload: string }>(caught);
    subject.receive({ payload: 'x' });
    const err = await gotError;
    assert.match(
      err.error.message,
      /^(Error: )?fetch from http:\/\/127\.0\.0\.1:\d+\/500 failed: HTTP 500 Internal Server Error$/,
    );
    assert.strictEqual(err.payload, 'x');
    const last = await settle(statuses, 'red');
    assert.strictEqual(last.text, 'fetch failed: HTTP 500 Internal Server Error');
    assert.strictEqual(outputs, 0);
  });

  it('refuses a response larger than Max size, with a red status that says so', async () => {
    const { subject, caught, statuses } = await load({ url: `${server.url}/live`, maxKB: 1, retries: 2 });
    const gotError = nextMessage<{ error: { message: string } }>(caught);
    subject.receive({});
    assert.match((await gotError).error.message, /larger than 1024 bytes/);
    const last = await settle(statuses, 'red');
    assert.match(last.text ?? '', /larger than 1024 bytes/);
    assert.strictEqual(server.hits('/live'), 1, 'not retried');
  });

  it('retries with backoff, showing a yellow retry status, and recovers', async () => {
    const { subject, out, statuses } = await load({
      url: `${server.url}/flaky/2`,
      retries: 3,
      backoff: 0.05,
    });
    const got = nextMessage<Out>(out);
    subject.receive({});
    const msg = await got;
    assert.strictEqual(msg.priceSource, 'api');
    assert.strictEqual(server.hits('/flaky/2'), 3);
    const retries = statuses().filter((s) => /^retry/.test(s.text ?? ''));
    assert.deepStrictEqual(
      retries.map((s) => [s.fill, s.text]),
      [
        ['yellow', 'retry 1/3 in 0.1 s: HTTP 503 Service Unavailable'],
        ['yellow', 'retry 2/3 in 0.1 s: HTTP 503 Service Unavailable'],
      ],
    );
    assert.strictEqual(statuses().at(-1)?.fill, 'green');
  });

  it('gives up after the retries: 1 + retries attempts', async () => {
    const { subject, caught } = await load({ url: `${server.url}/500`, retries: 2, backoff: 0.01 });
    const gotError = nextMessage<{ error: { message: string } }>(caught);
    subject.receive({});
    assert.match((await gotError).error.message, /HTTP 500 Internal Server Error \(after 3 attempts\)/);
    assert.strictEqual(server.hits('/500'), 3);
  });

  it('a server that never answers times out', async () => {
    const { subject, caught, statuses } = await load({ url: `${server.url}/hang`, timeout: 0.2 });
    const gotError = nextMessage<{ error: { message: string } }>(caught);
    subject.receive({});
    assert.match((await gotError).error.message, /failed: timed out after 0\.2 s$/);
    assert.strictEqual((await settle(statuses, 'red')).text, 'fetch failed: timed out after 0.2 s');
  });

  it('an HTML error page is invalid prices, named as such', async () => {
    const { subject, caught, statuses } = await load({ url: `${server.url}/html` });
    const gotError = nextMessage<{ error: { message: string } }>(caught);
    subject.receive({});
    const message = (await gotError).error.message;
    assert.match(
      message,
      /^(Error: )?invalid prices from http:\/\/127\.0\.0\.1:\d+\/html: \$: is not JSON .*"<!DOCTYPE html>/,
    );
    assert.match((await settle(statuses, 'red')).text ?? '', /^invalid prices: \$: is not JSON/);
    assert.strictEqual(server.hits('/html'), 1, 'invalid content is not retried');
  });

  it('invalid prices name the JSON path', async () => {
    const { subject, caught } = await load({ url: `${server.url}/invalid` });
    const gotError = nextMessage<{ error: { message: string } }>(caught);
    subject.receive({});
    assert.match(
      (await gotError).error.message,
      /\$\.eiEventSignals\.eiEventSignal\[0\]\.intervals\[3\]\.streamPayloadBase\[0\]\.item\.value: -99999 is the "missing price" sentinel/,
    );
  });

  for (const failure of ['/500', '/hang', '/html']) {
    it(`falls back to the sample on ${failure}: yellow "using sample prices", sample moved to this hour`, async () => {
      const { subject, out, caught, statuses } = await load({
        url: `${server.url}${failure}`,
        timeout: 0.2,
        fallbackFile: 'sample_data/olivine/etou-dyn-24h.json',
      });
      let errors = 0;
      caught.on('input', () => errors++);
      const got = nextMessage<Out>(out);
      const before = Date.now();
      subject.receive({});
      const msg = await got;
      assert.strictEqual(msg.priceSource, 'sample');
      assert.ok(msg.fetchError && msg.fetchError.length > 0);
      assert.strictEqual(msg.prices.length, 24);
      const hourStart = Math.floor(before / 3_600_000) * 3_600_000;
      assert.strictEqual(Date.parse(msg.prices[0].start), hourStart);
      assert.strictEqual(msg.prices[0].price, 0.12265545);
      assert.match(msg.eventID ?? '', /^sample-\d{4}-\d{2}-\d{2}$/);
      assert.strictEqual(msg.payload.eventName, `etou-dyn-${msg.eventID}`);
      const last = statuses().at(-1)!;
      assert.strictEqual(last.fill, 'yellow');
      assert.match(last.text ?? '', /^using sample prices: 24 h, 0\.109–0\.127 USD\/kWh$/);
      assert.strictEqual(errors, 0, 'a fallback is not an error');
    });
  }

  it('can use the sample as it is (no shift)', async () => {
    const { subject, out } = await load({
      url: `${server.url}/500`,
      fallbackFile: path.join(repoRoot, 'sample_data', 'olivine', 'simple-shape-13h.json'),
      fallbackShift: false,
    });
    const got = nextMessage<Out>(out);
    subject.receive({});
    const msg = await got;
    assert.strictEqual(msg.priceSource, 'sample');
    assert.strictEqual(JSON.stringify(msg.payload), JSON.stringify(sampleEvent));
  });

  it('an unreadable fallback is an error that names both failures', async () => {
    const { subject, caught, statuses } = await load({
      url: `${server.url}/500`,
      fallbackFile: 'no/such/file.json',
    });
    const gotError = nextMessage<{ error: { message: string } }>(caught);
    subject.receive({});
    const message = (await gotError).error.message;
    assert.match(message, /HTTP 500.*; and the sample .*no\/such\/file\.json is unusable: ENOENT/);
    assert.strictEqual((await settle(statuses, 'red')).text, 'fetch failed and the sample is unusable');
  });

  it('fetches on deploy without any input', async () => {
    const { out } = await load({ url: `${server.url}/live`, fetchOnStart: true });
    const msg = await nextMessage<Out>(out);
    assert.strictEqual(msg.prices.length, 24);
    assert.strictEqual(server.hits('/live'), 1);
  });

  it('a scheduled fetch that fails shows red and reaches a Catch node, and Node-RED carries on', async () => {
    const { caught, statuses } = await load({ url: `${server.url}/500`, fetchOnStart: true });
    const err = await nextMessage<{ error: { message: string } }>(caught);
    assert.match(err.error.message, /fetch from .*\/500 failed: HTTP 500/);
    assert.strictEqual((await settle(statuses, 'red')).text, 'fetch failed: HTTP 500 Internal Server Error');
  });

  it('shares one fetch between inputs that arrive while it runs', async () => {
    const { subject, out } = await load({ url: `${server.url}/flaky/1`, retries: 1, backoff: 0.2 });
    const received: Out[] = [];
    out.on('input', (m: Out) => received.push(m));
    subject.receive({});
    subject.receive({});
    const deadline = Date.now() + 5000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.strictEqual(received.length, 2, 'both inputs are answered');
    assert.strictEqual(server.hits('/flaky/1'), 2, 'one failed attempt and one retry, not four requests');
  });

  it('shows the next fetch time when it waits for the schedule', async () => {
    const { statuses } = await load({ url: `${server.url}/live`, hourly: true, minute: 7 });
    assert.deepStrictEqual(statuses(), [{ fill: 'yellow', shape: 'ring', text: 'next fetch at :07' }]);
  });

  it('closes promptly during a fetch, aborting the request', async () => {
    const { subject } = await load({ url: `${server.url}/hang`, timeout: 30 });
    subject.receive({});
    const deadline = Date.now() + 2000;
    while (server.hits('/hang') < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    await helper.unload();
    assert.ok(Date.now() - started < 2000, 'close finished quickly');
    while (server.abandoned() < 1 && Date.now() < started + 2000) await new Promise((r) => setTimeout(r, 10));
    assert.strictEqual(server.abandoned(), 1, 'the request was aborted');
  });

  it('refuses a bad config with a red status and a clear error on input', async () => {
    const { subject, caught } = await load({ url: 'ftp://example.org/prices' });
    const gotError = nextMessage<{ error: { message: string } }>(caught);
    subject.receive({});
    assert.match(
      (await gotError).error.message,
      /bad config: url "ftp:\/\/example\.org\/prices" must start with http/,
    );
    assert.strictEqual(statusesOf(subject)[0].fill, 'red');
  });

  for (const [field, value, problem] of [
    ['url', 'http://exa mple.org:99999/', /url .* is not a valid URL/],
    ['minute', 60, /minute 60 is not valid/],
    ['timeout', 0, /timeout 0 is not valid/],
    ['retries', 1.5, /retries 1\.5 is not valid/],
    ['priceMin', 3, /priceMin 3 is above priceMax 2/],
  ] as const) {
    it(`refuses ${field} = ${JSON.stringify(value)}`, async () => {
      const { subject, caught } = await load({ url: 'http://127.0.0.1:9/', [field]: value });
      const gotError = nextMessage<{ error: { message: string } }>(caught);
      subject.receive({});
      assert.match((await gotError).error.message, problem);
    });
  }
});
