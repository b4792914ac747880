/** Edge cases: hostile input never gives a 500; switches; resource targeting; redirects not followed. */
import assert from 'assert';
import http from 'http';
import { loadSpec } from '../../../src';
import { freePort } from '../../support/ports';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

describe('VTN edge cases', () => {
  let t: TestVtn;
  afterEach(async () => t?.close());

  it('never answers 500 to malformed bodies or query parameters on any operation', async () => {
    t = await startTestVtn();
    const bl = await t.token('bl_client', '1001');
    const ven = await t.token('ven_client', '999');
    const bodies = [
      'null',
      '[]',
      '"text"',
      '123',
      '{"programName":{}}',
      '{"intervals":"x","programID":"a b"}',
      '{"__proto__":{"x":1}}',
      '{"a":' + '['.repeat(2000) + ']'.repeat(2000) + '}',
    ];
    const queries = [
      'skip=abc',
      'limit=1.5',
      'limit=-1',
      'programID=a&programID=b',
      'targetValues=',
      'programID=%00',
      'skip=99999999999999999999',
    ];
    for (const op of loadSpec().operations) {
      if (op.operationId === 'fetchToken') continue;
      const token = op.scopes.includes('write_reports') ? ven : bl;
      const p = op.path.replace(/\{\w+\}/g, 'some-id');
      if (op.method === 'post' || op.method === 'put') {
        for (const b of bodies) {
          const r = await t.call(op.method.toUpperCase(), p, token, b);
          assert.ok(
            r.status >= 400 && r.status < 500,
            `${op.operationId} ${b.slice(0, 30)} → ${r.status} ${r.text.slice(0, 200)}`,
          );
          assert.strictEqual(typeof r.body.detail, 'string');
        }
      } else if (op.method === 'get') {
        for (const q of queries) {
          const r = await t.call('GET', `${p}?${q}`, token);
          assert.ok(r.status < 500, `${op.operationId} ?${q} → ${r.status} ${r.text}`);
        }
      }
    }
    const r = await t.call('POST', '/auth/token', undefined, '%%%', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.ok(r.status < 500, `token endpoint: ${r.status}`);
  });

  it('lets BL delete reports only when switched on (never create them)', async () => {
    t = await startTestVtn({ blCanDeleteReports: true });
    const bl = await t.token('bl_client', '1001');
    const ven = await t.token('ven_client', '999');
    const p = await t.call('POST', '/programs', bl, { programName: 'p' });
    const e = await t.call('POST', '/events', bl, { programID: p.body.id, intervals: [] });
    const rep = await t.call('POST', '/reports', ven, {
      programID: p.body.id,
      eventID: e.body.id,
      clientName: 'c',
      resources: [],
    });
    assert.strictEqual(
      (
        await t.call('POST', '/reports', bl, {
          programID: p.body.id,
          eventID: e.body.id,
          clientName: 'c',
          resources: [],
        })
      ).status,
      403,
    );
    assert.strictEqual(
      (
        await t.call('PUT', `/reports/${rep.body.id}`, bl, {
          programID: p.body.id,
          eventID: e.body.id,
          clientName: 'c',
          resources: [],
        })
      ).status,
      403,
    );
    assert.strictEqual((await t.call('DELETE', `/reports/${rep.body.id}`, bl)).status, 200);
  });

  it('without the switch BL cannot delete reports; with cascade, a program delete removes its events and reports', async () => {
    t = await startTestVtn({ cascadeDeletes: true });
    const bl = await t.token('bl_client', '1001');
    const ven = await t.token('ven_client', '999');
    const p = await t.call('POST', '/programs', bl, { programName: 'p' });
    const e = await t.call('POST', '/events', bl, { programID: p.body.id, intervals: [] });
    const rep = await t.call('POST', '/reports', ven, {
      programID: p.body.id,
      eventID: e.body.id,
      clientName: 'c',
      resources: [],
    });
    assert.strictEqual((await t.call('DELETE', `/reports/${rep.body.id}`, bl)).status, 403);
    assert.strictEqual((await t.call('DELETE', `/programs/${p.body.id}`, bl)).status, 200);
    assert.strictEqual((await t.call('GET', `/events/${e.body.id}`, bl)).status, 404);
    assert.strictEqual((await t.call('GET', `/reports/${rep.body.id}`, ven)).status, 404);
  });

  it('shows a VEN the events targeted at one of its resources', async () => {
    t = await startTestVtn();
    const bl = await t.token('bl_client', '1001');
    const ven = await t.token('ven_client', '999');
    const p = await t.call('POST', '/programs', bl, { programName: 'p' });
    const e = await t.call('POST', '/events', bl, {
      programID: p.body.id,
      targets: [{ type: 'RESOURCE_NAME', values: ['heater-7'] }],
      intervals: [],
    });
    assert.strictEqual((await t.call('GET', `/events/${e.body.id}`, ven)).status, 404);
    const v = await t.call('POST', '/vens', ven, { venName: 'home' });
    await t.call('POST', `/vens/${v.body.id}/resources`, ven, { resourceName: 'heater-7' });
    assert.strictEqual((await t.call('GET', `/events/${e.body.id}`, ven)).status, 200);
  });

  it('does not follow a redirect from a callback URL', async () => {
    const port = await freePort();
    let redirectedHits = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/elsewhere') redirectedHits++;
      res.writeHead(307, { location: '/elsewhere' });
      res.end();
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    t = await startTestVtn({ webhooks: { maxAttempts: 1, pollMs: 20 } });
    const bl = await t.token('bl_client', '1001');
    const s = await t.call('POST', '/subscriptions', bl, {
      clientName: 'c',
      programID: 'x',
      objectOperations: [
        { objects: ['PROGRAM'], operations: ['CREATE'], callbackUrl: `http://127.0.0.1:${port}/cb` },
      ],
    });
    await t.call('POST', '/programs', bl, { programName: 'p' });
    const end = Date.now() + 5000;
    let status: { state: string; lastError: string } | undefined;
    while (Date.now() < end) {
      status = (await t.call('GET', `/subscriptions/${s.body.id}`, bl)).body.deliveryStatus;
      if (status?.state === 'dead') break;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.strictEqual(status?.state, 'dead');
    assert.match(status!.lastError, /307.*not followed/);
    assert.strictEqual(redirectedHits, 0);
    await new Promise<void>((r) => server.close(() => r()));
  });
});
