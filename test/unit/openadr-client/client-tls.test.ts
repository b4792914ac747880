/**
 * The VEN client against the VTN over HTTPS, real handshakes: the certificate is verified by
 * default, a refused one is a 'tls' error naming the reason (never retried), a private CA or
 * the explicit unverified setting lets it through, and the token request uses the same TLS.
 */
import assert from 'assert';
import { createVenClient, createVtn, type PemPair, type Vtn, type VtnOptions } from '../../../src';
import { OpenAdrError } from '../../../src/openadr/client';
import { testCertificates } from '../../support/tls';

describe('VEN client over TLS', function () {
  this.timeout(20000);
  const certs = testCertificates();
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  /** A VTN on HTTPS with `pem`. */
  async function vtnWith(
    pem: PemPair,
    extra: Partial<VtnOptions> = {},
  ): Promise<{ vtn: Vtn; url: string; url31: string }> {
    const vtn = await createVtn({ store: ':memory:', tls: { cert: pem.cert, key: pem.key }, ...extra });
    open.push(vtn);
    const { url } = await vtn.listen(0, '127.0.0.1');
    return { vtn, url, url31: url.replace('3.0.1', '3.1.0') };
  }

  const ven = (baseUrl: string, tls?: Parameters<typeof createVenClient>[0]['tls']) => {
    const c = createVenClient({
      baseUrl,
      auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
      tls,
      retries: 3,
      backoffMs: 1,
    });
    open.push(c);
    return c;
  };

  /** Refused for `reason`; the error and the health carry OpenSSL's / Node's `code` (for translations). */
  async function refused(
    baseUrl: string,
    reason: RegExp,
    tls?: Parameters<typeof createVenClient>[0]['tls'],
    code?: string,
  ) {
    const c = ven(baseUrl, tls);
    await assert.rejects(c.getPrograms(), (err: OpenAdrError & { code?: string }) => {
      assert.ok(err instanceof OpenAdrError, String(err));
      assert.strictEqual(err.kind, 'tls');
      assert.strictEqual(err.retryable, false, 'a certificate problem is not retried');
      assert.match(err.message, reason);
      if (code) assert.strictEqual(err.code, code);
      return true;
    });
    const h = c.health();
    assert.strictEqual(h.state, 'tls-failed');
    assert.match(h.lastError ?? '', reason);
    if (code) assert.strictEqual(h.tlsCode, code);
    return c;
  }

  it('refuses a self-signed certificate by default, saying so', async () => {
    const { url } = await vtnWith(certs.selfSigned);
    await refused(
      url,
      /^VTN certificate refused: self-signed certificate/,
      undefined,
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
  });

  it('refuses a certificate from a CA it was not given (unknown CA)', async () => {
    const { url } = await vtnWith(certs.server);
    await refused(url, /^VTN certificate refused: certificate issued by an unknown CA/);
  });

  it('refuses an expired certificate even from a trusted CA', async () => {
    const { url } = await vtnWith(certs.expired);
    await refused(url, /^VTN certificate refused: certificate expired/, { ca: certs.ca.cert });
  });

  it('refuses a certificate for another host (hostname mismatch)', async () => {
    const { url } = await vtnWith(certs.otherHost);
    await refused(
      url,
      /^VTN certificate refused: hostname mismatch \(127\.0\.0\.1 is not in the certificate\)/,
      { ca: certs.ca.cert },
      'ERR_TLS_CERT_ALTNAME_INVALID',
    );
  });

  it('does not retry a refused certificate: one connection attempt per request', async () => {
    const { vtn, url } = await vtnWith(certs.selfSigned);
    // Count TLS client errors on the VTN's server: each refused handshake is one.
    const attempts = await countHandshakes(vtn, async () => {
      const c = ven(url);
      await assert.rejects(c.getPrograms(), /self-signed/);
    });
    assert.strictEqual(attempts, 1);
  });

  it('trusts a private CA: token and API over the same TLS settings (3.1.0 /auth/server too)', async () => {
    const { url, url31 } = await vtnWith(certs.server);
    const c = ven(url, { ca: certs.ca.cert });
    assert.deepStrictEqual(await c.getPrograms(), []);
    assert.strictEqual(c.health().state, 'ok');
    assert.strictEqual(c.tlsVerified, true);
    const c31 = ven(url31, { ca: certs.ca.cert });
    assert.strictEqual(await c31.tokenUrl(), `${url31}/auth/token`);
    assert.deepStrictEqual(await c31.getPrograms(), []);
  });

  it('accepts an unverified certificate only when told to, and says it is unverified', async () => {
    const { url } = await vtnWith(certs.selfSigned);
    const c = ven(url, { rejectUnauthorized: false });
    assert.deepStrictEqual(await c.getPrograms(), []);
    assert.strictEqual(c.tlsVerified, false);
  });

  it('presents a client certificate to a VTN that requires one', async () => {
    const vtn = await createVtn({
      store: ':memory:',
      tls: {
        cert: certs.server.cert,
        key: certs.server.key,
        ca: certs.clientCa.cert,
        requireClientCert: true,
      },
    });
    open.push(vtn);
    const { url } = await vtn.listen(0, '127.0.0.1');
    const withCert = ven(url, { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key });
    assert.deepStrictEqual(await withCert.getPrograms(), []);
    const without = ven(url, { ca: certs.ca.cert });
    await assert.rejects(without.getPrograms(), (err: OpenAdrError) => {
      assert.strictEqual(err.kind, 'tls');
      assert.match(err.message, /requires a client certificate/);
      return true;
    });
  });
});

/** How many TLS handshakes the VTN's server saw fail while `fn` ran. */
async function countHandshakes(vtn: Vtn, fn: () => Promise<void>): Promise<number> {
  const server = vtn.server;
  assert.ok(server, 'the VTN is listening');
  let n = 0;
  const count = (): void => {
    n++;
  };
  server.on('tlsClientError', count);
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    server.off('tlsClientError', count);
  }
  return n;
}
