/**
 * examples/home-gateway.json on a LAN of two network namespaces. "gateway" runs Node-RED with the
 * example as imported, except: the utility's price server is a local 3.1.0 server (anonymous,
 * in the other namespace, not announced) instead of the public one, and the BL credentials of the
 * home VTN are entered (they are never exported). Checked: the utility's price becomes the local
 * price (retail + emissions × 50 USD/t) in program local-price (marked local) on the home VTN,
 * which announces itself; the device VEN finds it by name and plans the simulated heater from
 * the local price; and a VEN on the other host finds it on the LAN and reads it too.
 */
import assert from 'assert';
import path from 'path';
import type { AnnouncedVtn } from '../../src/openadr/local';
import { createLan, lanCertificates, requireLan, type Lan, type NsProcess } from '../support/netns';
import { NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';
import { probeNodes, recorderNode } from '../support/probe-flow';

const MODULE = 'node-red-contrib-openadr3-hpwh';
const root = path.resolve(__dirname, '..', '..');
const HOUR = 3600_000;
type FlowNode = Record<string, unknown> & { id: string; type: string; wires?: string[][] };
interface Probe {
  statuses: Array<{ id: string; fill?: string; text?: string }>;
  caught: string[];
  timelines: Array<Array<{ start: string; price: number }>>;
  schedules: Array<{ intervals: number; prices: number[] }>;
  commands: Array<{ outcome?: string; command?: string }>;
}

/** The example's emissions day (g/kWh by local hour), as its function node has it. */
const BY_HOUR = [
  420, 415, 410, 405, 400, 395, 380, 340, 280, 220, 180, 160, 150, 150, 160, 190, 260, 360, 450, 470, 460,
  450, 440, 430,
];

describe('e2e: examples/home-gateway.json on a LAN (network namespaces)', function () {
  this.timeout(240_000);
  let lan: Lan;
  let utility: NsProcess | undefined;
  let red: NodeRedInstance | undefined;

  before(async function () {
    requireLan(this);
    lan = await createLan({ a: 'utility', b: 'gateway' });
  });
  after(async () => {
    await red?.stop();
    await lan?.destroy();
  });

  /** A device on the other host; it trusts the CA that signed the home VTN's certificate. */
  const client = (caFile: string, ...args: string[]): NsProcess =>
    lan.run(
      lan.a,
      process.execPath,
      ['--require', 'tsx/cjs', path.join(root, 'test/fixtures/local/lan-client.ts'), ...args],
      { cwd: root, hostname: 'heater', env: { LAN_CA: caFile } },
    );

  it('turns the utility price into a local price the home VTN announces, and devices find it by name', async () => {
    const certs = lanCertificates();
    const start = Math.floor(Date.now() / HOUR) * HOUR;
    const retail = Array.from({ length: 24 }, (_, h) => Math.round((0.12 + (h % 6) / 50) * 1000) / 1000);
    utility = lan.run(
      lan.a,
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        path.join(root, 'test/fixtures/local/lan-vtn.ts'),
        JSON.stringify({
          port: 8450,
          programs: ['EELEC-013532223'],
          anonymous: ['EELEC-013532223'],
          prices: { program: 'EELEC-013532223', values: retail, start },
          announce: false,
          tls: certs.forHost('utility', ['10.231.0.1']),
        }),
      ],
      { cwd: root },
    );
    await utility.waitFor(/^ANNOUNCED /m, 30_000);

    red = await startNodeRed({ runIn: lan.nodeRedIn(lan.b) });
    const res = await red.get(`/library/examples/flows/${MODULE}/home-gateway`);
    assert.strictEqual(res.status, 200);
    const imported = (await res.json()) as FlowNode[];
    assert.ok(imported.filter((n) => n.type === 'comment').length >= 3, 'explains itself in comment nodes');
    const vtnNode = imported.find((n) => n.type === 'openadr3-vtn')!;
    assert.deepStrictEqual(
      [vtnNode.host, vtnNode.announce, vtnNode.anonymousPrograms],
      ['0.0.0.0', true, 'local-price'],
    );

    const tab = 'hg-tab';
    const probe = [
      ...probeNodes(tab, {
        statusScope: [
          'hg-ven-utility',
          'hg-local-price',
          'hg-publish',
          'hg-vtn',
          'hg-ven-home',
          'hg-lp',
          'hg-cta',
        ],
        statusValue: '({ id: msg.status.source.id, fill: msg.status.fill, text: msg.status.text })',
        keys: ['statuses', 'caught', 'timelines', 'schedules', 'commands'],
      }),
      recorderNode(
        tab,
        'probe-rec-timeline',
        'timelines',
        'msg.payload.map((s) => ({ start: s.start, price: s.price }))',
      ),
      recorderNode(
        tab,
        'probe-rec-schedule',
        'schedules',
        '{ intervals: msg.payload.intervals.length, prices: msg.payload.intervals.map((i) => i.price) }',
      ),
      recorderNode(tab, 'probe-rec-command', 'commands', 'msg.payload'),
    ];
    const flow = imported.map((n) => {
      const copy: FlowNode = JSON.parse(JSON.stringify(n));
      // The utility's server (not announced: it is the grid's, not the home's), over HTTPS with a
      // certificate from the LAN's CA.
      if (copy.id === 'hg-utility') {
        copy.baseUrl = 'https://10.231.0.1:8450/openadr3/3.1.0';
        copy.tls = 'lan-ca';
      }
      if (copy.id === 'hg-home-bl') copy.credentials = { clientId: 'bl_client', clientSecret: '1001' };
      if (copy.id === 'hg-ven-home') copy.wires = [copy.wires![0], [...copy.wires![1], 'probe-rec-timeline']];
      if (copy.id === 'hg-lp') copy.wires = [[...copy.wires![0], 'probe-rec-schedule']];
      if (copy.id === 'hg-cta') copy.wires = [copy.wires![0], [...copy.wires![1], 'probe-rec-command']];
      return copy;
    });
    const lanCa = {
      id: 'lan-ca',
      type: 'tls-config',
      name: 'LAN CA',
      cert: '',
      key: '',
      ca: certs.caFile,
      certname: '',
      keyname: '',
      caname: '',
      servername: '',
      verifyservercert: true,
    };
    await red.deploy([...flow, lanCa, ...probe]);
    const readProbe = async (): Promise<Probe> => (await (await red!.get('/probe')).json()) as Probe;

    // The device VEN found "Home VTN" by name and reads the local price: retail + g/kWh × 50 USD/t.
    const expected = retail.map((price, h) => {
      const local = new Date(start + h * HOUR).getHours();
      return Math.round((price + (BY_HOUR[local] * 50) / 1e6) * 1e6) / 1e6;
    });
    const timeline = await waitFor(
      async () => (await readProbe()).timelines.find((t) => t.length >= 23),
      120_000,
      'the local price at the device',
    ).catch(async (err: Error) => {
      throw new Error(
        `${err.message}\n${JSON.stringify((await readProbe()).statuses.slice(-20))}\n${red!.log().slice(-3000)}`,
      );
    });
    const byStart = new Map(timeline.map((s) => [Date.parse(s.start), s.price]));
    for (let h = 1; h < 24; h++) assert.strictEqual(byStart.get(start + h * HOUR), expected[h], `hour ${h}`);

    // The heater is planned from it and commanded.
    const probed = await waitFor(
      async () => {
        const p = await readProbe();
        return p.commands.some((c) => c.outcome === 'acked') && p.schedules.length ? p : undefined;
      },
      60_000,
      'a schedule and a command acked by the simulated heater',
    );
    assert.deepStrictEqual(probed.schedules.at(-1)!.prices.slice(-3), expected.slice(-3));
    assert.deepStrictEqual(probed.caught, []);
    assert.ok(
      probed.statuses.some((s) => s.id === 'hg-vtn' && /announced/.test(s.text ?? '')),
      JSON.stringify(probed.statuses.filter((s) => s.id === 'hg-vtn')),
    );

    // Another host on the LAN sees the announcement and reads the open local price by name.
    // The home VTN's certificate comes from this Node-RED's development CA.
    const devCa = path.join(red.userDir, 'openadr3-vtn', 'dev-tls', 'ca.pem');
    const browse = client(devCa, 'browse', '3000');
    const found = JSON.parse((await browse.waitFor(/^FOUND (.*)$/m, 30_000))[1]) as AnnouncedVtn[];
    const home = found.find((v) => v.name === 'Home VTN');
    assert.ok(home, JSON.stringify(found));
    assert.strictEqual(home.host, 'gateway.local');
    assert.deepStrictEqual(home.programNames, ['local-price']);
    assert.strictEqual(home.requiresAuth, false);
    assert.strictEqual(home.url, 'https://gateway.local:8080/openadr3/3.1.0');
    const ven = client(devCa, 'ven', 'Home VTN', 'anonymous');
    await ven.waitFor(/^PROGRAMS https:\/\/gateway\.local:8080\/openadr3\/3\.1\.0 local-price$/m, 30_000);
    await ven.stop();
    const programs = client(devCa, 'get', 'https://gateway.local:8080/openadr3/3.1.0/programs');
    const got = await programs.waitFor(/^GOT 200 (.*)$/m, 30_000);
    const [program] = JSON.parse(got[1]) as Array<{
      programName: string;
      attributes?: Array<{ type: string; values: unknown[] }>;
    }>;
    assert.strictEqual(program.programName, 'local-price');
    assert.deepStrictEqual(
      program.attributes?.find((a) => a.type === 'LOCAL'),
      { type: 'LOCAL', values: [true] },
      'marked as a local price',
    );
    assert.doesNotMatch(red.log(), /\[error\]/, red.log());
  });
});
