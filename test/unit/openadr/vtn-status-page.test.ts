/** The read-only status page at `/`: server-rendered HTML with stable ids; VEN details need BL when not on loopback. */
import assert from 'assert';
import { createVtn, type Vtn } from '../../../src';
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
    v = await createVtn();
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
