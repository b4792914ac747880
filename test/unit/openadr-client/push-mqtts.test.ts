/**
 * MQTT over TLS end to end, real handshakes: a private Mosquitto with a TLS listener that requires
 * client certificates (started on a free port), the pack's VTN on HTTPS publishing to it with its
 * own client certificate and advertising an mqtts:// notifier with CERTIFICATE login, and a VEN
 * whose one TLS setting (private CA + client certificate) serves both the VTN and the broker.
 */
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { createVtn, issueCertificate, type Vtn } from '../../../src';
import {
  brokerOptions,
  createVenClient,
  startMqttPush,
  type MqttPush,
  type MqttPushState,
  type VenClient,
} from '../../../src/openadr/client';
import { PrivateBroker, waitFor } from '../../support/mqtt-broker';
import { freePort } from '../../support/ports';
import { requireTool } from '../../support/tools';
import { testCertificates } from '../../support/tls';

describe('MQTT push over TLS (private Mosquitto with client certificates)', function () {
  this.timeout(40000);
  const certs = testCertificates();
  let broker: PrivateBroker | undefined;
  let brokerUrl = '';
  let vtn: Vtn | undefined;
  let url31 = '';
  const closers: Array<() => Promise<unknown>> = [];

  before(async function () {
    requireTool(this, 'mosquitto');
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mqtts-'));
    // Readable by the user mosquitto drops to when started as root (test keys only).
    fs.chmodSync(dir, 0o755);
    closers.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = (name: string, text: string): string => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, text, { mode: 0o644 });
      return f;
    };
    broker = new PrivateBroker(port, [
      `certfile ${file('broker.pem', certs.server.cert)}`,
      `keyfile ${file('broker-key.pem', certs.server.key)}`,
      // Clients must show a certificate from the client CA; its name is their user name.
      `cafile ${file('client-ca.pem', certs.clientCa.cert)}`,
      'require_certificate true',
      'use_identity_as_username true',
      'tls_version tlsv1.2',
    ]);
    await broker.start();
    brokerUrl = `mqtts://localhost:${port}`;
    const vtnClient = issueCertificate(certs.clientCa, { commonName: 'vtn', client: true, server: false });
    vtn = await createVtn({
      store: ':memory:',
      tls: { cert: certs.server.cert, key: certs.server.key },
      mqtt: {
        url: brokerUrl,
        tls: { ca: certs.ca.cert, cert: vtnClient.cert, key: vtnClient.key },
        venAuthentication: { method: 'CERTIFICATE' },
      },
    });
    const { url } = await vtn.listen(0, '127.0.0.1');
    url31 = url.replace('3.0.1', '3.1.0');
  });

  after(async () => {
    await vtn?.close();
    await broker?.dispose();
    for (const c of closers.splice(0)) await c();
  });

  const ven = (tls: Parameters<typeof createVenClient>[0]['tls']): VenClient => {
    const c = createVenClient({
      baseUrl: url31,
      auth: { type: 'oauth2', clientId: 'ven_client', clientSecret: '999' },
      tls,
      retries: 0,
    });
    closers.push(() => c.close());
    return c;
  };

  async function blCreate(pathname: string, body: unknown): Promise<Record<string, unknown>> {
    const bl = createVenClient({
      baseUrl: url31,
      auth: { type: 'oauth2', clientId: 'bl_client', clientSecret: '1001' },
      tls: { ca: certs.ca.cert },
    });
    try {
      return (await bl.request('POST', pathname, { body })) as Record<string, unknown>;
    } finally {
      await bl.close();
    }
  }

  it('the VTN advertises the mqtts:// notifier and the VEN connects with its client certificate', async () => {
    const program = await blCreate('/programs', { programName: `mqtts-${Date.now()}` });
    const c = ven({ ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key });
    const changes: string[] = [];
    const states: MqttPushState[] = [];
    const push = (await startMqttPush({
      client: c,
      programID: String(program.id),
      onChange: (why) => changes.push(why),
      onState: (s) => states.push(s),
      debounceMs: 20,
    })) as MqttPush;
    closers.push(() => push.close());
    assert.strictEqual(push.url, brokerUrl);
    await waitFor(() => push.state().active, 10000);
    assert.ok(push.state().active, JSON.stringify(states));
    await waitFor(() => changes.includes('subscribed'), 5000);
    await blCreate('/events', {
      programID: program.id,
      eventName: 'over-tls',
      intervals: [{ id: 0, payloads: [{ type: 'PRICE', values: [0.2] }] }],
    });
    await waitFor(() => changes.includes('message'), 5000);
    assert.ok(changes.includes('message'), `a notification arrived over MQTTS: ${changes.join(',')}`);
  });

  it('CERTIFICATE login without a client certificate: a clear error, not a connection loop', async () => {
    const program = await blCreate('/programs', { programName: `mqtts-nocert-${Date.now()}` });
    const c = ven({ ca: certs.ca.cert });
    await assert.rejects(
      startMqttPush({ client: c, programID: String(program.id), onChange: () => undefined }),
      /client certificate/,
    );
  });

  it('an untrusted broker certificate is reported in words', async () => {
    const program = await blCreate('/programs', { programName: `mqtts-untrusted-${Date.now()}` });
    // Trusts the VTN's CA for HTTPS… but a broker options check with another CA fails the handshake.
    const { url, options } = brokerOptions(
      { URIS: ['mqtt://127.0.0.1:1', brokerUrl], authentication: { method: 'CERTIFICATE' } },
      {},
      { ca: certs.clientCa.cert, cert: certs.client.cert, key: certs.client.key },
    );
    assert.strictEqual(url, brokerUrl, 'the TLS URI is preferred');
    assert.strictEqual(options.rejectUnauthorized, true);
    const c = ven({ ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key });
    const states: MqttPushState[] = [];
    const push = (await startMqttPush({
      client: c,
      programID: String(program.id),
      onChange: () => undefined,
      onState: (s) => states.push(s),
      connect: (u, o) =>
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require('mqtt').connect(u, { ...o, ca: certs.clientCa.cert, reconnectPeriod: 60000 }),
    })) as MqttPush;
    closers.push(() => push.close());
    await waitFor(() => states.some((s) => /certificate refused/.test(s.error ?? '')), 10000);
    assert.ok(
      states.some((s) =>
        /broker certificate refused: certificate issued by an unknown CA/.test(s.error ?? ''),
      ),
      JSON.stringify(states),
    );
  });
});
