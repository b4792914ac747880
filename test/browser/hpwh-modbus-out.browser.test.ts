/**
 * The hpwh-modbus-out editor in Debian's Chromium: RTU/TCP fields switch, "Load EXAMPLE map"
 * fills the map from the runtime, and a bad map shows the runtime's errors naming the field.
 */
import assert from 'assert';
import { BrowserSession, launchBrowser, screenshot } from '../support/browser';
import { NodeRedInstance, startNodeRed } from '../support/node-red-process';

describe('browser: hpwh-modbus-out editor', function () {
  this.timeout(120000);
  let red: NodeRedInstance;
  let browser: BrowserSession;

  before(async function () {
    browser = await launchBrowser(this);
    red = await startNodeRed({
      flows: [
        { id: 'tab-mb', type: 'tab', label: 'modbus editor' },
        {
          id: 'n-mb',
          z: 'tab-mb',
          type: 'hpwh-modbus-out',
          name: 'tank',
          transport: 'tcp',
          host: '127.0.0.1',
          port: 1,
          unitId: 1,
          pollSeconds: 0,
          reconnectSeconds: 60,
          registerMap: '',
          configVersion: 1,
          x: 200,
          y: 100,
          wires: [[], []],
        },
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  it('switches transport fields, loads the EXAMPLE map and shows map errors naming the field', async () => {
    const { page, errors } = browser;
    await page.goto(red.url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#red-ui-palette-container [data-palette-type="hpwh-modbus-out"]', {
      timeout: 30000,
    });
    await page.waitForFunction(() => {
      const w = window as unknown as { RED?: { nodes?: { node(id: string): unknown } } };
      return !!w.RED?.nodes?.node('n-mb');
    });
    await page.evaluate(() => {
      const RED = (
        window as unknown as {
          RED: { editor: { edit(n: unknown): void }; nodes: { node(id: string): unknown } };
        }
      ).RED;
      RED.editor.edit(RED.nodes.node('n-mb'));
    });
    await page.waitForSelector('#node-input-registerMap', { state: 'visible' });
    // The flow leaves timeoutMs out (as flows from before a field existed do): blank is the default, not invalid.
    assert.ok(!(await page.$eval('#node-input-timeoutMs', (el) => el.classList.contains('input-error'))));
    assert.ok(await page.isVisible('#node-input-host'));
    assert.ok(!(await page.isVisible('#node-input-serialPath')));
    await page.selectOption('#node-input-transport', 'rtu');
    assert.ok(await page.isVisible('#node-input-serialPath'));
    assert.ok(!(await page.isVisible('#node-input-host')));

    await page.waitForFunction(() =>
      /EXAMPLE map is used/.test(document.querySelector('#hpwh-modbus-map-errors')?.textContent ?? ''),
    );
    await page.click('#hpwh-modbus-load-example');
    await page.waitForFunction(() =>
      /"address": 101/.test((document.querySelector('#node-input-registerMap') as HTMLTextAreaElement).value),
    );
    await page.waitForFunction(() =>
      /map is valid/.test(document.querySelector('#hpwh-modbus-map-errors')?.textContent ?? ''),
    );

    await page.fill(
      '#node-input-registerMap',
      '{"commands": {"shed": [{"kind": "holding", "address": 70000, "value": 1}]}}',
    );
    await page.waitForFunction(() =>
      /commands\.shed\[0\]\.address: must be an integer 0\.\.65535/.test(
        document.querySelector('#hpwh-modbus-map-errors')?.textContent ?? '',
      ),
    );
    const text = await page.textContent('#hpwh-modbus-map-errors');
    assert.match(text ?? '', /commands\.normal: required/);
    await screenshot(page, 'hpwh-modbus-out-editor');
    const ours = errors.filter((e) => !/ERR_NAME_NOT_RESOLVED/.test(e));
    assert.deepStrictEqual(ours, [], 'no console errors from the node editor');
  });
});
