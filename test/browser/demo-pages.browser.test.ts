/**
 * The demo as a user sees it, in Debian's Chromium: the editor shows the demo flow with live node
 * statuses, and the schedule page the README links (/hpwh/schedule) renders the picture. The
 * screenshots are taken with the same code as `npm run screenshots` (scripts/screenshots.js) but
 * saved to a temporary directory: the test never writes into the repository.
 */
import assert from 'assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { BrowserSession, launchBrowser } from '../support/browser';
import { demoFlows } from '../support/demo-flows';
import { freePort } from '../support/ports';
import { NodeRedInstance, repoRoot, startNodeRed, waitFor } from '../support/node-red-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const shots = require(path.join(repoRoot, 'scripts', 'screenshots.js')) as {
  shootEditor(
    page: unknown,
    url: string,
    file: string,
  ): Promise<{ nodes: number; statuses: string[]; tab: string }>;
  shootSchedule(
    page: unknown,
    url: string,
    file: string,
  ): Promise<{ width: number; height: number; text: string }>;
};

/** PNG width and height from the IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const b = fs.readFileSync(file);
  assert.strictEqual(b.subarray(1, 4).toString('latin1'), 'PNG', `${file} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('browser: the demo pages (editor with the pipeline, schedule picture)', function () {
  this.timeout(180_000);
  let red: NodeRedInstance;
  let browser: BrowserSession;
  let outDir: string;

  before(async function () {
    browser = await launchBrowser(this);
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-shots-'));
    red = await startNodeRed();
    // Offline: the price fetch fails at once and the demo runs on the bundled sample.
    await red.deploy(demoFlows(await freePort(), `http://127.0.0.1:${await freePort()}/etou-dyn`));
    await waitFor(async () => (await red.get('/hpwh/schedule.svg')).ok, 90_000, 'the first schedule picture');
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('the editor shows every node of the demo flow with live statuses', async () => {
    const file = path.join(outDir, 'editor-pipeline.png');
    const seen = await shots.shootEditor(browser.page, red.url, file);
    const demo = demoFlows(8080).filter((n) => n.z === 'demo-tab');
    assert.strictEqual(seen.nodes, demo.length, `drawn nodes: ${seen.nodes}`);
    const tab = demoFlows(8080).find((n) => n.id === 'demo-tab');
    assert.strictEqual(seen.tab, tab?.label, 'the editor shows the demo tab');
    // e.g. the VTN's counts, the scheduler's "$cost · saves %", the heater's mode.
    assert.ok(seen.statuses.length >= 5, `statuses: ${seen.statuses.join(' | ')}`);
    assert.ok(
      seen.statuses.some((s) => /HPWH/.test(s)),
      `a status of the heater: ${seen.statuses.join(' | ')}`,
    );
    const size = pngSize(file);
    assert.ok(size.width >= 1000 && size.height >= 600, JSON.stringify(size));
    assert.deepStrictEqual(browser.errors, [], 'no console errors in the editor');
  });

  it('the schedule page renders the picture (price, output, tank, signal, cost)', async () => {
    const file = path.join(outDir, 'schedule.png');
    const box = await shots.shootSchedule(browser.page, `${red.url}/hpwh/schedule`, file);
    assert.ok(box.width > 300 && box.height > 200, `the SVG is drawn: ${JSON.stringify(box)}`);
    assert.match(box.text, /Demo water heater schedule/);
    assert.match(box.text, /\$/, 'the cost is shown');
    const size = pngSize(file);
    assert.ok(size.width >= 800, JSON.stringify(size));
    assert.deepStrictEqual(browser.errors, [], 'no console errors on the schedule page');
  });
});
