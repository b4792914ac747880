/**
 * What the editor tests share: Debian's Chromium and a real Node-RED process for the tests of one
 * describe block (started in its `before`, stopped in its `after`), and the steps from the editor
 * page to a node's edit dialog.
 */
import type { Page } from 'playwright-core';
import { BrowserSession, LaunchOptions, launchBrowser } from './browser';
import { NodeRedInstance, NodeRedOptions, startNodeRed } from './node-red-process';

export interface EditorSession {
  /** Set once the describe block's `before` has run. */
  browser: BrowserSession;
  red: NodeRedInstance;
}

/** Register the hooks that start a browser and Node-RED for this describe block and stop them after. */
export function editorSession(options: NodeRedOptions & LaunchOptions = {}): EditorSession {
  const { locale, ...nodeRed } = options;
  const session = {} as EditorSession;
  before(async function () {
    session.browser = await launchBrowser(this, { locale });
    session.red = await startNodeRed(nodeRed);
  });
  after(async () => {
    await session.browser?.close();
    await session.red?.stop();
  });
  return session;
}

/** Load the editor and wait until `type` is in the palette (the pack's editors have loaded). */
export async function openEditor(session: EditorSession, type: string, timeout = 30000): Promise<void> {
  const { page } = session.browser;
  await page.goto(session.red.url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector(`#red-ui-palette-container [data-palette-type="${type}"]`, { timeout });
}

/** Open the edit dialog of node `id` once the editor has loaded it. */
export async function editNode(page: Page, id: string): Promise<void> {
  type EditorWindow = {
    RED?: { nodes?: { node(id: string): unknown }; editor: { edit(n: unknown): void } };
  };
  await page.waitForFunction((nodeId) => !!(window as unknown as EditorWindow).RED?.nodes?.node(nodeId), id);
  await page.evaluate((nodeId) => {
    const { RED } = window as unknown as Required<EditorWindow>;
    RED.editor.edit(RED.nodes!.node(nodeId));
  }, id);
}

/** Add nodes to the open flow as the editor's import does (each needs id, type, x and y). */
export async function importNodes(page: Page, nodes: unknown[]): Promise<void> {
  await page.evaluate((all: unknown[]) => {
    const w = window as unknown as { RED: { view: { importNodes(n: unknown[]): void } } };
    w.RED.view.importNodes(all);
  }, nodes);
}

/** Open node `id`'s edit dialog and wait until `selector` is in it and the form has settled. */
export async function openDialog(page: Page, id: string, selector: string): Promise<void> {
  await editNode(page, id);
  await page.waitForSelector(selector, { timeout: 10000 });
  await page.waitForTimeout(300);
}

/** Press Done in the open dialog and read back the properties `keys` the editor saved on node `id`. */
export async function saveDialog<T extends object>(
  page: Page,
  id: string,
  keys: Array<keyof T & string>,
): Promise<T> {
  await page.click('#node-dialog-ok');
  await page.waitForSelector('.red-ui-tray', { state: 'detached', timeout: 10000 });
  return page.evaluate(
    ({ nodeId, names }) => {
      const w = window as unknown as { RED: { nodes: { node(id: string): Record<string, unknown> } } };
      const n = w.RED.nodes.node(nodeId);
      return Object.fromEntries(names.map((name) => [name, n[name]])) as T;
    },
    { nodeId: id, names: keys },
  );
}
