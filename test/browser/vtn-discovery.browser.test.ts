/**
 * "Find VTNs on this network" in the openadr3-vtn-config dialog, in a real browser, against a
 * real Node-RED running on the "heater" host of a two-namespace LAN while a VTN announces itself
 * on the "vtn-home" host. The picked VTN fills the form; saved with "connect by name", an
 * openadr3-ven using it finds the VTN by name and reads its prices.
 */
import assert from 'assert';
import path from 'path';
import { BrowserSession, launchBrowser, screenshot } from '../support/browser';
import { createLan, lanCertificates, requireLan, type Lan, type NsProcess } from '../support/netns';
import { NodeRedInstance, startNodeRed, waitFor } from '../support/node-red-process';

const root = path.resolve(__dirname, '..', '..');

describe('browser: finding local VTNs from the openadr3-vtn-config dialog', function () {
  this.timeout(180_000);
  let lan: Lan;
  let vtn: NsProcess;
  let red: NodeRedInstance;
  let browser: BrowserSession;

  before(async function () {
    requireLan(this);
    browser = await launchBrowser(this);
    lan = await createLan({ a: 'vtn-home', b: 'heater' });
    vtn = lan.run(
      lan.a,
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        path.join(root, 'test', 'fixtures', 'local', 'lan-vtn.ts'),
        JSON.stringify({
          port: 8443,
          name: 'Home VTN',
          programs: ['local-price', 'utility-dr'],
          anonymous: ['local-price'],
          prices: { program: 'local-price', values: [0.21, 0.34] },
          tls: lanCertificates().forHost('vtn-home'),
        }),
      ],
      { cwd: root },
    );
    await vtn.waitFor(/^ANNOUNCED /m, 30_000);
    red = await startNodeRed({ runIn: lan.nodeRedIn(lan.b) });
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    await lan?.destroy();
  });

  it('lists the announced VTN, fills the form, and the saved connection finds it by name', async () => {
    const { page, errors } = browser;
    await page.goto(red.url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#red-ui-palette-container [data-palette-type="openadr3-ven"]', {
      timeout: 60_000,
    });
    await page.evaluate(() => {
      const w = window as unknown as { RED: { view: { importNodes(n: unknown[]): void } } };
      w.RED.view.importNodes([
        {
          id: 'home-cfg',
          type: 'openadr3-vtn-config',
          name: '',
          // What a new connection starts with (the editor's defaults).
          baseUrl: 'http://127.0.0.1:8080/openadr3/3.0.1',
          apiVersion: 'auto',
          authMode: 'oauth2',
          discovery: 'url',
          timeoutS: 10,
          retries: 3,
          configVersion: 1,
        },
      ]);
      (
        window as unknown as { RED: { editor: { editConfig(n: string, t: string, id: string): void } } }
      ).RED.editor.editConfig('', 'openadr3-vtn-config', 'home-cfg');
    });
    await page.waitForSelector('#node-config-find-vtns', { timeout: 10_000 });
    await page.click('#node-config-find-vtns');
    await page.waitForSelector('.openadr3-vtn-row', { timeout: 15_000 });
    const rows = await page.$$eval('.openadr3-vtn-row', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)),
    );
    assert.deepStrictEqual(rows, [
      ['Home VTN', '3.1.0', 'local-price', 'none'],
      ['Home VTN (3-0-1)', '3.0.1', 'local-price', 'none'],
    ]);
    await screenshot(page, 'openadr3-vtn-config-find-vtns');

    await page.click('.openadr3-vtn-row >> text=Home VTN');
    assert.strictEqual(
      await page.inputValue('#node-config-input-baseUrl'),
      'https://vtn-home.local:8443/openadr3/3.1.0',
    );
    assert.strictEqual(await page.inputValue('#node-config-input-apiVersion'), '3.1.0');
    assert.strictEqual(await page.inputValue('#node-config-input-authMode'), 'anonymous');
    assert.strictEqual(await page.inputValue('#node-config-input-instanceName'), 'Home VTN');
    assert.strictEqual(await page.inputValue('#node-config-input-name'), 'Home VTN');
    assert.strictEqual(
      await page.isVisible('#node-config-input-clientId'),
      false,
      'anonymous: no credentials',
    );
    await page.selectOption('#node-config-input-discovery', 'mdns');
    assert.strictEqual(await page.isVisible('#node-config-input-instanceName'), true);
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-find-vtns', { state: 'detached', timeout: 10_000 });

    const saved = await page.evaluate(() => {
      const w = window as unknown as { RED: { nodes: { node(id: string): Record<string, unknown> } } };
      const n = w.RED.nodes.node('home-cfg');
      return {
        baseUrl: n.baseUrl,
        discovery: n.discovery,
        instanceName: n.instanceName,
        authMode: n.authMode,
      };
    });
    assert.deepStrictEqual(saved, {
      baseUrl: 'https://vtn-home.local:8443/openadr3/3.1.0',
      discovery: 'mdns',
      instanceName: 'Home VTN',
      authMode: 'anonymous',
    });
    assert.deepStrictEqual(errors, []);

    // The saved connection at runtime: a VEN finds "Home VTN" by name and reads its prices.
    const flows = (await red.getFlows()) as Array<Record<string, unknown>>;
    const cfg = await page.evaluate(() => {
      const w = window as unknown as { RED: { nodes: { node(id: string): Record<string, unknown> } } };
      const n = w.RED.nodes.node('home-cfg');
      const keep = [
        'id',
        'type',
        'name',
        'baseUrl',
        'apiVersion',
        'authMode',
        'discovery',
        'instanceName',
        'mdnsInterface',
        'timeoutS',
        'retries',
        'configVersion',
      ];
      return Object.fromEntries(keep.map((k) => [k, n[k]]));
    });
    // The VTN's certificate comes from the LAN's CA: the connection trusts it through a tls-config.
    const lanCa = {
      id: 'lan-ca',
      type: 'tls-config',
      name: 'LAN CA',
      cert: '',
      key: '',
      ca: lanCertificates().caFile,
      certname: '',
      keyname: '',
      caname: '',
      servername: '',
      verifyservercert: true,
    };
    await red.deploy([
      ...flows,
      { id: 'tab', type: 'tab', label: 'discovery' },
      lanCa,
      { ...cfg, tls: 'lan-ca', trustDevCa: false, allowUnverified: false, configVersion: 2 },
      {
        id: 'ven',
        type: 'openadr3-ven',
        z: 'tab',
        vtn: 'home-cfg',
        programName: 'local-price',
        pollIntervalS: 2,
        push: 'none',
        configVersion: 2,
        wires: [[], ['price-debug']],
      },
      {
        id: 'price-debug',
        type: 'debug',
        z: 'tab',
        active: true,
        console: true,
        complete: 'currentPrice',
        wires: [],
      },
    ]);
    const debugLines = (): string =>
      red
        .log()
        .split('\n')
        .filter((l) => /\[debug/.test(l))
        .join('\n');
    await waitFor(() => /\b0\.21\b/.test(debugLines()), 30_000, 'the VEN to read the price by name').catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${red.log().slice(-3000)}`);
      },
    );
  });
});
