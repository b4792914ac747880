import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { BrowserSession, launchBrowser, screenshot } from '../support/browser';
import { NodeRedInstance, repoRoot, startNodeRed } from '../support/node-red-process';

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
  let red: NodeRedInstance;
  let browser: BrowserSession;

  before(async function () {
    browser = await launchBrowser(this);
    red = await startNodeRed();
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  it('lists every node of the pack in the "OpenADR 3" palette category, without console errors', async () => {
    const { page, errors } = browser;
    await page.goto(red.url, { waitUntil: 'domcontentloaded' });
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
});
