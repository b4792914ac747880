/**
 * A VEN client for a VTN found by name: `locate` is asked before the first request and again
 * only after the VTN could not be reached; `lookup` resolves host names for its connections.
 * Real HTTP against two VTNs on 127.0.0.1 (the LAN tests do the same over mDNS).
 */
import assert from 'assert';
import dns from 'dns';
import type { LookupFunction } from 'net';
import { createVenClient, OpenAdrError } from '../../../src/openadr/client';
import { startTestVtn, type TestVtn } from '../../support/vtn-client';

const auth = { type: 'oauth2' as const, clientId: 'ven_client', clientSecret: '999' };

describe('VEN client: a VTN found by name', () => {
  let first: TestVtn;
  let second: TestVtn;
  before(async () => {
    first = await startTestVtn();
    second = await startTestVtn();
    for (const [t, programName] of [
      [first, 'first'],
      [second, 'second'],
    ] as const) {
      const bl = await t.token('bl_client', '1001');
      assert.strictEqual((await t.call('POST', '/programs', bl, { programName })).status, 201);
    }
  });
  after(async () => {
    await first.close();
    await second.close().catch(() => undefined);
  });

  it('asks where the VTN is once, then again only after it could not be reached', async () => {
    let where = first.url;
    const asked: string[] = [];
    const client = createVenClient({
      baseUrl: 'http://127.0.0.1:1/openadr3/3.0.1', // the last known place: nothing there now
      auth,
      locate: async () => {
        asked.push(where);
        return where;
      },
      retries: 2,
      sleep: async () => undefined,
    });
    assert.deepStrictEqual(
      (await client.getPrograms()).map((p) => p.programName),
      ['first'],
    );
    assert.deepStrictEqual(
      (await client.getPrograms()).map((p) => p.programName),
      ['first'],
    );
    assert.strictEqual(asked.length, 1, 'located once for two requests');
    assert.strictEqual(client.baseUrl, first.url);

    // The VTN "moves": the old place stops answering, the name now leads to the new one.
    where = second.url;
    await first.close();
    assert.deepStrictEqual(
      (await client.getPrograms()).map((p) => p.programName),
      ['second'],
    );
    assert.strictEqual(asked.length, 2);
    assert.strictEqual(client.baseUrl, second.url);
    assert.strictEqual(client.health().state, 'ok');
    first = await startTestVtn(); // for after()
  });

  it('says the VTN cannot be found as a retryable network failure (unreachable, not broken)', async () => {
    const client = createVenClient({
      baseUrl: 'http://127.0.0.1:1/openadr3/3.0.1',
      auth,
      locate: async () => {
        throw new Error('no VTN "Home VTN" announced on the network (mDNS, 3 s)');
      },
      retries: 1,
      sleep: async () => undefined,
    });
    await assert.rejects(client.getPrograms(), (err: unknown) => {
      assert.ok(err instanceof OpenAdrError);
      assert.strictEqual(err.kind, 'network');
      assert.match(err.message, /cannot find the VTN: no VTN "Home VTN" announced/);
      return true;
    });
    assert.strictEqual(client.health().state, 'unreachable');
  });

  it('connects through the lookup it is given, keeping the host name in the URL', async () => {
    const port = new URL(second.url).port;
    const looked: string[] = [];
    const lookup = ((host: string, options: dns.LookupOptions, callback: (...a: unknown[]) => void) => {
      looked.push(host);
      const address = host === 'vtn-home.local' ? '127.0.0.1' : undefined;
      if (!address) return callback(Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
      if (options.all) callback(null, [{ address, family: 4 }]);
      else callback(null, address, 4);
    }) as LookupFunction;
    const client = createVenClient({
      baseUrl: `http://vtn-home.local:${port}/openadr3/3.0.1`,
      auth,
      lookup,
      sleep: async () => undefined,
    });
    try {
      assert.deepStrictEqual(
        (await client.getPrograms()).map((p) => p.programName),
        ['second'],
      );
      assert.ok(looked.includes('vtn-home.local'), `looked up: ${looked}`);
    } finally {
      await client.close();
    }
  });
});
