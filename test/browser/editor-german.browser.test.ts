/**
 * The editor in German, as a browser set to de-DE opens it (Node-RED picks the editor language
 * from navigator.language): palette labels, form labels, options, validation messages and help
 * come from the pack's German catalogs and help files, nothing stays English.
 */
import assert from 'assert';
import { screenshot } from '../support/browser';
import { editorSession, openEditor } from '../support/editor-session';

interface EditorWindow {
  RED: {
    nodes: {
      getType(type: string): { defaults: Record<string, { value: unknown }> };
      node(id: string): { validationErrors?: string[] } | undefined;
    };
    view: { importNodes(n: unknown[]): void };
    workspaces: { active(): string };
    editor: { edit(n: unknown): void; validateNode(n: unknown): boolean };
    sidebar: { help: { show(type: string): void } };
  };
}

describe('browser: the editor in German (de-DE)', function () {
  this.timeout(120000);
  const editor = editorSession({ locale: 'de-DE' });
  before(() => openEditor(editor, 'hpwh-lp-scheduler', 60000));

  /** Import a node of `type` with its editor defaults (plus `props`) and open its edit dialog. */
  async function editNew(id: string, type: string, props: Record<string, unknown> = {}): Promise<void> {
    const { page } = editor.browser;
    await page.evaluate(
      ({ id, type, props }) => {
        const { RED } = window as unknown as EditorWindow;
        const node: Record<string, unknown> = { id, type, x: 300, y: 120, z: RED.workspaces.active() };
        for (const [key, def] of Object.entries(RED.nodes.getType(type).defaults)) node[key] = def.value;
        RED.view.importNodes([{ ...node, ...props }]);
        RED.editor.edit(RED.nodes.node(id));
      },
      { id, type, props },
    );
    await page.waitForSelector('.red-ui-tray .red-ui-tray-body form', { timeout: 10000 });
    await page.waitForTimeout(300);
  }

  const labels = () =>
    editor.browser.page.$$eval('.red-ui-tray form label, .red-ui-tray form b', (els) =>
      els.map((e) => (e.textContent ?? '').trim()).filter(Boolean),
    );

  async function closeDialog(button: 'ok' | 'cancel'): Promise<void> {
    await editor.browser.page.click(`#node-dialog-${button}`);
    await editor.browser.page.waitForSelector('.red-ui-tray', { state: 'detached', timeout: 10000 });
  }

  it('shows German palette labels from the catalogs', async () => {
    const label = (type: string) =>
      editor.browser.page.$eval(`[data-palette-type="${type}"] .red-ui-palette-label`, (e) =>
        // Node-RED wraps a long label into spans at word breaks: compare the letters.
        (e.textContent ?? '').replace(/\s+/g, ''),
      );
    assert.strictEqual(await label('olivine-prices'), 'Olivine-Preise');
    assert.strictEqual(await label('hpwh-lp-scheduler'), 'hpwhLP-Planer');
    assert.strictEqual(await label('hpwh-chart'), 'hpwhDiagramm');
  });

  it('labels the scheduler form in German, and a bad value gets a German message naming the field', async () => {
    const { page } = editor.browser;
    await editNew('de-lp', 'hpwh-lp-scheduler');
    const shown = await labels();
    for (const text of [
      'Speicher und Wärmepumpe',
      'Kapazität',
      'Warmwasserentnahme',
      'Verfahren',
      'Signale',
    ]) {
      assert.ok(shown.includes(text), `"${text}" among ${JSON.stringify(shown)}`);
    }
    assert.ok(!shown.includes('Capacity') && !shown.includes('Tank and heat pump'), JSON.stringify(shown));
    const options = await page.$$eval('#node-input-drawProfile option', (os) => os.map((o) => o.textContent));
    assert.deepStrictEqual(options, ['typischer Haushaltstag', 'gleichmäßig', 'je Intervall aus msg.load']);

    // The editor validates as you type: a red field whose tooltip says what is wrong, in German.
    await page.fill('#node-input-cop', '0');
    await page.dispatchEvent('#node-input-cop', 'change');
    assert.match((await page.getAttribute('#node-input-cop', 'class')) ?? '', /input-error/);
    await page.hover('#node-input-cop');
    const tooltip = await page.waitForSelector('.red-ui-popover', { timeout: 5000 });
    assert.strictEqual((await tooltip.textContent())?.trim(), 'COP: eine Zahl größer als 0');
    await screenshot(page, 'editor-german-validation');

    // Saved anyway, the node is marked invalid with the same message (the node's warning triangle).
    await closeDialog('ok');
    const errors = await page.evaluate(() => {
      const { RED } = window as unknown as EditorWindow;
      return RED.nodes.node('de-lp')?.validationErrors;
    });
    assert.deepStrictEqual(errors, ['COP: eine Zahl größer als 0']);
  });

  it('a config node validates in German too (openadr3-vtn-config base URL)', async () => {
    const errors = await editor.browser.page.evaluate(() => {
      const { RED } = window as unknown as EditorWindow;
      const defaults = RED.nodes.getType('openadr3-vtn-config').defaults;
      const node: Record<string, unknown> = { id: 'de-conn', type: 'openadr3-vtn-config' };
      for (const [key, def] of Object.entries(defaults)) node[key] = def.value;
      RED.view.importNodes([{ ...node, baseUrl: 'ftp://vtn' }]);
      const imported = RED.nodes.node('de-conn')!;
      RED.editor.validateNode(imported);
      return imported.validationErrors;
    });
    assert.deepStrictEqual(errors, [
      'Basis-URL: eine http://- oder https://-URL, z. B. http://127.0.0.1:8080/openadr3/3.0.1',
    ]);
  });

  it('the VTN node’s HTTPS settings in German: labels, options, and the public URL check', async () => {
    const { page } = editor.browser;
    await editNew('de-vtn', 'openadr3-vtn');
    const shown = await labels();
    for (const text of [
      'Client-Zertifikate',
      'Öffentliche URL',
      'MQTT-TLS',
      'Noch kein Zertifikat: HTTPS mit einem Entwicklungszertifikat (eine lokale CA im Benutzerverzeichnis)',
      'Hinter einem TLS-terminierenden Proxy (HTTP ohne TLS bis zum Proxy; seinem X-Forwarded-For wird vertraut)',
    ]) {
      assert.ok(shown.includes(text), `"${text}" among ${JSON.stringify(shown)}`);
    }
    assert.ok(!shown.some((l) => /Public URL|Behind a|Client certs/.test(l)), JSON.stringify(shown));
    const options = await page.$$eval('#node-input-clientCerts option', (os) => os.map((o) => o.textContent));
    assert.deepStrictEqual(options, [
      'nicht verlangt',
      'verlangt, signiert von der CA der TLS-Konfiguration',
    ]);
    await closeDialog('cancel');
    const errors = await page.evaluate(() => {
      const { RED } = window as unknown as EditorWindow;
      const defaults = RED.nodes.getType('openadr3-vtn').defaults;
      const node: Record<string, unknown> = { id: 'de-vtn-bad', type: 'openadr3-vtn' };
      for (const [key, def] of Object.entries(defaults)) node[key] = def.value;
      RED.view.importNodes([{ ...node, publicUrl: 'https://vtn.example.com/openadr3' }]);
      const imported = RED.nodes.node('de-vtn-bad')!;
      RED.editor.validateNode(imported);
      return imported.validationErrors;
    });
    assert.deepStrictEqual(errors, [
      'Öffentliche URL: ein Origin wie https://vtn.example.com (ohne Pfad), oder leer',
    ]);
  });

  it('the connection’s TLS settings in German', async () => {
    await editNew('de-conn-tls', 'openadr3-vtn-config');
    const shown = await labels();
    for (const text of [
      'Auch der Entwicklungs-CA dieses Node-RED vertrauen (für einen VTN-Node hier mit Entwicklungszertifikat)',
      'Nicht verifizierte Zertifikate zulassen (nicht für den Produktivbetrieb: der Status bleibt gelb „TLS nicht verifiziert“)',
    ]) {
      assert.ok(shown.includes(text), `"${text}" among ${JSON.stringify(shown)}`);
    }
    await closeDialog('cancel');
  });

  it('shows the German help', async () => {
    const { page } = editor.browser;
    await page.evaluate(() => (window as unknown as EditorWindow).RED.sidebar.help.show('hpwh-lp-scheduler'));
    await page.waitForSelector('.red-ui-help-title', { timeout: 10000 });
    const headers = await page.$$eval('.red-ui-help-info-header', (hs) =>
      hs.map((h) => (h.textContent ?? '').trim()),
    );
    assert.deepStrictEqual(headers, ['Eingänge', 'Ausgänge', 'Details', 'Beispiel']);
    const help = await page.$$eval('.red-ui-help', (hs) => hs.map((h) => h.textContent ?? '').join(' '));
    assert.match(help, /Python-Referenzimplementierung für Warmwasser aus Annex 96/);
  });

  it('no console errors in the German editor', () => {
    assert.deepStrictEqual(editor.browser.errors, []);
  });
});
