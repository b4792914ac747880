/**
 * The openadr3-vtn edit dialog with nodes saved before config version 3, which had one checkbox,
 * "allow http webhook callbacks to loopback / LAN hosts": the dialog shows what the runtime's
 * migration does (a VTN only this machine can reach keeps both, one reachable from the network
 * gets neither) and saves version 3 — the editor fills missing properties with defaults, so
 * without this the boxes would show unticked while the runtime still allowed both.
 */
import assert from 'assert';
import { editorSession, importNodes, openDialog, openEditor, saveDialog } from '../support/editor-session';

interface Saved {
  configVersion?: unknown;
  callbacksLan?: unknown;
  callbacksLoopback?: unknown;
  statusPage?: unknown;
}

describe('browser: openadr3-vtn callback settings of older flows in the editor', function () {
  this.timeout(120000);
  const editor = editorSession();

  it('maps the old checkbox by where the VTN can be reached, and saves version 3', async () => {
    const { page, errors } = editor.browser;
    await openEditor(editor, 'openadr3-vtn');
    const vtn = (id: string, y: number, extra: Record<string, unknown>) => ({
      id,
      type: 'openadr3-vtn',
      port: 8080,
      host: '127.0.0.1',
      storeType: 'memory',
      x: 200,
      y,
      ...extra,
    });
    await importNodes(page, [
      vtn('v1-local', 60, { configVersion: 1, allowInsecureCallbacks: true }),
      vtn('v2-proxy', 120, {
        configVersion: 2,
        host: '0.0.0.0',
        behindProxy: true,
        publicUrl: 'https://vtn.example.com',
        allowInsecureCallbacks: true,
      }),
      vtn('v1-new', 180, { configVersion: 1, callbacksLoopback: true, statusPage: false }),
    ]);

    const open = (id: string): Promise<void> => openDialog(page, id, '#node-input-callbacksLan');
    const boxes = async (): Promise<[boolean, boolean]> => [
      await page.isChecked('#node-input-callbacksLan'),
      await page.isChecked('#node-input-callbacksLoopback'),
    ];
    const save = (id: string): Promise<Saved> =>
      saveDialog<Saved>(page, id, ['configVersion', 'callbacksLan', 'callbacksLoopback', 'statusPage']);

    await open('v1-local');
    assert.deepStrictEqual(await boxes(), [true, true], 'loopback VTN: LAN and this machine kept');
    const local = await save('v1-local');
    assert.deepStrictEqual(
      [Number(local.configVersion), local.callbacksLan, local.callbacksLoopback, local.statusPage],
      [3, true, true, true],
    );

    await open('v2-proxy');
    assert.deepStrictEqual(await boxes(), [false, false], 'reachable from the network: public only');
    const proxy = await save('v2-proxy');
    assert.deepStrictEqual(
      [Number(proxy.configVersion), proxy.callbacksLan, proxy.callbacksLoopback],
      [3, false, false],
    );

    await open('v1-new');
    assert.deepStrictEqual(await boxes(), [false, true], 'the new settings as saved');
    assert.strictEqual(await page.isChecked('#node-input-statusPage'), false);
    const kept = await save('v1-new');
    assert.deepStrictEqual(
      [Number(kept.configVersion), kept.callbacksLan, kept.callbacksLoopback, kept.statusPage],
      [3, false, true, false],
    );
    assert.deepStrictEqual(errors, [], 'no console errors');
  });
});
