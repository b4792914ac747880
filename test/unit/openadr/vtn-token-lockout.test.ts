/**
 * Failed token requests are throttled per offender — a client id from one real client address —
 * with a wait that doubles per further failure. One client's wrong secrets never block another
 * client's right one, not even from the same address (a NAT, a proxy); failures for client ids
 * that do not exist are throttled per address. Behind a trusted proxy the real address is the one
 * the proxy appended to X-Forwarded-For; otherwise that header is ignored.
 */
import assert from 'assert';
import type { IncomingMessage } from 'http';
import type { Socket } from 'net';
import { TokenAuthority } from '../../../src/openadr/vtn/auth';
import { clientAddress } from '../../../src/openadr/vtn/client-address';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

const CLIENTS = [
  { id: 'bl_client', secret: '1001', role: 'BL' as const },
  { id: 'ven_a', secret: 'right-a', role: 'VEN' as const },
  { id: 'ven_b', secret: 'right-b', role: 'VEN' as const },
];

const form = { 'content-type': 'application/x-www-form-urlencoded' };
const body = (id: string, secret: string): string =>
  `grant_type=client_credentials&client_id=${id}&client_secret=${secret}`;

function request(remote: string, xff?: string): IncomingMessage {
  return {
    socket: { remoteAddress: remote } as Socket,
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
  } as IncomingMessage;
}

describe('VTN token endpoint lockout', () => {
  let t: TestVtn | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('one client’s wrong secrets never block another client’s right one (same address)', async () => {
    t = await startTestVtn({ clients: CLIENTS });
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push(
        (await t.call('POST', '/auth/token', undefined, body('ven_a', `wrong${i}`), form)).status,
      );
    assert.ok(statuses.includes(429), `ven_a is throttled: ${statuses.join()}`);
    const b = await t.call('POST', '/auth/token', undefined, body('ven_b', 'right-b'), form);
    assert.strictEqual(b.status, 200, b.text);
    const bl = await t.call('POST', '/auth/token', undefined, body('bl_client', '1001'), form);
    assert.strictEqual(bl.status, 200, bl.text);
    // The throttled offender is told when to come back.
    const a = await t.call('POST', '/auth/token', undefined, body('ven_a', 'right-a'), form);
    assert.strictEqual(a.status, 429);
    assert.match(a.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  });

  it('throttles guesses at unknown client ids per address', async () => {
    t = await startTestVtn({ clients: CLIENTS });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++)
      statuses.push((await t.call('POST', '/auth/token', undefined, body(`nobody${i}`, 'x'), form)).status);
    assert.ok(statuses.includes(429), statuses.join());
    assert.strictEqual(
      (await t.call('POST', '/auth/token', undefined, body('ven_b', 'right-b'), form)).status,
      200,
    );
  });

  it('backs off per offender: each further failure doubles the wait', () => {
    const auth = new TokenAuthority({ clients: CLIENTS, signingSecret: 's', tokenLifetimeSeconds: 60 });
    let now = 1_000_000;
    const waits: number[] = [];
    for (let i = 0; i < 24; i++) {
      try {
        auth.issue('ven_a', 'wrong', '198.51.100.7', now);
      } catch (err) {
        const retry = Number((err as { headers: Record<string, string> }).headers['Retry-After']);
        waits.push(retry);
        now += retry * 1000; // come back exactly when told
      }
    }
    assert.ok(waits.length >= 5, waits.join());
    for (let i = 1; i < waits.length; i++) assert.ok(waits[i] >= waits[i - 1], waits.join());
    assert.ok(waits[waits.length - 1] >= 4 * waits[0], waits.join());
    // Another address is another offender; the right secret from it works at once.
    assert.ok(auth.issue('ven_a', 'right-a', '203.0.113.9', now));
  });

  it('clientAddress: the socket address, or the address a trusted proxy appended', () => {
    assert.strictEqual(clientAddress(request('10.0.0.5', '198.51.100.7'), false), '10.0.0.5');
    assert.strictEqual(clientAddress(request('10.0.0.5', '203.0.113.1, 198.51.100.7'), true), '198.51.100.7');
    assert.strictEqual(clientAddress(request('10.0.0.5', 'not-an-address'), true), '10.0.0.5');
    assert.strictEqual(clientAddress(request('10.0.0.5'), true), '10.0.0.5');
    assert.strictEqual(clientAddress(request('::ffff:192.0.2.1'), false), '192.0.2.1');
  });

  it('behind a trusted proxy, clients are told apart by their real address', async () => {
    t = await startTestVtn({ clients: CLIENTS, trustProxy: true });
    const from = (ip: string) => ({ ...form, 'x-forwarded-for': ip });
    for (let i = 0; i < 30; i++)
      await t.call('POST', '/auth/token', undefined, body('ven_a', `wrong${i}`), from('198.51.100.7'));
    assert.strictEqual(
      (await t.call('POST', '/auth/token', undefined, body('ven_a', 'right-a'), from('198.51.100.7'))).status,
      429,
    );
    assert.strictEqual(
      (await t.call('POST', '/auth/token', undefined, body('ven_a', 'right-a'), from('203.0.113.9'))).status,
      200,
    );
  });
});
