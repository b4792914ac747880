import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { screenshot } from '../support/browser';
import { editorSession } from '../support/editor-session';
import { repoRoot } from '../support/node-red-process';

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string> };
};

/** Node types that appear in the palette (config nodes do not). */
function paletteTypes(): string[] {
  return Object.keys(pkg['node-red'].nodes).filter((type) => {
    const html = fs.readFileSync(path.join(repoRoot, 'nodes', type, `${type}.html`), 'utf8');
    return !/category\s*:\s*['"]config['"]/.test(html);
  });
}

describe('browser: the Node-RED editor with this pack installed', function () {
  this.timeout(120000);
  const editor = editorSession();

  it('lists every node of the pack in the "OpenADR 3" palette category, without console errors', async () => {
    const { page, errors } = editor.browser;
    await page.goto(editor.red.url, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#red-ui-palette-container', { timeout: 30000 });
    const expected = paletteTypes();
    assert.ok(expected.length > 0, 'the pack has palette nodes');
    for (const type of expected) {
      await page.waitForSelector(`#red-ui-palette-container [data-palette-type="${type}"]`, {
        timeout: 15000,
      });
    }
    const categoryTitles = await page.$$eval('.red-ui-palette-header', (els) =>
      els.map((e) => (e.textContent ?? '').trim().toLowerCase()),
    );
    assert.ok(
      categoryTitles.some((t) => t.includes('openadr 3')),
      `categories: ${categoryTitles.join(', ')}`,
    );
    const inCategory = await page.$$eval('.red-ui-palette-category', (cats) =>
      cats
        .filter((c) => /openadr 3/i.test(c.querySelector('.red-ui-palette-header')?.textContent ?? ''))
        .flatMap((c) =>
          Array.from(c.querySelectorAll('[data-palette-type]')).map((n) =>
            n.getAttribute('data-palette-type'),
          ),
        ),
    );
    assert.deepStrictEqual([...inCategory].sort(), [...expected].sort());
    await screenshot(page, 'editor-palette');
    assert.deepStrictEqual(errors, [], 'no console errors in the editor');
  });

  it('opens the edit dialog of every node, config nodes included, without console errors', async () => {
    const { page, errors } = editor.browser;
    const types = Object.keys(pkg['node-red'].nodes);
    // Import one of each node into the editor (not deployed: nothing starts listening).
    await page.evaluate((all: string[]) => {
      const w = window as unknown as { RED: { view: { importNodes(n: unknown[]): void } } };
      w.RED.view.importNodes(all.map((type, i) => ({ id: `edit-probe-${i}`, type, x: 200, y: 60 + 40 * i })));
    }, types);
    for (let i = 0; i < types.length; i++) {
      await page.evaluate((id: string) => {
        const w = window as unknown as {
          RED: {
            editor: { edit(n: unknown): void; editConfig?: unknown };
            nodes: { node(id: string): unknown };
          };
        };
        const n = w.RED.nodes.node(id) as { _def?: { category?: string } } | undefined;
        if (!n) throw new Error(`node ${id} was not imported`);
        w.RED.editor.edit(n);
      }, `edit-probe-${i}`);
      await page.waitForSelector('.red-ui-tray .red-ui-tray-body form', { timeout: 10000 });
      await page.waitForTimeout(300);
      if (i === 0) await screenshot(page, `edit-dialog-${types[i]}`);
      await page.click('#node-dialog-cancel, #node-config-dialog-cancel');
      await page.waitForSelector('.red-ui-tray', { state: 'detached', timeout: 10000 });
    }
    assert.deepStrictEqual(errors, [], 'no console errors while editing');
  });
});
