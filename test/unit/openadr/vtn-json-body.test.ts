/**
 * Request bodies the JSON parser used to let through: nesting thousands deep (a 500), unknown keys
 * inside known objects (stored as sent), numbers JSON can write but a double cannot hold (`1e400`
 * stored as null, integers past 2^53 silently rounded). Each is a 400 now, and no body whatever is
 * answered with a 500 (a property-based test throws random bodies at every write).
 */
import assert from 'assert';
import fc from 'fast-check';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';
import { caller31 } from '../../support/vtn31';

describe('VTN request bodies: depth, numbers, unknown keys, no 500', () => {
  let t: TestVtn;
  let bl: string;
  let ven: string;
  let programID: string;

  before(async () => {
    t = await startTestVtn({ quota: { VEN: false } });
    bl = await t.token('bl_client', '1001');
    ven = await t.token('ven_client', '999');
    programID = (await t.call('POST', '/programs', bl, { programName: 'bodies' })).body.id;
  });
  after(async () => t.close());

  const raw = (method: string, path: string, text: string, token = bl) => t.call(method, path, token, text);
  const price = (value: string): string =>
    `{"programID":"${programID}","eventName":"n","intervals":[{"id":0,"payloads":[{"type":"PRICE","values":[${value}]}]}]}`;

  it('refuses JSON nested thousands deep with a 400 naming the depth limit (both API versions)', async () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    for (const text of [
      `{"programName":"deep","targets":${deep(5000)}}`,
      `{"programName":"deep","x":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
      deep(5000),
    ]) {
      const r = await raw('POST', '/programs', text);
      assert.strictEqual(r.status, 400, r.text);
      assert.match(r.body.detail, /nest.*jsonDepth/);
    }
    const r31 = await caller31(t)('POST', '/programs', bl, JSON.parse(`{"programName":"d","x":${deep(40)}}`));
    assert.strictEqual(r31.status, 400, r31.text);
  });

  it('does not store unknown keys inside known objects', async () => {
    const r = await t.call('POST', '/events', bl, {
      programID,
      eventName: 'extras',
      intervalPeriod: { start: '2026-02-17T19:00:00Z', duration: 'PT1H', junk: 1 },
      intervals: [{ id: 0, junk: { deep: true }, payloads: [{ type: 'PRICE', values: [0.1], junk: 'x' }] }],
      payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD', junk: 2 }],
    });
    assert.strictEqual(r.status, 201, r.text);
    const stored = (await t.call('GET', `/events/${r.body.id}`, bl)).body;
    assert.doesNotMatch(JSON.stringify(stored), /junk/);
    assert.deepStrictEqual(stored.intervals, [{ id: 0, payloads: [{ type: 'PRICE', values: [0.1] }] }]);
    assert.deepStrictEqual(stored.payloadDescriptors, [
      { payloadType: 'PRICE', units: 'KWH', currency: 'USD' },
    ]);
  });

  it('refuses numbers a double cannot hold: 1e400, -1e400, 1e-400, integers past 2^53', async () => {
    for (const n of [
      '1e400',
      '-1e400',
      '1E+400',
      '1e-400',
      '9007199254740993',
      '-9007199254740993',
      '123456789012345678901234567890',
    ]) {
      const r = await raw('POST', '/events', price(n));
      assert.strictEqual(r.status, 400, `${n}: ${r.text}`);
      assert.match(r.body.detail, /number/, n);
    }
    for (const n of ['9007199254740991', '0.1', '-0', '1e21', '1.7976931348623157e308', '5e-324', '0e999']) {
      const r = await raw('POST', '/events', price(n));
      assert.strictEqual(r.status, 201, `${n}: ${r.text}`);
    }
    // A number inside a string is text, not a number.
    const s = await raw('POST', '/programs', '{"programName":"1e400 and 9007199254740993"}');
    assert.strictEqual(s.status, 201, s.text);
  });

  it('never answers 500, whatever the body (property-based)', async function () {
    this.timeout(120000);
    const paths = ['/programs', '/events', '/reports', '/subscriptions', '/vens'];
    const body = fc.oneof(
      fc.json({ depthSize: 'medium' }),
      fc.jsonValue().map((v) => JSON.stringify({ programID, eventName: 'f', intervals: [v] })),
      fc.record({ programName: fc.jsonValue(), targets: fc.jsonValue() }).map((v) => JSON.stringify(v)),
      fc.string(),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.boolean(),
        fc.boolean(),
        body,
        async (path, asVen, put, text) => {
          const target = put ? `${path}/not-there` : path;
          const r = await raw(put ? 'PUT' : 'POST', target, text, asVen ? ven : bl);
          assert.ok(r.status < 500, `${r.status} for ${target} ${text.slice(0, 200)}: ${r.text}`);
          if (r.status >= 400) assert.strictEqual(r.body?.status, r.status, r.text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
