/**
 * The openadr3-ven edit dialog: the push mode select shows the rows each mode needs, and a node
 * saved by config version 1 (a webhook checkbox) opens with the mode it had and is saved as
 * version 2 — the editor fills missing properties with defaults, so this must not become `auto`.
 */
import assert from 'assert';
import { screenshot } from '../support/browser';
import { editorSession, importNodes, openDialog, openEditor, saveDialog } from '../support/editor-session';

interface Saved {
  push?: string;
  configVersion?: unknown;
  safetyPollS?: unknown;
}

describe('browser: openadr3-ven push settings in the editor', function () {
  this.timeout(120000);
  const editor = editorSession();

  it('migrates version-1 nodes in the dialog and shows the rows of the chosen mode', async () => {
    const { page, errors } = editor.browser;
    await openEditor(editor, 'openadr3-ven');
    await importNodes(page, [
      { id: 'ven-v1-hook', type: 'openadr3-ven', configVersion: 1, webhook: true, x: 200, y: 60 },
      { id: 'ven-v1-poll', type: 'openadr3-ven', configVersion: 1, webhook: false, x: 200, y: 120 },
      { id: 'ven-v2', type: 'openadr3-ven', configVersion: 2, push: 'mqtt', x: 200, y: 180 },
    ]);

    const open = (id: string): Promise<void> => openDialog(page, id, '#node-input-push');
    const visible = (selector: string): Promise<boolean> => page.isVisible(selector);
    const save = (id: string): Promise<Saved> =>
      saveDialog<Saved>(page, id, ['push', 'configVersion', 'safetyPollS']);

    await open('ven-v1-hook');
    assert.strictEqual(await page.inputValue('#node-input-push'), 'webhook');
    assert.strictEqual(await visible('#node-input-callbackBase'), true, 'webhook: callback row');
    assert.strictEqual(await visible('#node-input-safetyPollS'), false, 'webhook: no safety poll');
    await screenshot(page, 'openadr3-ven-push-webhook');
    const hook = await save('ven-v1-hook');
    assert.deepStrictEqual([hook.push, Number(hook.configVersion)], ['webhook', 2]);

    await open('ven-v1-poll');
    assert.strictEqual(await page.inputValue('#node-input-push'), 'none');
    assert.strictEqual(await visible('#node-input-callbackBase'), false);
    assert.strictEqual(await visible('#node-input-safetyPollS'), false);
    await page.selectOption('#node-input-push', 'auto');
    assert.strictEqual(await visible('#node-input-callbackBase'), true, 'auto: webhook fallback row');
    assert.strictEqual(await visible('#node-input-safetyPollS'), true, 'auto: safety poll');
    const poll = await save('ven-v1-poll');
    assert.deepStrictEqual([poll.push, Number(poll.configVersion)], ['auto', 2]);

    await open('ven-v2');
    assert.strictEqual(await page.inputValue('#node-input-push'), 'mqtt', 'a version-2 node keeps its mode');
    assert.strictEqual(await visible('#node-input-safetyPollS'), true);
    assert.strictEqual(await visible('#node-input-callbackBase'), false);
    await page.fill('#node-input-safetyPollS', '900');
    const mq = await save('ven-v2');
    assert.deepStrictEqual([mq.push, Number(mq.configVersion), String(mq.safetyPollS)], ['mqtt', 2, '900']);
    assert.deepStrictEqual(errors, [], 'no console errors');
  });
});
