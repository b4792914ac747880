/**
 * Webhook callbacks are not a port scanner: by default only public destinations, LAN and loopback
 * each only when the VTN allows them, link-local never — in every spelling of an address, and
 * checked again against the address a delivery actually connects to. A subscriber reads back a
 * coarse reason (unreachable, timeout, tls, HTTP status), never the socket error.
 */
import assert from 'assert';
import dns from 'dns';
import http from 'http';
import type { AddressInfo } from 'net';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import { freePort } from '../../support/ports';

const subscription = (callbackUrl: string) => ({
  clientName: 'scanner',
  programID: 'any',
  objectOperations: [{ objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl }],
});

/** Every way of writing a loopback, LAN or link-local address that a URL parser accepts. */
const LOOPBACK = [
  'https://127.0.0.1/cb',
  'https://127.1/cb',
  'https://2130706433/cb',
  'https://0x7f000001/cb',
  'https://0x7f.0.0.1/cb',
  'https://0177.0.0.1/cb',
  'https://[::1]/cb',
  'https://[0:0:0:0:0:0:0:1]/cb',
  'https://[::ffff:127.0.0.1]/cb',
  'https://[::ffff:7f00:1]/cb',
  'https://localhost/cb',
  'https://a.localhost/cb',
];
const LAN = [
  'https://10.1.2.3/cb',
  'https://167772161/cb',
  'https://172.16.0.1/cb',
  'https://192.168.1.10/cb',
  'https://0xc0a8010a/cb',
  'https://[::ffff:192.168.1.10]/cb',
  'https://[fd00::1]/cb',
  'https://100.64.0.1/cb',
];
const NEVER = [
  'https://169.254.169.254/cb',
  'https://2852039166/cb',
  'https://[::ffff:169.254.169.254]/cb',
  'https://[fe80::1]/cb',
  'https://0.0.0.0/cb',
  'https://[::]/cb',
  'https://224.0.0.1/cb',
  'https://255.255.255.255/cb',
];

describe('VTN webhook callback policy', () => {
  let t: TestVtn | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const status = async (url: string): Promise<number> => {
    const bl = await t!.token('bl_client', '1001');
    return (await t!.call('POST', '/subscriptions', bl, subscription(url))).status;
  };

  it('by default accepts public destinations only, in every spelling', async () => {
    t = await startTestVtn({ callbacks: {} });
    for (const url of [...LOOPBACK, ...LAN, ...NEVER]) assert.strictEqual(await status(url), 400, url);
    assert.strictEqual(await status('https://example.com/cb'), 201);
    assert.strictEqual(await status('https://93.184.216.34/cb'), 201);
    assert.strictEqual(await status('http://93.184.216.34/cb'), 400, 'public needs https');
  });

  it('LAN and loopback each only by their own setting; link-local never', async () => {
    t = await startTestVtn({ callbacks: { lan: true } });
    for (const url of LAN) assert.strictEqual(await status(url), 201, url);
    for (const url of [...LOOPBACK, ...NEVER]) assert.strictEqual(await status(url), 400, url);
    assert.strictEqual(await status('http://192.168.1.10:1880/cb'), 201, 'plain http on the LAN');
    await t.close();
    t = await startTestVtn({ callbacks: { loopback: true } });
    for (const url of LOOPBACK) assert.strictEqual(await status(url), 201, url);
    for (const url of [...LAN, ...NEVER]) assert.strictEqual(await status(url), 400, url);
    await t.close();
    t = await startTestVtn({ callbacks: { lan: true, loopback: true } });
    for (const url of NEVER) assert.strictEqual(await status(url), 400, url);
  });

  it('checks the address a delivery connects to (a name that turns into loopback is refused)', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    // DNS is the edge of the world here: a resolver whose answer changes after the check.
    const rebinding = ((host: string, options: unknown, callback: unknown) => {
      if (host !== 'rebind.example')
        return (dns.lookup as (...a: unknown[]) => void)(host, options, callback);
      const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
      const all = typeof options === 'object' && (options as { all?: boolean }).all;
      if (all) cb(null, [{ address: '127.0.0.1', family: 4 }]);
      else cb(null, '127.0.0.1', 4);
    }) as unknown as typeof dns.lookup;
    try {
      for (const loopback of [false, true]) {
        t = await startTestVtn({
          callbacks: { loopback },
          webhooks: { maxAttempts: 1, pollMs: 20, lookup: rebinding },
        });
        const bl = await t.token('bl_client', '1001');
        const s = await t.call(
          'POST',
          '/subscriptions',
          bl,
          subscription(`https://rebind.example:${port}/cb`),
        );
        assert.strictEqual(s.status, 201, s.text);
        await t.call('POST', '/programs', bl, { programName: 'p' });
        let d: { state: string; lastError: string | null } | undefined;
        for (let i = 0; i < 200; i++) {
          d = (await t.call('GET', `/subscriptions/${s.body.id}`, bl)).body.deliveryStatus;
          if (d!.state === 'dead') break;
          await new Promise((r) => setTimeout(r, 25));
        }
        // Loopback refused: never connected. Loopback allowed: connected (https to plain http: tls).
        assert.strictEqual(d!.state, 'dead', JSON.stringify(d));
        assert.strictEqual(d!.lastError, loopback ? 'tls' : 'unreachable');
        assert.strictEqual(hits, 0, 'nothing reached the loopback server over plain HTTP');
        await t.close();
        t = undefined;
      }
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('tells a subscriber a coarse reason, never the socket error', async () => {
    const closed = await freePort();
    const hang = http.createServer(() => undefined);
    const plain = http.createServer((_req, res) => res.end());
    const fail = http.createServer((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    const listen = async (s: http.Server): Promise<number> => {
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
      return (s.address() as AddressInfo).port;
    };
    const [hangPort, plainPort, failPort] = [await listen(hang), await listen(plain), await listen(fail)];
    try {
      t = await startTestVtn({
        callbacks: { loopback: true },
        webhooks: { maxAttempts: 1, pollMs: 20, timeoutMs: 300 },
      });
      const bl = await t.token('bl_client', '1001');
      const cases: Array<[string, string]> = [
        [`http://127.0.0.1:${closed}/cb`, 'unreachable'],
        [`http://127.0.0.1:${hangPort}/cb`, 'timeout'],
        [`https://127.0.0.1:${plainPort}/cb`, 'tls'],
        [`http://127.0.0.1:${failPort}/cb`, 'HTTP 500'],
      ];
      const ids: string[] = [];
      for (const [url] of cases)
        ids.push((await t.call('POST', '/subscriptions', bl, subscription(url))).body.id);
      await t.call('POST', '/programs', bl, { programName: 'p' });
      for (let i = 0; i < cases.length; i++) {
        let d: { state: string; lastError: string | null } | undefined;
        for (let n = 0; n < 200; n++) {
          d = (await t.call('GET', `/subscriptions/${ids[i]}`, bl)).body.deliveryStatus;
          if (d!.state === 'dead') break;
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.strictEqual(d!.lastError, cases[i][1], cases[i][0]);
      }
      const page = await (await fetch(t.url.replace('/openadr3/3.0.1', '/'))).text();
      assert.doesNotMatch(page, /ECONNREFUSED|ERR_SSL|EPROTO|wrong version/i);
    } finally {
      for (const s of [hang, plain, fail]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    }
  });
});
