/**
 * The hpwh-modbus-out editor in Debian's Chromium: RTU/TCP fields switch, "Load EXAMPLE map"
 * fills the map from the runtime, and a bad map shows the runtime's errors naming the field.
 */
import assert from 'assert';
import { screenshot } from '../support/browser';
import { editorSession, editNode, openEditor } from '../support/editor-session';

describe('browser: hpwh-modbus-out editor', function () {
  this.timeout(120000);
  const editor = editorSession({
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

  it('switches transport fields, loads the EXAMPLE map and shows map errors naming the field', async () => {
    const { page, errors } = editor.browser;
    await openEditor(editor, 'hpwh-modbus-out');
    await editNode(page, 'n-mb');
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
