/**
 * The servers under test for `npm run bench:vtn`, run as their own process so the load generator
 * (autocannon, in the parent) does not share an event loop or a garbage collector with them —
 * as in production, where VENs are other machines. Serves, on four loopback ports:
 *  - the VTN (in-memory store) holding one program with EVENTS pricing events, and
 *  - a bare Node `http` server answering every request with the bytes the VTN returns for the poll;
 *  - the same over TLS: a second VTN with the same data on HTTPS (a certificate from a local CA),
 *    and a bare Node `https` server with the same certificate and the bytes that VTN returns.
 * Prints one JSON line `{vtnPollUrl, barePollUrl, vtnTlsPollUrl, bareTlsPollUrl, token, tlsToken,
 * bytes, tlsBytes, events}` on stdout when ready and exits when its stdin closes (so a crashed
 * parent never leaves it behind).
 */
import http from 'http';
import https from 'https';
import type { AddressInfo } from 'net';
import { createCertificateAuthority, createVtn, issueCertificate, type Vtn } from '../src';
import { createVenClient } from '../src/openadr/client';
import { priceEvent } from './vtn-fleet';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1000);

/**
 * One VEN token stands in for a fleet polling at thousands of requests a second: its quota is set
 * out of reach, so every request still pays for the quota check but none is refused.
 */
const FLEET_QUOTA = { VEN: { perSecond: 1e9, burst: 1e9 } };

const bl = {
  clientID: null,
  role: 'BL' as const,
  scopes: ['read_all', 'write_programs', 'write_events'],
};

/** One program with EVENTS price events; returns the program id. */
async function seed(vtn: Vtn): Promise<string> {
  const program = await vtn.service.create('programs', bl, { programName: 'bench' });
  for (let i = 0; i < EVENTS; i++) {
    await vtn.service.create('events', bl, priceEvent(String(program.id), i));
  }
  return String(program.id);
}

/** The body of one GET over HTTPS, trusting `ca`. */
function httpsBytes(url: string, token: string, ca: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`poll answered ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

/** The VTN over TLS and a bare https server with the same certificate and the same bytes. */
async function tlsPair(): Promise<{
  vtn: Vtn;
  bare: https.Server;
  vtnTlsPollUrl: string;
  bareTlsPollUrl: string;
  tlsToken: string;
  tlsBytes: number;
}> {
  const ca = createCertificateAuthority({ commonName: 'bench CA' });
  const pem = issueCertificate(ca, { commonName: 'localhost', names: ['localhost', '127.0.0.1'] });
  const vtn = await createVtn({
    store: ':memory:',
    quota: FLEET_QUOTA,
    tls: { cert: pem.cert, key: pem.key },
  });
  const { url } = await vtn.listen(0, '127.0.0.1');
  const programID = await seed(vtn);
  const client = createVenClient({
    baseUrl: url,
    auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
    tls: { ca: ca.cert },
  });
  const tlsToken = await client.getToken();
  await client.close();
  const vtnTlsPollUrl = `${url}/events?programID=${programID}`;
  const bytes = await httpsBytes(vtnTlsPollUrl, tlsToken, ca.cert);
  const bare = https.createServer({ cert: pem.cert, key: pem.key, minVersion: 'TLSv1.2' }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
    res.end(bytes);
  });
  bare.keepAliveTimeout = 5000;
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const port = (bare.address() as AddressInfo).port;
  return {
    vtn,
    bare,
    vtnTlsPollUrl,
    bareTlsPollUrl: `https://127.0.0.1:${port}/events?programID=${programID}`,
    tlsToken,
    tlsBytes: bytes.length,
  };
}

async function main(): Promise<void> {
  const vtn = await createVtn({ store: ':memory:', quota: FLEET_QUOTA });
  const { url } = await vtn.listen(0, '127.0.0.1');
  const program = { id: await seed(vtn) };
  const tokenRes = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=ven_client&client_secret=999',
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const vtnPollUrl = `${url}/events?programID=${program.id}`;
  const sample = await fetch(vtnPollUrl, { headers: { authorization: `Bearer ${token}` } });
  if (sample.status !== 200) throw new Error(`poll answered ${sample.status}`);
  const bytes = Buffer.from(await sample.arrayBuffer());
  const events = (JSON.parse(bytes.toString()) as unknown[]).length;

  const bare = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': bytes.length });
    res.end(bytes);
  });
  bare.keepAliveTimeout = 5000;
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
  const barePort = (bare.address() as AddressInfo).port;
  const barePollUrl = `http://127.0.0.1:${barePort}/events?programID=${program.id}`;

  const secure = await tlsPair();
  process.stdout.write(
    `${JSON.stringify({
      vtnPollUrl,
      barePollUrl,
      token,
      bytes: bytes.length,
      events,
      vtnTlsPollUrl: secure.vtnTlsPollUrl,
      bareTlsPollUrl: secure.bareTlsPollUrl,
      tlsToken: secure.tlsToken,
      tlsBytes: secure.tlsBytes,
    })}\n`,
  );
  process.stdin.resume();
  process.stdin.on('end', () => {
    bare.close();
    secure.bare.close();
    void Promise.all([vtn.close(), secure.vtn.close()]).then(() => process.exit(0));
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
