/** `npm run vtn` (scripts/vtn.js): the standalone VTN serves the demo clients and stops on SIGTERM. */
import assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import crypto from 'crypto';
import fs from 'fs';
import https from 'https';
import os from 'os';
import path from 'path';
import tls from 'tls';
import { parseChangeStats, type ChangeStatsSnapshot } from '../../src';
import { listen, requireBroker } from '../support/mqtt-broker';
import { freePort } from '../support/ports';
import { waitFor } from '../support/node-red-process';
import { createTestDatabase, requirePostgres } from '../support/postgres';
import { testCertificates } from '../support/tls';

const root = path.resolve(__dirname, '..', '..');
const script = path.join(root, 'scripts', 'vtn.js');

/** SIGTERM every VTN process and wait until each has exited. */
async function stopAll(children: ChildProcess[]): Promise<void> {
  for (const c of children) c.kill('SIGTERM');
  await Promise.all(
    children.map((c) =>
      c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
    ),
  );
}

describe('e2e: npm run vtn', function () {
  this.timeout(60000);

  it('serves the demo clients at /openadr3/3.0.1 and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [script, '--memory', '--port', String(port)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('listening at'), 40000, `the VTN to start (output: ${out})`);
      const base = `http://127.0.0.1:${port}/openadr3/3.0.1`;
      assert.ok(out.includes(base), out);
      const r = await fetch(`${base}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
      });
      const token = ((await r.json()) as { access_token: string }).access_token;
      const programs = await fetch(`${base}/programs`, { headers: { Authorization: `Bearer ${token}` } });
      assert.deepStrictEqual(await programs.json(), [], 'a fresh VTN has no programs');
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.strictEqual(code, 0);
  });

  it('--pg URL: two processes on one PostgreSQL database serve the same data (password never printed)', async function () {
    await requirePostgres(this);
    const db = await createTestDatabase();
    const url = new URL(db.url);
    url.password = 'not-printed'; // trust auth ignores it; the banner must not show it
    const children = [await freePort(), await freePort()].map((port) => {
      const child = spawn(process.execPath, [script, '--pg', url.toString(), '--port', String(port)], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const proc = { child, port, out: '' };
      child.stdout.on('data', (d) => (proc.out += d));
      child.stderr.on('data', (d) => (proc.out += d));
      return proc;
    });
    try {
      for (const c of children)
        await waitFor(() => c.out.includes('listening at'), 40000, `the VTN to start (output: ${c.out})`);
      for (const c of children) {
        assert.match(c.out, /store: postgres:postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
        assert.ok(!c.out.includes('not-printed'), c.out);
      }
      const [a, b] = children.map((c) => `http://127.0.0.1:${c.port}/openadr3/3.0.1`);
      const r = await fetch(`${a}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
      });
      const token = ((await r.json()) as { access_token: string }).access_token;
      const created = await fetch(`${a}/programs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ programName: 'shared' }),
      });
      assert.strictEqual(created.status, 201);
      const seen = await fetch(`${b}/programs`, { headers: { Authorization: `Bearer ${token}` } });
      assert.deepStrictEqual(
        ((await seen.json()) as Array<{ programName: string }>).map((p) => p.programName),
        ['shared'],
      );
    } finally {
      await stopAll(children.map((c) => c.child));
      await db.drop();
    }
  });

  it('--mqtt URL and --change-stats: two processes on PostgreSQL publish each change once and each hears all of them', async function () {
    const broker = await requireBroker(this);
    await requirePostgres(this);
    const db = await createTestDatabase();
    // A prefix of our own: other runs share the machine's broker. The broker takes anonymous
    // clients and ignores the user and password; the banner must not print the password.
    const prefix = `test-${crypto.randomUUID()}/OpenADR/3.1.0`;
    const mqttUrl = new URL(broker);
    mqttUrl.username = 'vtn';
    mqttUrl.password = 'mqtt-secret';
    const shown = new URL(mqttUrl);
    shown.password = '***';
    const sub = await listen(broker, `${prefix}/programs/create`);
    const children = [await freePort(), await freePort()].map((port) => {
      const child = spawn(
        process.execPath,
        [
          script,
          ...['--pg', db.url, '--port', String(port)],
          ...['--mqtt', mqttUrl.toString(), '--mqtt-prefix', prefix, '--change-stats', '0'],
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const proc = { child, port, out: '' };
      child.stdout.on('data', (d) => (proc.out += d));
      child.stderr.on('data', (d) => (proc.out += d));
      return proc;
    });
    /** SIGUSR2 → the process prints (and restarts) its change-stats line. */
    const statsOf = async (c: (typeof children)[number]): Promise<ChangeStatsSnapshot> => {
      const from = c.out.length;
      c.child.kill('SIGUSR2');
      let s: ChangeStatsSnapshot | undefined;
      await waitFor(() => (s = parseChangeStats(c.out.slice(from))) !== undefined, 10000, `stats (${c.out})`);
      return s!;
    };
    try {
      for (const c of children)
        await waitFor(() => c.out.includes('change stats:'), 40000, `the VTN to start (output: ${c.out})`);
      for (const c of children) {
        assert.ok(c.out.includes(`MQTT: publishing to ${shown} under ${prefix}/`), c.out);
        assert.ok(!c.out.includes('mqtt-secret'), c.out);
      }
      const bases = children.map((c) => `http://127.0.0.1:${c.port}/openadr3/3.0.1`);
      const r = await fetch(`${bases[0]}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_id=bl_client&client_secret=1001',
      });
      const token = ((await r.json()) as { access_token: string }).access_token;
      // 3 programs through the first process, 2 through the second.
      const names = ['a-1', 'a-2', 'a-3', 'b-1', 'b-2'];
      for (const name of names) {
        const created = await fetch(`${bases[name.startsWith('a') ? 0 : 1]}/programs`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ programName: name }),
        });
        assert.strictEqual(created.status, 201);
      }
      await waitFor(() => sub.received.length >= names.length, 10000, 'the MQTT messages');
      // Room for a second copy (another instance publishing what it only heard) to show up.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepStrictEqual(sub.received.map((m) => m.body.programName).sort(), names, 'each change once');
      const [a, b] = [await statsOf(children[0]), await statsOf(children[1])];
      assert.deepStrictEqual(
        [a.heard, a.local, a.remote, b.heard, b.local, b.remote],
        [5, 3, 2, 5, 2, 3],
        "each process hears its own changes and the other's",
      );
      for (const s of [a, b]) assert.ok(s.timed === 5 && s.lagMaxMs < 5000, JSON.stringify(s));
      const again = await statsOf(children[0]);
      assert.strictEqual(again.heard, 0, 'each line covers the window since the previous one');
    } finally {
      await sub.client.endAsync(true);
      await stopAll(children.map((c) => c.child));
      await db.drop();
    }
    for (const c of children) assert.strictEqual(c.child.exitCode, 0, c.out);
  });

  it('--help documents --mqtt and --change-stats; --mqtt rejects what is not a broker URL', () => {
    const help = spawnSync(process.execPath, [script, '--help'], { cwd: root, encoding: 'utf8' });
    assert.strictEqual(help.status, 0);
    for (const flag of ['--mqtt mqtt://user:password@host:1883', '--mqtt-prefix', '--change-stats'])
      assert.ok(help.stdout.includes(flag), `${flag} in:\n${help.stdout}`);
    const bad = spawnSync(process.execPath, [script, '--mqtt', 'http://broker'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.strictEqual(bad.status, 2);
    assert.match(bad.stderr, /--mqtt needs a broker URL/);
  });

  it('--no-status-page turns the status page off; --callbacks takes public, lan, loopback or lan,loopback', async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [script, '--memory', '--port', String(port), '--no-status-page', '--callbacks', 'lan,loopback'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('listening at'), 40000, `the VTN to start (output: ${out})`);
      assert.match(out, /webhook callbacks: public https, LAN and loopback/);
      assert.strictEqual((await fetch(`http://127.0.0.1:${port}/`)).status, 404);
    } finally {
      child.kill('SIGTERM');
    }
    await new Promise((resolve) => child.once('exit', resolve));
    const bad = spawnSync(process.execPath, [script, '--callbacks', 'everywhere'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.strictEqual(bad.status, 2);
    assert.match(bad.stderr, /--callbacks is public, lan, loopback or lan,loopback/);
  });

  it('rejects an unknown option with a clear message', () => {
    const r = spawnSync(process.execPath, [script, '--bogus'], { cwd: root, encoding: 'utf8' });
    assert.strictEqual(r.status, 2);
    assert.match(r.stderr, /unknown option --bogus/);
  });
});

describe('e2e: npm run vtn over HTTPS', function () {
  this.timeout(60000);
  const certs = testCertificates();
  const children: ChildProcess[] = [];
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtn-tls-'));
  });
  afterEach(async () => {
    await stopAll(children.splice(0));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Start the script; resolves with its output once it says it is listening. */
  async function start(args: string[]): Promise<{ out: () => string; child: ChildProcess }> {
    const child = spawn(process.execPath, [script, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('listening at') || child.exitCode !== null, 40000, `the VTN (${out})`);
    assert.ok(out.includes('listening at'), out);
    return { out: () => out, child };
  }

  /** Run the script expecting it to refuse to start: its exit code and what it said. */
  function refused(args: string[]): { status: number | null; stderr: string } {
    const r = spawnSync(process.execPath, [script, ...args], { cwd: dir, encoding: 'utf8', timeout: 30000 });
    return { status: r.status, stderr: r.stderr };
  }

  function file(name: string, text: string): string {
    const f = path.join(dir, name);
    fs.writeFileSync(f, text);
    return f;
  }

  function get(url: string, options: https.RequestOptions = {}): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      https
        .get(url, { agent: false, ...options }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        })
        .on('error', reject);
    });
  }

  /** One handshake with these versions: the protocol agreed, or the failure's code. */
  function handshake(port: number, options: tls.ConnectionOptions): Promise<string> {
    return new Promise((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
      s.once('secureConnect', () => {
        resolve(s.getProtocol() ?? '');
        s.end();
      });
      s.once('error', (err: NodeJS.ErrnoException) => resolve(`refused: ${err.code}`));
    });
  }

  it('--tls-cert/--tls-key/--tls-ca --public-url: TLS 1.2 and 1.3 accepted, TLS 1.1 refused, advertised URLs from the public URL', async () => {
    const port = await freePort();
    await start([
      '--memory',
      '--port',
      String(port),
      '--tls-cert',
      file('cert.pem', certs.server.cert),
      '--tls-key',
      file('key.pem', certs.server.key),
      '--tls-ca',
      file('ca.pem', certs.ca.cert),
      '--public-url',
      'https://vtn.example.com',
    ]);
    assert.strictEqual(await handshake(port, { ca: certs.ca.cert, maxVersion: 'TLSv1.2' }), 'TLSv1.2');
    assert.strictEqual(await handshake(port, { ca: certs.ca.cert, minVersion: 'TLSv1.3' }), 'TLSv1.3');
    const old = await handshake(port, {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0', // so that this client really offers TLS 1.1
      rejectUnauthorized: false,
    });
    assert.match(old, /^refused: .*(PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL)/);
    const server = await get(`https://127.0.0.1:${port}/openadr3/3.1.0/auth/server`, {
      ca: certs.ca.cert,
      servername: 'localhost',
      headers: { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' },
    });
    assert.deepStrictEqual(JSON.parse(server.text), {
      tokenURL: 'https://vtn.example.com/openadr3/3.1.0/auth/token',
    });
  });

  it('--dev-cert: a local CA beside the store, its path printed for curl --cacert, reused on the next start', async () => {
    const port = await freePort();
    const first = await start(['--store', path.join(dir, 'vtn.db'), '--port', String(port), '--dev-cert']);
    const caFile = path.join(dir, 'openadr3-vtn-dev-tls', 'ca.pem');
    // The certificate lines follow the 'listening at' line, maybe in a later chunk of output.
    const certLines = (run: { out: () => string }) =>
      waitFor(() => run.out().includes('curl --cacert'), 10000, 'the development certificate lines');
    await certLines(first);
    assert.match(first.out(), /development certificate \(made\)/);
    assert.ok(first.out().includes(`curl --cacert ${caFile}`), first.out());
    assert.match(first.out(), new RegExp(`listening at https://127\\.0\\.0\\.1:${port}/`));
    const ca = fs.readFileSync(caFile, 'utf8');
    const r = await get(`https://localhost:${port}/openadr3/3.0.1/programs`, { ca });
    assert.strictEqual(r.status, 401, 'verified against the printed CA, the API answers');
    const curl = spawnSync(
      'curl',
      ['-sS', '--cacert', caFile, `https://127.0.0.1:${port}/openadr3/3.1.0/auth/server`],
      {
        encoding: 'utf8',
      },
    );
    if (curl.status !== null && !curl.error) assert.match(curl.stdout, /"tokenURL":"https:\/\/127\.0\.0\.1:/);
    await stopAll(children.splice(0));
    const second = await start(['--store', path.join(dir, 'vtn.db'), '--port', String(port), '--dev-cert']);
    await certLines(second);
    assert.match(second.out(), /development certificate \(reused\)/);
    assert.strictEqual(fs.readFileSync(caFile, 'utf8'), ca, 'the CA VENs trust stays the same');
  });

  it('plain HTTP off loopback exits non-zero with a message, unless --behind-proxy with --public-url', async () => {
    const plain = refused(['--memory', '--host', '0.0.0.0', '--port', '0']);
    assert.strictEqual(plain.status, 2);
    assert.match(plain.stderr, /plain HTTP on 0\.0\.0\.0 is refused.*--tls-cert.*--behind-proxy/);
    const noUrl = refused(['--memory', '--host', '0.0.0.0', '--behind-proxy']);
    assert.strictEqual(noUrl.status, 2);
    assert.match(noUrl.stderr, /--behind-proxy needs --public-url/);
    const clients = file('clients.txt', 'ops s3cret BL\nheater-1 h1 VEN\n');
    const port = await freePort();
    const proxied = await start([
      '--memory',
      '--host',
      '0.0.0.0',
      '--port',
      String(port),
      '--behind-proxy',
      '--public-url',
      'https://vtn.example.com',
      '--clients',
      clients,
    ]);
    assert.match(proxied.out(), /listening at https:\/\/vtn\.example\.com\/openadr3\/3\.0\.1/);
    const r = await fetch(`http://127.0.0.1:${port}/openadr3/3.1.0/auth/server`, {
      headers: { 'X-Forwarded-Host': 'evil.example' },
    });
    assert.deepStrictEqual(await r.json(), { tokenURL: 'https://vtn.example.com/openadr3/3.1.0/auth/token' });
  });

  it('the demo clients off loopback only with --insecure-demo-clients, with a warning; a --clients file needs no flag', async () => {
    const demo = refused(['--memory', '--host', '0.0.0.0', '--port', '0', '--dev-cert']);
    assert.strictEqual(demo.status, 2);
    assert.match(
      demo.stderr,
      /demo clients .* are not served on 0\.0\.0\.0.*--clients FILE.*--insecure-demo-clients/,
    );
    // Behind a proxy a loopback bind is reachable from the network just the same.
    const proxied = refused([
      '--memory',
      '--port',
      '0',
      '--behind-proxy',
      '--public-url',
      'https://vtn.example.com',
    ]);
    assert.strictEqual(proxied.status, 2);
    assert.match(proxied.stderr, /demo clients .* are not served on 127\.0\.0\.1/);
    const insecure = await start([
      '--memory',
      '--host',
      '0.0.0.0',
      '--port',
      String(await freePort()),
      '--dev-cert',
      '--insecure-demo-clients',
    ]);
    await waitFor(() => /WARNING/.test(insecure.out()), 5000, 'the warning');
    assert.match(insecure.out(), /WARNING: the demo clients' secrets are public/);
    await stopAll(children.splice(0));
    const own = await start([
      '--memory',
      '--host',
      '0.0.0.0',
      '--port',
      String(await freePort()),
      '--dev-cert',
      '--clients',
      file('clients.txt', 'ops s3cret BL\n'),
    ]);
    assert.doesNotMatch(own.out(), /WARNING/);
    assert.match(own.out(), /clients: 1 from/);
  });
});
