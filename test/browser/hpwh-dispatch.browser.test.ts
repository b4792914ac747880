/**
 * The hpwh-dispatch editor in Debian's Chromium: only the chosen output shape's settings show
 * (SG-Ready mapping and lock limits, or the Home Assistant set-points), and the node's label
 * follows the shape.
 */
import assert from 'assert';
import { screenshot } from '../support/browser';
import { editorSession, editNode, openEditor } from '../support/editor-session';

describe('browser: hpwh-dispatch editor', function () {
  this.timeout(120000);
  const editor = editorSession({
    flows: [
      { id: 'tab-hd', type: 'tab', label: 'dispatch editor' },
      {
        id: 'n-hd',
        z: 'tab-hd',
        type: 'hpwh-dispatch',
        shape: 'command',
        configVersion: 1,
        x: 200,
        y: 100,
        wires: [[]],
      },
    ],
  });

  it('shows the settings of the chosen shape only', async () => {
    const { page, errors } = editor.browser;
    await openEditor(editor, 'hpwh-dispatch');
    await editNode(page, 'n-hd');
    await page.waitForSelector('#node-input-shape', { state: 'visible' });
    assert.ok(!(await page.isVisible('#node-input-maxLockMinutes')));
    assert.ok(!(await page.isVisible('#node-input-entityId')));
    await page.selectOption('#node-input-shape', 'sg-ready');
    assert.ok(await page.isVisible('#node-input-maxLockMinutes'));
    // Blank (a flow from before the setting) means the default, which the placeholder shows.
    assert.strictEqual(await page.getAttribute('#node-input-maxLockMinutes', 'placeholder'), '120');
    assert.ok(!(await page.isVisible('#node-input-entityId')));
    await page.selectOption('#node-input-shape', 'setpoint');
    assert.ok(await page.isVisible('#node-input-entityId'));
    assert.ok(await page.isVisible('#node-input-modeLoadup'));
    assert.ok(!(await page.isVisible('#node-input-maxLockMinutes')));
    await screenshot(page, 'hpwh-dispatch-editor');
    await page.click('#node-dialog-ok');
    const shape = await page.evaluate(() => {
      const RED = (window as unknown as { RED: { nodes: { node(id: string): { shape: string } } } }).RED;
      return RED.nodes.node('n-hd').shape;
    });
    assert.strictEqual(shape, 'setpoint');
    assert.deepStrictEqual(
      errors.filter((e) => !/ERR_NAME_NOT_RESOLVED/.test(e)),
      [],
      'no console errors from the node editor',
    );
  });
});
