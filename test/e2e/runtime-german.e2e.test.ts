/**
 * A real Node-RED whose runtime language is German (settings `lang: 'de'`; without it Node-RED
 * takes LC_ALL / LC_MESSAGES / LANG): statuses, errors a Catch node sees and the pages a node
 * serves come out of the pack's German catalogs, numbers with a decimal comma.
 */
import assert from 'assert';
import path from 'path';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';
import { probeNodes } from '../support/probe-flow';

interface Status {
  id: string;
  fill?: string;
  text?: string;
}

describe('e2e: statuses and errors in German (Node-RED lang "de")', function () {
  this.timeout(90000);
  let red: NodeRedInstance;
  const tab = { id: 'tab-de', type: 'tab', label: 'Deutsch' };
  const nodes = ['de-lp', 'de-chart', 'de-olivine', 'de-ven'];

  before(async () => {
    // test-status-log records every status as the editor sees it, those set at start-up included.
    red = await startNodeRed({
      settings: { lang: 'de' },
      nodesDir: [path.join(repoRoot, 'test', 'fixtures', 'nodes')],
    });
    await red.deploy([
      tab,
      ...probeNodes(tab.id, { statusScope: nodes, keys: ['caught'] }),
      {
        id: 'de-prices',
        z: tab.id,
        type: 'inject',
        props: [{ p: 'payload' }, { p: 'soc', v: '1', vt: 'num' }],
        payload: '[0.30, 0.12, 0.10, 0.25]',
        payloadType: 'json',
        wires: [['de-lp']],
      },
      {
        id: 'de-garbage',
        z: tab.id,
        type: 'inject',
        props: [{ p: 'payload' }],
        payload: 'no prices',
        payloadType: 'str',
        wires: [['de-lp']],
      },
      { id: 'de-lp', z: tab.id, type: 'hpwh-lp-scheduler', horizon: 'all', wires: [[]] },
      { id: 'de-chart', z: tab.id, type: 'hpwh-chart', path: '/de/fahrplan', wires: [[]] },
      { id: 'de-olivine', z: tab.id, type: 'olivine-prices', url: 'ftp://example.org/prices', wires: [[]] },
      {
        id: 'de-conn',
        type: 'openadr3-vtn-config',
        name: 'Stadtwerke',
        baseUrl: 'http://127.0.0.1:9/openadr3/3.0.1',
      },
      { id: 'de-ven', z: tab.id, type: 'openadr3-ven', vtn: 'de-conn', programName: 'tou', wires: [[], []] },
    ]);
  });

  after(() => red?.stop());

  const caught = async (): Promise<string[]> =>
    ((await (await red.get('/probe')).json()) as { caught: string[] }).caught;
  const statusOf = async (id: string): Promise<Status | undefined> =>
    ((await (await red.get('/test-status-log')).json()) as Status[]).filter((s) => s.id === id).at(-1);

  it('shows German statuses from setup (bad config, missing credentials, waiting)', async () => {
    const olivine = await waitFor(() => statusOf('de-olivine'), 15000, 'olivine-prices status');
    assert.strictEqual(olivine.fill, 'red');
    // Statuses are clipped to 60 characters; the full text goes to the log.
    assert.strictEqual(olivine.text, 'fehlerhafte Einstellung: URL "ftp://example.org/prices" mus…');
    assert.match(
      red.log(),
      /olivine-prices: fehlerhafte Einstellung: URL "ftp:\/\/example\.org\/prices" muss mit http:\/\/ oder https:\/\/ beginnen/,
    );
    const ven = await waitFor(() => statusOf('de-ven'), 15000, 'openadr3-ven status');
    assert.strictEqual(ven.fill, 'yellow');
    assert.strictEqual(ven.text, 'Client-Zugangsdaten in „Stadtwerke“ eingeben');
    const chart = await waitFor(() => statusOf('de-chart'), 15000, 'hpwh-chart status');
    assert.strictEqual(chart.text, 'warte auf einen Fahrplan · /de/fahrplan');
  });

  it('words a schedule in German with a decimal comma, and a bad message as a German error', async () => {
    await red.inject('de-prices');
    const planned = await waitFor(
      async () => {
        const s = await statusOf('de-lp');
        return s?.fill === 'green' ? s : undefined;
      },
      15000,
      'the scheduler status',
    );
    assert.match(planned.text ?? '', /^\d+,\d\d \$ · spart \d+ % · 4 Intervalle$/);

    await red.inject('de-garbage');
    const error = await waitFor(async () => (await caught()).at(-1), 15000, 'the caught error');
    assert.strictEqual(
      error.replace(/^Error: /, ''),
      'msg.payload muss eine Preiszeitreihe [{start, end, price}], ein OpenADR-Event oder ein Array von Preisen sein',
    );
  });

  it('serves the chart page in German', async () => {
    const page = await (await red.get('/de/fahrplan')).text();
    assert.match(page, /<html lang="de">/);
    assert.match(page, /Noch kein Fahrplan: diese Seite zeigt den nächsten/);
    assert.match(page, /<title>Fahrplan des Warmwasserbereiters<\/title>/);
    assert.strictEqual(red.exited(), false);
  });
});
