/**
 * HTTPS in Node-RED, real handshakes: the openadr3-vtn node serving TLS from Node-RED's own
 * tls-config node (client certificates when asked), refusing plain HTTP beyond loopback with a
 * red status that names the setting, flows saved before TLS still working on loopback; and the
 * VEN side — an untrusted certificate red with its reason, a private CA green, the explicit
 * unverified setting yellow "TLS not verified".
 */
import assert from 'assert';
import fs from 'fs';
import https from 'https';
import os from 'os';
import path from 'path';
import { builtNode, helper, inLanguage, recordStatuses, type TestNode } from '../support/node-helper';
import { freePort } from '../support/ports';
import { waitFor } from '../support/node-red-process';
import { createVtn, type PemPair, type Vtn } from '../../src';
import { testCertificates } from '../support/tls';
import { recentStartIso } from '../support/clock';

const vtnNode = builtNode('openadr3-vtn');
const configNode = builtNode('openadr3-vtn-config');
const venNode = builtNode('openadr3-ven');
const publishNode = builtNode('openadr3-publish');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const tlsNode = require('@node-red/nodes/core/network/05-tls.js');

type Status = { fill?: string; shape?: string; text?: string };

/** A tls-config node with pasted-in PEM text (its credentials), as the editor's upload makes it. */
function tlsConfig(id: string, pem: Partial<PemPair> & { ca?: string }, verify = true) {
  return {
    node: { id, type: 'tls-config', cert: '', key: '', ca: '', verifyservercert: verify },
    credentials: { certdata: pem.cert ?? '', keydata: pem.key ?? '', cadata: pem.ca ?? '' },
  };
}

function get(url: string, options: https.RequestOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent: false, ...options }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** Program "tou" with a price event for this hour and the next, so a VEN polling it can go green. */
async function addPrices(server: Vtn): Promise<void> {
  const bl = { clientID: null, role: 'BL' as const, scopes: ['read_all', 'write_programs', 'write_events'] };
  const program = await server.service.create('programs', bl, { programName: 'tou' });
  await server.service.create('events', bl, {
    programID: program.id,
    eventName: 'today',
    intervalPeriod: { start: recentStartIso(), duration: 'PT1H' },
    payloadDescriptors: [{ payloadType: 'PRICE', units: 'KWH', currency: 'USD' }],
    intervals: [0.11, 0.22].map((v, id) => ({ id, payloads: [{ type: 'PRICE', values: [v] }] })),
  });
}

async function until(
  what: string,
  statuses: Status[],
  test: (s: Status) => boolean,
  ms = 8000,
): Promise<void> {
  await waitFor(() => statuses.some(test), ms, `${what} (statuses: ${JSON.stringify(statuses)})`);
}

describe('nodes: HTTPS (openadr3-vtn with tls-config, openadr3-vtn-config TLS)', function () {
  this.timeout(30000);
  const certs = testCertificates();
  let port: number;
  beforeEach(async () => {
    port = await freePort();
  });
  afterEach(() => helper.unload());

  const vtn = (extra: Record<string, unknown> = {}) => ({
    id: 'vtn1',
    type: 'openadr3-vtn',
    port,
    host: '127.0.0.1',
    storeType: 'memory',
    configVersion: 2,
    wires: [[]],
    ...extra,
  });

  it('serves HTTPS with the tls-config certificate, TLS 1.2 or later', async () => {
    const t = tlsConfig('tls1', { cert: certs.server.cert, key: certs.server.key });
    await helper.load([tlsNode, vtnNode], [t.node, vtn({ tls: 'tls1' })], { tls1: t.credentials });
    const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
    await until(
      'listening https',
      statuses,
      (s) => s.fill === 'green' && /^listening https :/.test(s.text ?? ''),
    );
    assert.strictEqual(
      await get(`https://localhost:${port}/openadr3/3.0.1/programs`, { ca: certs.ca.cert }),
      401,
    );
    await assert.rejects(
      get(`https://localhost:${port}/openadr3/3.0.1/programs`, {
        ca: certs.ca.cert,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      }),
      /protocol version|unsupported protocol/i,
    );
  });

  it('requires client certificates signed by the tls-config CA when set to', async () => {
    const t = tlsConfig('tls1', { cert: certs.server.cert, key: certs.server.key, ca: certs.clientCa.cert });
    await helper.load([tlsNode, vtnNode], [t.node, vtn({ tls: 'tls1', clientCerts: 'require' })], {
      tls1: t.credentials,
    });
    const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
    await until('listening https', statuses, (s) => /^listening https/.test(s.text ?? ''));
    const url = `https://localhost:${port}/openadr3/3.0.1/programs`;
    assert.strictEqual(
      await get(url, { ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key }),
      401,
    );
    await assert.rejects(get(url, { ca: certs.ca.cert }));
  });

  it('refuses plain HTTP beyond loopback with a red status naming the setting', async () => {
    await helper.load(vtnNode, [vtn({ host: '0.0.0.0' })]);
    const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
    await until(
      'red',
      statuses,
      (s) => s.fill === 'red' && /plain HTTP on 0\.0\.0\.0: choose a TLS configuration/.test(s.text ?? ''),
    );
    const r = await fetch(`http://127.0.0.1:${port}/`).catch((e: Error) => e);
    assert.ok(r instanceof Error, 'nothing listens');
  });

  it('in German: the refusal and the HTTPS status come from the German catalog', async () => {
    await inLanguage('de', async () => {
      await helper.load(vtnNode, [vtn({ host: '0.0.0.0' })]);
      const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
      await until(
        'red, in German',
        statuses,
        (s) => s.fill === 'red' && s.text === 'HTTP ohne TLS auf 0.0.0.0: eine TLS-Konfiguration wählen',
      );
      await helper.unload();
      const t = tlsConfig('tls1', { cert: certs.server.cert, key: certs.server.key });
      await helper.load([tlsNode, vtnNode], [t.node, vtn({ tls: 'tls1' })], { tls1: t.credentials });
      const https = recordStatuses(helper.getNode('vtn1') as TestNode);
      await until('listening, in German', https, (s) =>
        /^lauscht auf https :\d+ · 0 Programme · 0 Events · 0 VENs$/.test(s.text ?? ''),
      );
    });
  });

  it('behind a TLS-terminating proxy: plain HTTP on any address, public URL required and advertised', async () => {
    await helper.load(vtnNode, [vtn({ host: '0.0.0.0', behindProxy: true })]);
    let statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
    await until(
      'red without public URL',
      statuses,
      (s) => s.fill === 'red' && /set the public URL/.test(s.text ?? ''),
    );
    await helper.unload();
    await helper.load(vtnNode, [
      vtn({ host: '0.0.0.0', behindProxy: true, publicUrl: 'https://vtn.example.com' }),
    ]);
    statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
    await until('listening', statuses, (s) =>
      /^(demo secrets on 0\.0\.0\.0! )?listening :/.test(s.text ?? ''),
    );
    const r = await fetch(`http://127.0.0.1:${port}/openadr3/3.1.0/auth/server`, {
      headers: { 'X-Forwarded-Host': 'evil.example' },
    });
    assert.deepStrictEqual(await r.json(), { tokenURL: 'https://vtn.example.com/openadr3/3.1.0/auth/token' });
  });

  it('a flow saved before TLS (config version 1) on 127.0.0.1 keeps serving plain HTTP', async () => {
    const old = vtn();
    delete (old as Record<string, unknown>).configVersion;
    await helper.load(vtnNode, [old]);
    const statuses = recordStatuses(helper.getNode('vtn1') as TestNode);
    await until('listening', statuses, (s) => s.fill === 'green' && /^listening :/.test(s.text ?? ''));
    assert.strictEqual((await fetch(`http://127.0.0.1:${port}/openadr3/3.0.1/programs`)).status, 401);
  });

  it('a development certificate in the user directory, trusted by a connection in the same Node-RED', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nr-devcert-'));
    helper.settings({ userDir });
    try {
      const flow = [
        vtn({ devCert: true }),
        {
          id: 'cfg',
          type: 'openadr3-vtn-config',
          baseUrl: `https://127.0.0.1:${port}/openadr3/3.0.1`,
          authMode: 'oauth2',
          retries: 2,
          timeoutS: 5,
          trustDevCa: true,
          configVersion: 2,
        },
        {
          id: 'ven',
          type: 'openadr3-ven',
          vtn: 'cfg',
          programName: 'tou',
          pollIntervalS: 60,
          wires: [[], []],
        },
      ];
      await helper.load([vtnNode, configNode, venNode], flow, {
        cfg: { clientId: 'ven_client', clientSecret: '999' },
      });
      const vtnStatuses = recordStatuses(helper.getNode('vtn1') as TestNode);
      const venStatuses = recordStatuses(helper.getNode('ven') as TestNode);
      await until('listening https', vtnStatuses, (s) => /^listening https :/.test(s.text ?? ''));
      const ca = fs.readFileSync(path.join(userDir, 'openadr3-vtn', 'dev-tls', 'ca.pem'), 'utf8');
      assert.strictEqual(await get(`https://127.0.0.1:${port}/openadr3/3.0.1/programs`, { ca }), 401);
      // The VEN got through TLS (verified) to the API: the program is simply not there yet.
      await until(
        'an answer',
        venStatuses,
        (s) => /tou/.test(s.text ?? '') && !/certificate|TLS/.test(s.text ?? ''),
      );
      assert.ok(!venStatuses.some((s) => /certificate|TLS/.test(s.text ?? '')), JSON.stringify(venStatuses));
    } finally {
      helper.settings({});
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('plain HTTP to a VTN on another machine works but is never green: "no TLS (plain http)"', async function () {
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === 'IPv4');
    if (!lan) this.skip();
    const server = await createVtn({
      store: ':memory:',
      trustProxy: true,
      publicUrl: 'https://vtn.example.com',
    });
    try {
      await server.listen(port, '0.0.0.0');
      await addPrices(server);
      const flow = [
        {
          id: 'cfg',
          type: 'openadr3-vtn-config',
          baseUrl: `http://${lan!.address}:${port}/openadr3/3.0.1`,
          authMode: 'oauth2',
          retries: 0,
          configVersion: 2,
        },
        {
          id: 'ven',
          type: 'openadr3-ven',
          vtn: 'cfg',
          programName: 'tou',
          pollIntervalS: 60,
          wires: [[], []],
        },
      ];
      await helper.load([configNode, venNode], flow, {
        cfg: { clientId: 'ven_client', clientSecret: '999' },
      });
      const statuses = recordStatuses(helper.getNode('ven') as TestNode);
      await until(
        'prices, yellow',
        statuses,
        (s) => s.fill === 'yellow' && /^no TLS \(plain http\) · .*2 slots/.test(s.text ?? ''),
      );
      assert.ok(!statuses.some((s) => s.fill === 'green'), JSON.stringify(statuses));
      await helper.unload();
    } finally {
      await server.close();
    }
  });

  describe('the VEN side', () => {
    let server: Vtn;
    let base: string;
    async function serve(pem: PemPair): Promise<void> {
      server = await createVtn({ store: ':memory:', tls: { cert: pem.cert, key: pem.key } });
      base = (await server.listen(0, '127.0.0.1')).url;
      await addPrices(server);
    }
    afterEach(async () => server?.close());

    async function venStatuses(
      cfg: Record<string, unknown>,
      tls?: ReturnType<typeof tlsConfig>,
    ): Promise<Status[]> {
      const flow: unknown[] = [
        {
          id: 'cfg',
          type: 'openadr3-vtn-config',
          baseUrl: base,
          authMode: 'oauth2',
          retries: 2,
          timeoutS: 5,
          configVersion: 2,
          ...cfg,
        },
        {
          id: 'ven',
          type: 'openadr3-ven',
          vtn: 'cfg',
          programName: 'tou',
          pollIntervalS: 60,
          wires: [[], []],
        },
      ];
      const creds: Record<string, unknown> = { cfg: { clientId: 'ven_client', clientSecret: '999' } };
      if (tls) {
        flow.push(tls.node);
        creds[tls.node.id] = tls.credentials;
      }
      await helper.load([tlsNode, configNode, venNode], flow, creds);
      return recordStatuses(helper.getNode('ven') as TestNode);
    }

    it('an untrusted (self-signed) certificate is red and says so', async () => {
      await serve(certs.selfSigned);
      const statuses = await venStatuses({});
      await until(
        'red',
        statuses,
        (s) => s.fill === 'red' && /^VTN certificate refused: self-signed certificate/.test(s.text ?? ''),
      );
    });

    it('a certificate for another host is red: hostname mismatch', async () => {
      await serve(certs.otherHost);
      const t = tlsConfig('tls-ca', { ca: certs.ca.cert });
      const statuses = await venStatuses({ tls: 'tls-ca' }, t);
      await until(
        'red',
        statuses,
        (s) => s.fill === 'red' && /^VTN certificate refused: hostname mismatch/.test(s.text ?? ''),
      );
    });

    it('trusted with the private CA of a tls-config: green prices', async () => {
      await serve(certs.server);
      const t = tlsConfig('tls-ca', { ca: certs.ca.cert });
      const statuses = await venStatuses({ tls: 'tls-ca' }, t);
      await until('green', statuses, (s) => s.fill === 'green' && /2 slots/.test(s.text ?? ''));
      assert.ok(!statuses.some((s) => /certificate|TLS/.test(s.text ?? '')), JSON.stringify(statuses));
    });

    describe('in German (runtime language de)', () => {
      it('an untrusted certificate: "VTN-Zertifikat abgelehnt: selbstsigniertes Zertifikat"', async () => {
        await serve(certs.selfSigned);
        await inLanguage('de', async () => {
          const statuses = await venStatuses({});
          await until(
            'red, in German',
            statuses,
            (s) => s.fill === 'red' && s.text === 'VTN-Zertifikat abgelehnt: selbstsigniertes Zertifikat',
          );
          assert.ok(!statuses.some((s) => /refused/.test(s.text ?? '')), JSON.stringify(statuses));
        });
      });

      it('a certificate for another host: "… Hostname stimmt nicht überein"', async () => {
        await serve(certs.otherHost);
        const t = tlsConfig('tls-ca', { ca: certs.ca.cert });
        await inLanguage('de', async () => {
          const statuses = await venStatuses({ tls: 'tls-ca' }, t);
          await until(
            'red, in German',
            statuses,
            (s) => s.fill === 'red' && s.text === 'VTN-Zertifikat abgelehnt: Hostname stimmt nicht überein',
          );
        });
      });

      it('"allow unverified certificates": yellow "TLS nicht verifiziert · …"', async () => {
        await serve(certs.selfSigned);
        await inLanguage('de', async () => {
          const statuses = await venStatuses({ allowUnverified: true });
          await until(
            'yellow prices, in German',
            statuses,
            (s) => s.fill === 'yellow' && /^TLS nicht verifiziert · .*2 Intervalle/.test(s.text ?? ''),
          );
        });
      });

      it('a publish refused by the certificate is red in German (the log keeps the full message)', async () => {
        await serve(certs.selfSigned);
        await inLanguage('de', async () => {
          await helper.load(
            [configNode, publishNode],
            [
              {
                id: 'cfg',
                type: 'openadr3-vtn-config',
                baseUrl: base,
                authMode: 'oauth2',
                retries: 0,
                timeoutS: 5,
                configVersion: 2,
              },
              { id: 'pub', type: 'openadr3-publish', vtn: 'cfg', wires: [[]] },
            ],
            { cfg: { clientId: 'bl_client', clientSecret: '1001' } },
          );
          const pub = helper.getNode('pub') as TestNode;
          const statuses = recordStatuses(pub);
          pub.receive({ payload: { programName: 'tou2' } });
          await until(
            'red, in German',
            statuses,
            (s) => s.fill === 'red' && s.text === 'VTN-Zertifikat abgelehnt: selbstsigniertes Zertifikat',
          );
        });
      });
    });

    it('accepted with "allow unverified certificates": yellow, TLS not verified', async () => {
      await serve(certs.selfSigned);
      const statuses = await venStatuses({ allowUnverified: true });
      await until(
        'yellow prices',
        statuses,
        (s) => s.fill === 'yellow' && /^TLS not verified · .*2 slots/.test(s.text ?? ''),
      );
      assert.ok(!statuses.some((s) => s.fill === 'green'), JSON.stringify(statuses));
      assert.ok(!statuses.some((s) => /certificate refused/.test(s.text ?? '')), JSON.stringify(statuses));
    });
  });
});
