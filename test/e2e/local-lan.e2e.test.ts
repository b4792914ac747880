/**
 * Local VTNs on a real (small) LAN: two network namespaces joined by a veth pair. "vtn-home"
 * (namespace a) runs VTNs that announce themselves with mDNS; "heater" (namespace b) browses,
 * resolves by name and connects as a VEN would. Each process runs inside its namespace.
 */
import assert from 'assert';
import path from 'path';
import type { AnnouncedVtn } from '../../src/openadr/local';
import {
  createLan,
  lanCertificates,
  requireLan,
  startAvahi,
  type Lan,
  type LanCertificates,
  type NsProcess,
} from '../support/netns';

const root = path.resolve(__dirname, '..', '..');
const tsx = ['--require', 'tsx/cjs'];
const fixture = (name: string): string => path.join(root, 'test', 'fixtures', 'local', name);

/** Wait for a line in what a process printed after `from`. */
async function waitInLog(p: NsProcess, from: number, pattern: RegExp, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(p.log().slice(from))) {
    if (Date.now() > until) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${p.log().slice(from)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function parseLines(log: string, tag: string): AnnouncedVtn[] {
  return log
    .split('\n')
    .filter((l) => l.startsWith(`${tag} `))
    .map((l) => JSON.parse(l.slice(tag.length + 1)) as AnnouncedVtn);
}

describe('local VTNs on a LAN (network namespaces)', function () {
  this.timeout(120_000);
  let lan: Lan;
  let certs: LanCertificates;

  before(async function () {
    requireLan(this);
    certs = lanCertificates();
    lan = await createLan({ a: 'vtn-home', b: 'heater' });
  });
  after(async () => {
    await lan?.destroy();
  });

  // Every VTN serves HTTPS with a certificate for <its host>.local from the LAN's CA.
  const startVtn = async (config: object, hostname?: string): Promise<NsProcess> => {
    const tls = certs.forHost(hostname ?? lan.a.hostname);
    const p = lan.run(
      lan.a,
      process.execPath,
      [...tsx, fixture('lan-vtn.ts'), JSON.stringify({ ...config, tls })],
      {
        cwd: root,
        hostname,
      },
    );
    await p.waitFor(/^ANNOUNCED /m, 30_000);
    return p;
  };
  /** A process on the other host that trusts the LAN's CA (`trusting = false`: only the system's). */
  const client = (...args: string[]): NsProcess => clientTrusting(true, ...args);
  const clientTrusting = (trusting: boolean, ...args: string[]): NsProcess =>
    lan.run(lan.b, process.execPath, [...tsx, fixture('lan-client.ts'), ...args], {
      cwd: root,
      env: { LAN_CA: trusting ? certs.caFile : '' },
    });
  const browse = async (ms = 3000): Promise<AnnouncedVtn[]> => {
    const p = client('browse', String(ms));
    const m = await p.waitFor(/^FOUND (.*)$/m, ms + 20_000);
    return JSON.parse(m[1]) as AnnouncedVtn[];
  };

  it('announces the VTN with PTR, SRV, A and the TXT keys; a VEN on the other host finds it and reads its programs', async () => {
    const vtn = await startVtn({
      port: 8443,
      name: 'Home VTN',
      programs: ['local-price', 'utility-dr'],
      anonymous: ['local-price'],
    });
    try {
      const found = await browse();
      const byName = new Map(found.map((v) => [v.name, v]));
      const v31 = byName.get('Home VTN');
      const v301 = byName.get('Home VTN (3-0-1)');
      assert.ok(v31 && v301, `both announcements: ${JSON.stringify(found)}`);
      assert.strictEqual(v31.host, 'vtn-home.local');
      assert.strictEqual(v31.port, 8443);
      assert.ok(v31.addresses.includes('10.231.0.1'), `A record: ${v31.addresses}`);
      assert.deepStrictEqual(v31.txt, {
        version: '3.1.0',
        base_path: 'openadr3/3.1.0',
        local_url: 'https://vtn-home.local:8443/openadr3/3.1.0',
        program_names: 'local-price',
        requires_auth: 'False',
        openapi_url: 'https://vtn-home.local:8443/openadr3/3.1.0/openapi.yaml',
      });
      assert.strictEqual(v31.requiresAuth, false);
      assert.deepStrictEqual(v31.programNames, ['local-price']);
      assert.strictEqual(v301.version, '3.0.1');
      assert.strictEqual(v301.url, 'https://vtn-home.local:8443/openadr3/3.0.1');

      // The VEN connects by the .local name, resolved on the LAN, without credentials.
      const ven = client('ven', 'Home VTN', 'anonymous');
      await ven.waitFor(/^PROGRAMS https:\/\/vtn-home\.local:8443\/openadr3\/3\.1\.0 local-price$/m, 30_000);
      await ven.stop();
      // Found on the LAN is not trusted: without the CA that signed its certificate, no connection.
      const stranger = clientTrusting(false, 'ven', 'Home VTN', 'anonymous');
      await stranger.waitFor(/^ERROR VTN certificate refused/m, 30_000);
      assert.doesNotMatch(stranger.log(), /^PROGRAMS /m);
      await stranger.stop();
      // The announced openapi_url serves the YAML.
      const get = client('get', v31.txt.openapi_url);
      await get.waitFor(/^GOT 200 openapi: 3\.0\.0$/m);
    } finally {
      await vtn.stop();
    }
  });

  it('announces program_names anew as programs change', async () => {
    const watch = client('watch');
    await watch.waitFor(/^WATCHING$/m);
    const vtn = await startVtn({ port: 8444, name: 'Busy VTN', programs: ['tou'] });
    try {
      await watch.waitFor(/^UP .*"name":"Busy VTN"/m);
      vtn.send(JSON.stringify({ add: 'critical-peak' }));
      await vtn.waitFor(/^PROGRAMS .*critical-peak/m);
      // Re-announced (goodbye + the new records at once): the browser has it back with the new TXT.
      await watch.waitFor(/^(UP|UPDATE) .*"name":"Busy VTN".*"program_names":"tou,critical-peak"/m, 20_000);
      vtn.send(JSON.stringify({ remove: 'tou' }));
      await watch.waitFor(/^(UP|UPDATE) .*"name":"Busy VTN".*"program_names":"critical-peak"/m, 20_000);
      const busy = parseLines(watch.log(), 'UP').filter((v) => v.name === 'Busy VTN');
      assert.strictEqual(busy[0].requiresAuth, true);
      // The last word on it says it is there.
      const last = watch
        .log()
        .split('\n')
        .filter((l) => /"name":"Busy VTN"/.test(l))
        .pop();
      assert.match(last ?? '', /^(UP|UPDATE) /);
    } finally {
      await vtn.stop();
      await watch.stop();
    }
  });

  it('tells two VTNs apart by program_names and resolves each by its name', async () => {
    const home = await startVtn({
      port: 8443,
      name: 'Home VTN',
      programs: ['local-price'],
      anonymous: ['local-price'],
    });
    const other = await startVtn(
      { port: 8445, name: 'Garage VTN', programs: ['ev-charging'], anonymous: ['ev-charging'] },
      'garage',
    );
    try {
      const found = (await browse()).filter((v) => v.version === '3.1.0');
      const programs = Object.fromEntries(found.map((v) => [v.name, v.programNames]));
      assert.deepStrictEqual(programs, { 'Garage VTN': ['ev-charging'], 'Home VTN': ['local-price'] });
      assert.strictEqual(found.find((v) => v.name === 'Garage VTN')!.host, 'garage.local');
      const ven = client('ven', 'Garage VTN', 'anonymous');
      await ven.waitFor(/^PROGRAMS https:\/\/garage\.local:8445\/openadr3\/3\.1\.0 ev-charging$/m, 30_000);
      await ven.stop();
    } finally {
      await Promise.all([home.stop(), other.stop()]);
    }
  });

  it('withdraws a stopped VTN at once (goodbye), long before its records would expire', async () => {
    const watch = client('watch');
    await watch.waitFor(/^WATCHING$/m);
    const vtn = await startVtn({ port: 8446, name: 'Short-lived VTN', programs: ['p'] });
    await watch.waitFor(/^UP .*"name":"Short-lived VTN"/m);
    const stoppedAt = Date.now();
    await vtn.stop(20_000);
    const stopped = /^STOPPED (\d+) ms$/m.exec(vtn.log());
    assert.ok(stopped, `${vtn.child.exitCode} ${vtn.child.signalCode} ${vtn.log()}`);
    console.log(`      (stopped in ${stopped[1]} ms, seen gone ${Date.now() - stoppedAt} ms after SIGTERM)`);
    await watch.waitFor(/^DOWN .*"name":"Short-lived VTN"/m, 10_000);
    // Records live 120 s (SRV, A) to 75 min (TXT): seen gone within seconds means a goodbye.
    assert.ok(Date.now() - stoppedAt < 10_000);
    await watch.stop();
  });

  it('finds a VTN that moved to another address again by its name', async () => {
    const vtn = await startVtn({
      port: 8447,
      name: 'Roaming VTN',
      programs: ['local-price'],
      anonymous: ['local-price'],
    });
    const ven = client('ven', 'Roaming VTN', 'anonymous');
    try {
      await ven.waitFor(/^PROGRAMS https:\/\/vtn-home\.local:8447\/\S+ local-price$/m, 30_000);
      assert.match(ven.log(), /^LOOKUP vtn-home\.local 10\.231\.0\.1$/m);
      lan.moveTo(lan.a, '10.231.0.7');
      const movedAt = Date.now();
      const before = ven.log().length;
      // The VTN re-announces its new address (it checks every 5 s); the VEN cannot reach the old
      // one, finds the VTN again by name and connects to vtn-home.local, now the new address.
      await waitInLog(ven, before, /^LOOKUP vtn-home\.local 10\.231\.0\.7$/m, 60_000);
      const after = ven.log().length;
      await waitInLog(ven, after, /^PROGRAMS https:\/\/vtn-home\.local:8447\/\S+ local-price$/m, 30_000);
      console.log(`      (reading again ${Date.now() - movedAt} ms after the move)`);
      if (process.env.SHOW_LAN) console.log(ven.log().slice(before));
      const found = (await browse()).find((v) => v.name === 'Roaming VTN');
      assert.deepStrictEqual(
        found?.addresses.filter((a) => !a.includes(':')),
        ['10.231.0.7'],
      );
    } finally {
      await ven.stop();
      await vtn.stop();
      lan.moveTo(lan.a, '10.231.0.1');
    }
  });

  it('npm run vtn -- --announce: found by its name, with its open programs', async () => {
    const script = lan.run(
      lan.a,
      process.execPath,
      [
        path.join(root, 'scripts', 'vtn.js'),
        '--memory',
        '--host',
        '0.0.0.0',
        '--port',
        '8448',
        '--announce',
        '--tls-cert',
        certs.forHost(lan.a.hostname).certFile,
        '--tls-key',
        certs.forHost(lan.a.hostname).keyFile,
        '--insecure-demo-clients',
        '--announce-name',
        'Script VTN',
        '--open-programs',
        'local-price',
      ],
      { cwd: root },
    );
    try {
      await script.waitFor(
        /^announced on \S+ as "Script VTN", "Script VTN \(3-0-1\)" \(_openadr3\._tcp\) at vtn-home\.local:8448$/m,
        30_000,
      );
      const found = (await browse()).find((v) => v.name === 'Script VTN');
      assert.ok(found, 'found');
      assert.strictEqual(found.url, 'https://vtn-home.local:8448/openadr3/3.1.0');
      assert.strictEqual(found.requiresAuth, false);
      assert.deepStrictEqual(found.programNames, [], 'no program yet: an empty program_names');
    } finally {
      await script.stop();
    }
  });

  it('is what avahi-browse shows on the other host', async function () {
    const avahi = await startAvahi(this, lan, lan.b);
    const vtn = await startVtn({
      port: 8443,
      name: 'Home VTN',
      programs: ['local-price'],
      anonymous: ['local-price'],
    });
    try {
      const out = await avahi.browse(['-r', '-p', '_openadr3._tcp'], 5000);
      const resolved = out.split('\n').filter((l) => l.startsWith('=;'));
      const home = resolved.find((l) => l.includes(';Home\\032VTN;'));
      assert.ok(home, `avahi-browse resolved it:\n${out}`);
      const fields = home.split(';');
      assert.deepStrictEqual(fields.slice(2, 10), [
        'IPv4',
        'Home\\032VTN',
        '_openadr3._tcp',
        'local',
        'vtn-home.local',
        '10.231.0.1',
        '8443',
        fields[9],
      ]);
      for (const kv of [
        'version=3.1.0',
        'base_path=openadr3/3.1.0',
        'local_url=https://vtn-home.local:8443/openadr3/3.1.0',
        'program_names=local-price',
        'requires_auth=False',
        'openapi_url=https://vtn-home.local:8443/openadr3/3.1.0/openapi.yaml',
      ])
        assert.ok(fields[9].includes(`"${kv}"`), `${kv} in ${fields[9]}`);
      // The same as a person reads it.
      const human = await avahi.browse(['-r', '_openadr3._tcp'], 4000);
      assert.match(human, /hostname = \[vtn-home\.local\]/);
      assert.match(human, /txt = \[.*"requires_auth=False".*\]/);
      if (process.env.SHOW_AVAHI) console.log(`${out}\n${human}`);
    } finally {
      await vtn.stop();
      await avahi.stop();
    }
  });
});
