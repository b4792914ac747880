/**
 * Anonymous local programs: a caller without a token sees exactly the listed programs and their
 * untargeted events, through both API versions, and can never write or read anything else.
 * Anonymous readers share no quota with anyone: each client address has its own bucket.
 * Also: the OpenAPI YAML each API version is served with (mDNS `openapi_url`).
 */
import assert from 'assert';
import fs from 'fs';
import http, { type IncomingMessage } from 'http';
import type { AddressInfo } from 'net';
import YAML from 'yaml';
import { specPath } from '../../../src/openadr/spec';
import { ANONYMOUS_PRINCIPAL } from '../../../src/openadr/vtn/anonymous';
import { MAX_ANONYMOUS_BUCKETS, RequestQuota } from '../../../src/openadr/vtn/limits';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import { caller31, type Caller } from '../../support/vtn31';

const interval = (price: number) => ({ id: 0, payloads: [{ type: 'PRICE', values: [price] }] });

describe('VTN anonymous local programs', () => {
  let t: TestVtn;
  let call31: Caller;
  let bl: string;
  let ven: string;
  const ids: Record<string, string> = {};

  before(async () => {
    t = await startTestVtn({ anonymousPrograms: ['local-price', ' '] });
    call31 = caller31(t);
    bl = await t.token('bl_client', '1001');
    ven = await t.token('ven_client', '999');
    for (const programName of ['local-price', 'utility-dr']) {
      const r = await t.call('POST', '/programs', bl, { programName });
      assert.strictEqual(r.status, 201, r.text);
      ids[programName] = r.body.id;
    }
    const events: Array<[string, string, unknown]> = [
      ['open', 'local-price', undefined],
      ['aimed', 'local-price', [{ type: 'VEN_NAME', values: ['heater-1'] }]],
      ['closed', 'utility-dr', undefined],
    ];
    for (const [eventName, program, targets] of events) {
      const r = await t.call('POST', '/events', bl, {
        programID: ids[program],
        eventName,
        intervalPeriod: { start: '2026-01-01T00:00:00Z', duration: 'PT1H' },
        intervals: [interval(0.2)],
        ...(targets ? { targets } : {}),
      });
      assert.strictEqual(r.status, 201, r.text);
      ids[eventName] = r.body.id;
    }
  });
  after(() => t.close());

  it('lists only the listed programs to a caller without a token (3.0.1 and 3.1.0)', async () => {
    const r = await t.call('GET', '/programs');
    assert.strictEqual(r.status, 200, r.text);
    assert.deepStrictEqual(
      r.body.map((p: { programName: string }) => p.programName),
      ['local-price'],
    );
    const r31 = await call31('GET', '/programs');
    assert.strictEqual(r31.status, 200, r31.text);
    assert.deepStrictEqual(
      r31.body.map((p: { programName: string }) => p.programName),
      ['local-price'],
    );
    // A token holder still sees everything it saw before.
    const withToken = await t.call('GET', '/programs', ven);
    assert.strictEqual(withToken.body.length, 2);
  });

  it("shows the listed programs' untargeted events only", async () => {
    for (const call of [t.call.bind(t), call31]) {
      const r = await call('GET', '/events');
      assert.strictEqual(r.status, 200, r.text);
      assert.deepStrictEqual(
        r.body.map((e: { eventName: string }) => e.eventName),
        ['open'],
      );
      const own = await call('GET', `/events/${ids.open}`);
      assert.strictEqual(own.status, 200, own.text);
      for (const hidden of ['aimed', 'closed']) {
        const h = await call('GET', `/events/${ids[hidden]}`);
        assert.strictEqual(h.status, 404, `${hidden}: ${h.text}`);
      }
      const other = await call('GET', `/programs/${ids['utility-dr']}`);
      assert.strictEqual(other.status, 404, other.text);
      const filtered = await call('GET', `/events?programID=${ids['utility-dr']}`);
      assert.deepStrictEqual(filtered.body, []);
    }
  });

  it('never lets a caller without a token write, nor read other kinds', async () => {
    const writes: Array<[string, string, unknown]> = [
      ['POST', '/programs', { programName: 'mine' }],
      ['PUT', `/programs/${ids['local-price']}`, { programName: 'local-price' }],
      ['DELETE', `/programs/${ids['local-price']}`, undefined],
      [
        'POST',
        '/events',
        {
          programID: ids['local-price'],
          intervals: [interval(9)],
          intervalPeriod: { start: '2026-01-01T00:00:00Z' },
        },
      ],
      ['DELETE', `/events/${ids.open}`, undefined],
      ['POST', '/subscriptions', { clientName: 'x', programID: ids['local-price'], objectOperations: [] }],
      ['POST', '/vens', { venName: 'sneaky' }],
    ];
    for (const call of [t.call.bind(t), call31]) {
      for (const [method, path, body] of writes) {
        const r = await call(method, path, undefined, body);
        assert.strictEqual(r.status, 401, `${method} ${path}: ${r.text}`);
        assert.strictEqual(r.headers.get('www-authenticate'), 'Bearer');
      }
      for (const path of ['/reports', '/subscriptions', '/vens']) {
        const r = await call('GET', path);
        assert.strictEqual(r.status, 401, `GET ${path}: ${r.text}`);
      }
    }
    // Nothing changed.
    const programs = await t.call('GET', '/programs', bl);
    assert.deepStrictEqual(programs.body.map((p: { programName: string }) => p.programName).sort(), [
      'local-price',
      'utility-dr',
    ]);
  });

  it('still refuses a bad token (anonymous access is for requests without one)', async () => {
    const r = await t.call('GET', '/programs', 'not-a-token');
    assert.strictEqual(r.status, 403, r.text);
  });

  it('follows a program renamed out of the list', async () => {
    const r = await t.call('PUT', `/programs/${ids['local-price']}`, bl, { programName: 'renamed' });
    assert.strictEqual(r.status, 200, r.text);
    try {
      assert.deepStrictEqual((await t.call('GET', '/programs')).body, []);
      assert.deepStrictEqual((await t.call('GET', '/events')).body, []);
    } finally {
      await t.call('PUT', `/programs/${ids['local-price']}`, bl, { programName: 'local-price' });
    }
  });

  it('serves each API version its OpenAPI YAML without a token', async () => {
    assert.deepStrictEqual(t.vtn.openapiPaths, {
      '3.0.1': '/openadr3/3.0.1/openapi.yaml',
      '3.1.0': '/openadr3/3.1.0/openapi.yaml',
    });
    const origin = new URL(t.url).origin;
    for (const version of ['3.0.1', '3.1.0'] as const) {
      const res: Response = await fetch(`${origin}${t.vtn.openapiPaths[version]}`);
      assert.strictEqual(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/yaml/);
      const text = await res.text();
      assert.strictEqual(text, fs.readFileSync(specPath(version), 'utf8'));
      // (The 3.1.0 file's info.version says 1.0.0; its paths tell the versions apart.)
      assert.strictEqual('/notifiers' in YAML.parse(text).paths, version === '3.1.0');
    }
  });
});

describe('VTN without anonymous programs', () => {
  let t: TestVtn;
  before(async () => {
    t = await startTestVtn();
  });
  after(() => t.close());

  it('needs a token for every API request', async () => {
    for (const path of ['/programs', '/events']) {
      const r = await t.call('GET', path);
      assert.strictEqual(r.status, 401, r.text);
    }
    assert.strictEqual(t.vtn.anonymousPrograms.size, 0);
  });

  it('refuses a program name longer than the YAML allows', async () => {
    await assert.rejects(startTestVtn({ anonymousPrograms: ['x'.repeat(129)] }), /longer than a programName/);
  });
});

/** A GET without a token from a chosen loopback source address (127.0.0.0/8 is all this host's). */
function getFrom(
  url: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string, body }),
      );
    });
    req.on('error', reject);
  });
}

describe('VTN anonymous readers: a quota per client address', () => {
  const QUOTA = { anonymous: { perSecond: 0.5, burst: 4 } };
  let t: TestVtn | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  /** The statuses of `n` anonymous reads from one address, alternating the two API versions. */
  async function reads(vtn: TestVtn, from: string, n: number, headers?: Record<string, string>) {
    // The listener itself (behind a proxy t.url is the public URL).
    const origin = `http://127.0.0.1:${(vtn.vtn.server!.address() as AddressInfo).port}`;
    const out: Array<{ status: number; retryAfter?: string; body: string }> = [];
    for (let i = 0; i < n; i++)
      out.push(await getFrom(`${origin}/openadr3/${i % 2 ? '3.1.0' : '3.0.1'}/programs`, from, headers));
    return out;
  }

  it('answers one address over its quota with 429 and Retry-After; other addresses and token holders go on', async () => {
    t = await startTestVtn({ anonymousPrograms: ['local-price'], quota: QUOTA });
    const flood = await reads(t, '127.0.0.1', 7);
    assert.deepStrictEqual(
      flood.map((r) => r.status),
      [200, 200, 200, 200, 429, 429, 429],
    );
    const refused = flood[4];
    assert.ok(Number(refused.retryAfter) >= 1, `Retry-After ${refused.retryAfter}`);
    assert.match(JSON.parse(refused.body).detail, /quota for reading without a token from this address/);
    // Another device on the network has a bucket of its own.
    assert.deepStrictEqual(
      (await reads(t, '127.0.0.2', 4)).map((r) => r.status),
      [200, 200, 200, 200],
    );
    // A VEN client with a token is charged to its own quota, not the address's.
    const ven = await t.token('ven_client', '999');
    for (let i = 0; i < 5; i++) assert.strictEqual((await t.call('GET', '/programs', ven)).status, 200);
  });

  it('a forged X-Forwarded-For gets no fresh bucket; behind a trusted proxy the appended address counts', async () => {
    t = await startTestVtn({ anonymousPrograms: ['local-price'], quota: QUOTA });
    let i = 0;
    const forged = async () => ({ 'x-forwarded-for': `198.51.100.${++i}` });
    const statuses: number[] = [];
    for (let n = 0; n < 6; n++) statuses.push((await reads(t, '127.0.0.3', 1, await forged()))[0].status);
    assert.deepStrictEqual(statuses, [200, 200, 200, 200, 429, 429]);
    await t.close();

    t = await startTestVtn({
      anonymousPrograms: ['local-price'],
      quota: QUOTA,
      trustProxy: true,
      publicUrl: 'https://vtn.example.com',
    });
    // Every request comes from the proxy's address; the client is the entry the proxy appended.
    const a = await reads(t, '127.0.0.1', 5, { 'x-forwarded-for': '203.0.113.7' });
    assert.deepStrictEqual(
      a.map((r) => r.status),
      [200, 200, 200, 200, 429],
    );
    const b = await reads(t, '127.0.0.1', 4, { 'x-forwarded-for': '203.0.113.7, 203.0.113.8' });
    assert.deepStrictEqual(
      b.map((r) => r.status),
      [200, 200, 200, 200],
      'another client behind the same proxy',
    );
  });

  it('keeps a bounded number of address buckets, and one per IPv6 /64', () => {
    const quota = new RequestQuota({ anonymous: { perSecond: 1, burst: 2 } });
    const request = (address: string) =>
      ({ socket: { remoteAddress: address }, headers: {} }) as unknown as IncomingMessage;
    const anon = { ...ANONYMOUS_PRINCIPAL };
    // Two addresses of one /64 (one host can take as many of those as it likes) share a bucket.
    assert.strictEqual(quota.take(anon, request('2001:db8:1:2::a'), 0), undefined);
    assert.strictEqual(quota.take(anon, request('2001:db8:1:2::b'), 0), undefined);
    assert.strictEqual(quota.take(anon, request('2001:db8:1:2::c'), 0), 1);
    assert.strictEqual(quota.take(anon, request('2001:db8:1:3::a'), 0), undefined, 'another /64');
    for (let n = 0; n < MAX_ANONYMOUS_BUCKETS + 500; n++)
      quota.take(anon, request(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`), 1000);
    assert.strictEqual(quota.anonymousAddresses, MAX_ANONYMOUS_BUCKETS);
  });

  it('can be turned off', async () => {
    t = await startTestVtn({ anonymousPrograms: ['local-price'], quota: { anonymous: false } });
    assert.ok((await reads(t, '127.0.0.1', 30)).every((r) => r.status === 200));
  });
});
