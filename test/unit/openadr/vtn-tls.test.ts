/**
 * The VTN on the network: HTTPS with real handshakes (TLS 1.2 and 1.3 accepted, 1.1 refused,
 * client certificates), plain HTTP only where it is safe, and advertised URLs that never come
 * from a request's Host or X-Forwarded-Host header.
 */
import assert from 'assert';
import http from 'http';
import https from 'https';
import tls from 'tls';
import type { AddressInfo } from 'net';
import { createVtn, parsePublicUrl, type Vtn, type VtnOptions } from '../../../src';
import { testCertificates } from '../../support/tls';

interface Answer {
  status: number;
  text: string;
  protocol?: string;
}

/** One HTTPS request with exactly these TLS settings (a fresh connection, no pooling). */
function httpsGet(
  url: string,
  options: https.RequestOptions & tls.ConnectionOptions = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: false, headers, ...options }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text,
          protocol: (res.socket as tls.TLSSocket).getProtocol?.() ?? undefined,
        }),
      );
    });
    req.on('error', reject);
  });
}

/** A raw HTTP request whose Host header we choose (fetch would not let us lie about it). */
function rawGet(url: string, headers: Record<string, string>, ca?: string): Promise<Answer> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        headers,
        ca,
        agent: false,
        servername: 'localhost',
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * A TLS handshake and one request: resolves the negotiated protocol when the server answers,
 * rejects with the failure (TLS 1.3 servers refuse a missing client certificate only after the
 * client's handshake finished, so the answer, not the handshake, is the proof).
 */
function handshake(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
    let answered = false;
    let failure: Error | undefined;
    let protocol = '';
    s.once('secureConnect', () => (protocol = s.getProtocol() ?? ''));
    s.once('secureConnect', () => s.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    s.on('data', () => (answered = true));
    s.on('error', (err) => (failure ??= err));
    s.once('close', () => {
      if (answered && !failure) resolve(protocol);
      else reject(failure ?? Object.assign(new Error('closed without an answer'), { code: 'NO_ANSWER' }));
    });
  });
}

describe('VTN over TLS', function () {
  this.timeout(20000);
  const certs = testCertificates();
  const open: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  async function start(
    options: VtnOptions,
    host = '127.0.0.1',
  ): Promise<{ vtn: Vtn; url: string; port: number }> {
    const vtn = await createVtn({ store: ':memory:', ...options });
    open.push(vtn);
    const { url, port } = await vtn.listen(0, host);
    return { vtn, url, port };
  }

  const serverTls = { cert: certs.server.cert, key: certs.server.key };

  it('serves the API over HTTPS, verified against its CA, with TLS 1.2 and 1.3', async () => {
    const { url, port } = await start({ tls: serverTls });
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/openadr3\/3\.0\.1$/);
    const r = await httpsGet(`${url}/programs`, { ca: certs.ca.cert });
    assert.strictEqual(r.status, 401, r.text); // reached the API: it wants a token
    assert.strictEqual(await handshake(port, { ca: certs.ca.cert, maxVersion: 'TLSv1.2' }), 'TLSv1.2');
    assert.strictEqual(await handshake(port, { ca: certs.ca.cert, minVersion: 'TLSv1.3' }), 'TLSv1.3');
  });

  it('refuses a client that speaks TLS 1.1 at most (the same client gets through to a server allowing it)', async () => {
    const { port } = await start({ tls: serverTls });
    const old: tls.ConnectionOptions = {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0', // OpenSSL 3 will not offer TLS 1.1 at its default level
      rejectUnauthorized: false,
    };
    await assert.rejects(handshake(port, old), (err: NodeJS.ErrnoException) => {
      assert.match(String(err.code), /ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/, err.message);
      return true;
    });
    // Control: the client really offers TLS 1.1 — a server that allows it completes the handshake.
    const lax = https.createServer(
      { ...serverTls, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' },
      (_q, s) => s.end('ok'),
    );
    await new Promise<void>((r) => lax.listen(0, '127.0.0.1', () => r()));
    open.push({ close: () => new Promise((r) => lax.close(r)) });
    assert.strictEqual(await handshake((lax.address() as AddressInfo).port, old), 'TLSv1.1');
  });

  it('requires client certificates signed by its CA when asked to', async () => {
    const { url, port } = await start({
      tls: { ...serverTls, ca: certs.clientCa.cert, requireClientCert: true },
    });
    const ok = await httpsGet(`${url}/programs`, {
      ca: certs.ca.cert,
      cert: certs.client.cert,
      key: certs.client.key,
    });
    assert.strictEqual(ok.status, 401, 'with a client certificate the API answers');
    await assert.rejects(handshake(port, { ca: certs.ca.cert }), (err: NodeJS.ErrnoException) => {
      assert.match(String(err.code), /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/, err.message);
      return true;
    });
    await assert.rejects(
      handshake(port, { ca: certs.ca.cert, cert: certs.strangerClient.cert, key: certs.strangerClient.key }),
      (err: NodeJS.ErrnoException) => {
        assert.match(String(err.code), /UNKNOWN_CA|BAD_CERTIFICATE|NO_ANSWER/, err.message);
        return true;
      },
    );
  });

  it('refuses client certificates without a CA to check them', async () => {
    const vtn = await createVtn({ tls: { ...serverTls, requireClientCert: true } });
    open.push(vtn);
    await assert.rejects(vtn.listen(0, '127.0.0.1'), /no CA is configured/);
  });

  it('refuses plain HTTP off loopback, naming the settings; allows it behind a proxy', async () => {
    const vtn = await createVtn({});
    open.push(vtn);
    await assert.rejects(vtn.listen(0, '0.0.0.0'), (err: Error) => {
      assert.match(err.message, /plain HTTP on 0\.0\.0\.0 is refused/);
      assert.match(err.message, /behind a TLS-terminating proxy/);
      assert.match(err.message, /certificate and key/);
      return true;
    });
    const behind = await start({ trustProxy: true, publicUrl: 'https://vtn.example.com' }, '0.0.0.0');
    assert.strictEqual(behind.url, 'https://vtn.example.com/openadr3/3.0.1');
    const r = await fetch(`http://127.0.0.1:${behind.port}/openadr3/3.0.1/programs`);
    assert.strictEqual(r.status, 401);
    // Loopback plain HTTP stays as it was (existing flows bound to 127.0.0.1 keep working).
    const local = await start({});
    assert.match(local.url, /^http:\/\/127\.0\.0\.1:/);
  });

  it('advertises its own origin, never the Host or X-Forwarded-Host header', async () => {
    const { url, port } = await start({ tls: serverTls });
    const hostile = {
      Host: 'evil.example:666',
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'http',
    };
    const server31 = `https://127.0.0.1:${port}/openadr3/3.1.0/auth/server`;
    const a = await rawGet(server31, hostile, certs.ca.cert);
    assert.strictEqual(a.status, 200, a.text);
    assert.deepStrictEqual(JSON.parse(a.text), {
      tokenURL: `https://127.0.0.1:${port}/openadr3/3.1.0/auth/token`,
    });
    const page = await rawGet(`https://127.0.0.1:${port}/`, hostile, certs.ca.cert);
    assert.ok(!page.text.includes('evil.example'), 'the status page repeats no header');
    assert.ok(page.text.includes(`href="${url}"`), 'the status page links the API at its own origin');
  });

  it('advertises the public URL when one is set, also behind a proxy that forwards a hostile host', async () => {
    const { port } = await start({ trustProxy: true, publicUrl: 'https://vtn.example.com/' });
    const a = await rawGet(`http://127.0.0.1:${port}/openadr3/3.1.0/auth/server`, {
      Host: 'evil.example',
      'X-Forwarded-Host': 'evil.example',
      'X-Forwarded-Proto': 'https',
    });
    assert.deepStrictEqual(JSON.parse(a.text), {
      tokenURL: 'https://vtn.example.com/openadr3/3.1.0/auth/token',
    });
    const page = await rawGet(`http://127.0.0.1:${port}/`, { Host: 'evil.example' });
    assert.ok(page.text.includes('href="https://vtn.example.com/openadr3/3.0.1"'), page.text.slice(0, 600));
    assert.ok(!page.text.includes('evil.example'));
    // Bound to loopback, but every request comes through the proxy: not "this machine only".
    assert.match(page.text, /id="sign-in"/, 'anonymous visitors through the proxy see no VEN details');
  });

  it('/notifiers names the configured broker, whatever the Host header says', async () => {
    const { vtn, port } = await start({
      tls: serverTls,
      // Nothing listens there: the binding is configuration, not a live connection.
      mqtt: {
        url: 'mqtts://127.0.0.1:1',
        publicUrl: 'mqtts://broker.example.com:8883',
        reconnectPeriodMs: 60000,
      },
      onError: () => undefined,
    });
    const token = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: '/openadr3/3.1.0/auth/token',
          method: 'POST',
          ca: certs.ca.cert,
          servername: 'localhost',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve((JSON.parse(text) as { access_token: string }).access_token));
        },
      );
      req.on('error', reject);
      req.end('grant_type=client_credentials&client_id=ven_client&client_secret=999');
    });
    const r = await rawGet(
      `https://127.0.0.1:${port}/openadr3/3.1.0/notifiers`,
      { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example', authorization: `Bearer ${token}` },
      certs.ca.cert,
    );
    assert.strictEqual(r.status, 200, r.text);
    assert.deepStrictEqual(JSON.parse(r.text).MQTT.URIS, ['mqtts://broker.example.com:8883']);
    assert.ok(vtn);
  });

  it('checks the public URL: an https origin only', async () => {
    assert.strictEqual(parsePublicUrl('https://vtn.example.com/'), 'https://vtn.example.com');
    assert.strictEqual(parsePublicUrl('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.throws(() => parsePublicUrl('http://vtn.example.com'), /must use https/);
    assert.throws(() => parsePublicUrl('https://vtn.example.com/openadr3'), /origin only/);
    assert.throws(() => parsePublicUrl('vtn.example.com'), /not a URL/);
    await assert.rejects(createVtn({ publicUrl: 'ftp://x' }), /must start with https/);
  });
});
