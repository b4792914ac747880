/** The read-only status page at `/`: server-rendered HTML with stable ids; VEN details need BL when not on loopback. */
import assert from 'assert';
import { createVtn, type Vtn } from '../../../src';
import { Agent, fetch as tlsFetch } from 'undici';
import { testCertificates } from '../../support/tls';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

describe('VTN status page', () => {
  let t: TestVtn | undefined;
  let v: Vtn | undefined;
  afterEach(async () => {
    await t?.close();
    await v?.close();
    t = v = undefined;
  });

  it('lists programs, events with a price chart, VENs and subscriptions on loopback', async () => {
    t = await startTestVtn();
    const bl = await t.token('bl_client', '1001');
    const ven = await t.token('ven_client', '999');
    const p = await t.call('POST', '/programs', bl, { programName: 'shown-program' });
    await t.call('POST', '/events', bl, {
      programID: p.body.id,
      eventName: 'shown-event',
      intervals: [0.1, 0.3].map((x, id) => ({ id, payloads: [{ type: 'PRICE', values: [x] }] })),
    });
    await t.call('POST', '/vens', ven, { venName: 'shown-ven' });
    const html = await (await fetch(t.url.replace('/openadr3/3.0.1', '/'))).text();
    assert.match(html, /id="programs"[\s\S]*shown-program/);
    assert.match(
      html,
      /id="events"[\s\S]*shown-event[\s\S]*<svg class="price-chart"[\s\S]*<rect[\s\S]*<rect/,
    );
    assert.match(html, /id="vens"[\s\S]*shown-ven/);
    assert.match(html, /<span id="count-programs">1<\/span>/);
  });

  it('hides VEN and report details from anonymous browsers when bound beyond loopback', async () => {
    // Plain HTTP beyond loopback only behind a TLS-terminating proxy.
    v = await createVtn({ trustProxy: true, publicUrl: 'https://vtn.example.com' });
    const { port } = await v.listen(0, '0.0.0.0');
    const bl = v.service;
    await bl.create(
      'vens',
      { clientID: 'ven_client', role: 'VEN', scopes: ['write_vens'] },
      { venName: 'secret-ven' },
    );
    const anon = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.doesNotMatch(anon, /secret-ven/);
    assert.match(anon, /id="sign-in"/);
    const signIn = await fetch(`http://127.0.0.1:${port}/?signin=1`);
    assert.strictEqual(signIn.status, 401);
    assert.match(signIn.headers.get('www-authenticate') ?? '', /Basic/);
    const auth = `Basic ${Buffer.from('bl_client:1001').toString('base64')}`;
    const signed = await (
      await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: auth } })
    ).text();
    assert.match(signed, /id="vens"[\s\S]*secret-ven/);
    const venAuth = `Basic ${Buffer.from('ven_client:999').toString('base64')}`;
    const asVen = await (
      await fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: venAuth } })
    ).text();
    assert.doesNotMatch(asVen, /secret-ven/, 'VEN credentials do not unlock details');
  });
});

describe('VTN status page: safe off loopback', () => {
  let v: Vtn | undefined;
  afterEach(async () => {
    await v?.close();
    v = undefined;
  });
  const FLOW = {
    clientID: null,
    role: 'BL' as const,
    scopes: ['read_all', 'write_programs', 'write_events', 'write_subscriptions'],
  };
  const basic = (id: string, secret: string): Record<string, string> => ({
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  });

  it('rate-limits the Basic sign-in with the token endpoint’s limiter, per real address behind a proxy', async () => {
    // Off loopback behind a TLS-terminating proxy: the offender's address is the one the proxy
    // appended to X-Forwarded-For (the last entry), not the proxy's own.
    v = await createVtn({ trustProxy: true, publicUrl: 'https://vtn.example.com' });
    const { port } = await v.listen(0, '0.0.0.0');
    const page = `http://127.0.0.1:${port}/`;
    const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': address });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push(
        (await fetch(page, { headers: { ...basic('bl_client', `guess${i}`), ...from('198.51.100.7') } }))
          .status,
      );
    assert.ok(statuses.includes(429), `wrong guesses are throttled: ${statuses.join()}`);
    const after = await fetch(page, { headers: { ...basic('bl_client', '1001'), ...from('198.51.100.7') } });
    assert.strictEqual(after.status, 429, 'the offender waits, even with the right secret');
    assert.match(after.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    // An address the client wrote in front of the proxy's entry changes nothing.
    const spoofed = await fetch(page, {
      headers: { ...basic('bl_client', '1001'), ...from('203.0.113.9, 198.51.100.7') },
    });
    assert.strictEqual(spoofed.status, 429);
    // One limiter: the same offender is throttled at the token endpoint too.
    const token = await fetch(`http://127.0.0.1:${port}/openadr3/3.0.1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...from('198.51.100.7') },
      body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
    });
    assert.strictEqual(token.status, 429);
    // The same client from another address behind the same proxy signs in.
    const other = await fetch(page, { headers: { ...basic('bl_client', '1001'), ...from('198.51.100.8') } });
    assert.strictEqual(other.status, 200);
    assert.match(await other.text(), /id="summary"/);
  });

  it('shows anonymous visitors nothing an anonymous API caller could not read', async () => {
    // Off loopback on HTTPS, no proxy.
    const certs = testCertificates();
    const dispatcher = new Agent({ connect: { ca: certs.ca.cert } });
    const fetch = (url: string, init: { headers?: Record<string, string> } = {}) =>
      tlsFetch(url, { ...init, dispatcher });
    v = await createVtn({
      tls: { cert: certs.server.cert, key: certs.server.key },
      callbacks: { loopback: true },
      webhooks: { maxAttempts: 1, pollMs: 20 },
    });
    const { port } = await v.listen(0, '0.0.0.0');
    const p = await v.service.create('programs', FLOW, { programName: 'secret-program' });
    await v.service.create('events', FLOW, {
      programID: p.id,
      eventName: 'secret-event',
      targets: [{ type: 'GROUP', values: ['secret-group'] }],
      intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.5] }] }],
    });
    await v.service.create('subscriptions', FLOW, {
      clientName: 'secret-client',
      programID: p.id,
      objectOperations: [
        { objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'http://127.0.0.1:9/cb' },
      ],
    });
    await v.service.create('events', FLOW, { programID: p.id, eventName: 'another-event', intervals: [] });
    await new Promise((r) => setTimeout(r, 300)); // the delivery to :9 fails
    const anon = await fetch(`https://127.0.0.1:${port}/`);
    const html = await anon.text();
    for (const secret of [
      'secret-program',
      'secret-event',
      'secret-group',
      'secret-client',
      'another-event',
      'unreachable',
    ])
      assert.doesNotMatch(html, new RegExp(secret), secret);
    assert.match(html, /id="sign-in"/);
    // Where the API is, from the listener's own scheme and the address the connection reached.
    assert.match(html, /id="api-301" href="https:\/\/127\.0\.0\.1:\d+\/openadr3\/3\.0\.1"/);
    const signed = await (
      await fetch(`https://127.0.0.1:${port}/`, { headers: basic('bl_client', '1001') })
    ).text();
    assert.match(signed, /secret-event/);
    assert.match(signed, /secret-client/);
    await dispatcher.close();
  });

  it('sends security headers, and is paged: 100 events of 5,000 intervals stay small', async function () {
    this.timeout(60000);
    v = await createVtn();
    const { port } = await v.listen(0, '127.0.0.1');
    const p = await v.service.create('programs', FLOW, { programName: 'big' });
    const intervals = Array.from({ length: 5000 }, (_, id) => ({
      id,
      payloads: [{ type: 'PRICE', values: [(id % 24) / 100] }],
    }));
    for (let i = 0; i < 100; i++)
      await v.service.create('events', FLOW, { programID: p.id, eventName: `big-${i}`, intervals });
    const res = await fetch(`http://127.0.0.1:${port}/`);
    const html = await res.text();
    assert.ok(html.length < 1_000_000, `page is ${html.length} bytes`);
    assert.match(html, /big-0/);
    assert.match(html, /id="count-events">100</);
    const more = /<a id="more-events" href="([^"]+)"/.exec(html);
    assert.ok(more, 'a link to the next page of events');
    const next = await (
      await fetch(`http://127.0.0.1:${port}/${more![1].replace(/^\//, '').replace(/&amp;/g, '&')}`)
    ).text();
    assert.ok(next.length < 1_000_000);
    assert.doesNotMatch(next, />big-0</);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.strictEqual(res.headers.get('x-frame-options'), 'DENY');
    assert.strictEqual(res.headers.get('x-content-type-options'), 'nosniff');
    assert.strictEqual(res.headers.get('referrer-policy'), 'no-referrer');
  });

  it('can be turned off', async () => {
    v = await createVtn({ statusPage: false });
    const { port } = await v.listen(0, '127.0.0.1');
    assert.strictEqual((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
  });
});
