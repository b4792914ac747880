#!/usr/bin/env node
// Regenerates the README's pictures of the demo: docs/images/editor-pipeline.png (the editor with
// the demo flow and its live node statuses) and docs/images/schedule.png (the demo's schedule
// page, /hpwh/schedule). It runs the demo (scripts/start.js) in a temporary user directory on free
// ports, waits until the simulated heater has acknowledged a command, then photographs both pages
// in Debian's Chromium through playwright-core (never a downloaded browser).
//
//   npm run screenshots              writes docs/images/
//   npm run screenshots -- --out DIR writes DIR/ instead
//
// The browser test (test/browser/demo-pages.browser.test.ts) uses shootEditor/shootSchedule with
// a temporary directory, so `npm test` never writes into the repository.
/* global document, window */
'use strict';
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const root = path.resolve(__dirname, '..');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The editor with the deployed demo: waits for every node of the flow to be drawn and for the
 * runtime statuses to arrive, then saves `file`. Returns what it saw (for tests).
 */
async function shootEditor(page, editorUrl, file) {
  await page.setViewportSize({ width: 1500, height: 860 });
  await page.goto(editorUrl, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#red-ui-workspace-chart g.red-ui-flow-node-group', { timeout: 60000 });
  // Statuses come over the editor's websocket a moment after the flow is drawn.
  await page.waitForFunction(
    () => document.querySelectorAll('#red-ui-workspace-chart .red-ui-flow-node-status-label').length >= 5,
    undefined,
    { timeout: 30000 },
  );
  // The whole flow, not the info sidebar: hide the sidebar the way its menu item does.
  await page.evaluate(() => {
    const red = /** @type {any} */ (window).RED;
    if (red && red.menu && red.menu.isSelected('menu-item-sidebar'))
      red.menu.setSelected('menu-item-sidebar', false);
  });
  await page.waitForTimeout(1500);
  const seen = await page.evaluate(() => ({
    nodes: document.querySelectorAll('#red-ui-workspace-chart g.red-ui-flow-node-group').length,
    statuses: Array.from(document.querySelectorAll('#red-ui-workspace-chart .red-ui-flow-node-status-label'))
      .map((e) => (e.textContent || '').trim())
      .filter(Boolean),
    tab: (document.querySelector('.red-ui-tab.active .red-ui-text-bidi-aware') || {}).textContent || '',
  }));
  await page.screenshot({ path: file });
  return seen;
}

/** The schedule page (the hpwh-chart node's route): waits for the inline SVG, then saves `file`. */
async function shootSchedule(page, scheduleUrl, file) {
  await page.setViewportSize({ width: 1100, height: 700 });
  await page.goto(scheduleUrl, { waitUntil: 'load' });
  await page.waitForSelector('#chart svg', { timeout: 30000 });
  const box = await page.$eval('#chart svg', (svg) => {
    const r = svg.getBoundingClientRect();
    return { width: r.width, height: r.height, text: svg.textContent || '' };
  });
  await page.screenshot({ path: file, fullPage: true });
  return box;
}

function freePort(wanted = 0) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err) => (wanted ? resolve(freePort()) : reject(err)));
    server.listen(wanted, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(probe, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const args = process.argv.slice(2);
  const outArg = args.indexOf('--out');
  const outDir = path.resolve(outArg >= 0 ? args[outArg + 1] : path.join(root, 'docs', 'images'));
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  if (!fs.existsSync(executablePath))
    throw new Error(`no Chromium at ${executablePath}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const { chromium } = require('playwright-core');

  const port = await freePort();
  // The demo's own VTN port when it is free, so the picture shows what `npm start` shows.
  const vtnPort = await freePort(8080);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'screenshots-'));
  const demo = spawn(
    process.execPath,
    [
      path.join(root, 'scripts', 'start.js'),
      '--port',
      String(port),
      '--vtn-port',
      String(vtnPort),
      '--user-dir',
      userDir,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  demo.stdout.on('data', (d) => (out += d));
  demo.stderr.on('data', (d) => (out += d));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  let context;
  try {
    const editor = `http://127.0.0.1:${port}`;
    await waitFor(() => out.includes('Demo running'), 90000, `the demo to start\n${out}`);
    await waitFor(
      async () => {
        const state = await (await fetch(`${editor}/demo/state`)).json();
        return state.commands.some((c) => c.outcome === 'acked');
      },
      90000,
      'the first command acknowledged by the simulated heater',
    );
    await waitFor(async () => (await fetch(`${editor}/hpwh/schedule.svg`)).ok, 30000, 'the schedule picture');
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] || (await context.newPage());
    fs.mkdirSync(outDir, { recursive: true });
    const seen = await shootEditor(page, editor, path.join(outDir, 'editor-pipeline.png'));
    await shootSchedule(page, `${editor}/hpwh/schedule`, path.join(outDir, 'schedule.png'));
    console.log(
      `screenshots: ${seen.nodes} nodes, ${seen.statuses.length} statuses → ${outDir}/editor-pipeline.png, schedule.png`,
    );
  } finally {
    if (context) await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    if (demo.exitCode === null) {
      const gone = new Promise((r) => demo.once('exit', r));
      demo.kill('SIGTERM');
      await gone;
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

module.exports = { shootEditor, shootSchedule, CHROMIUM_ARGS };

if (require.main === module) {
  main().catch((err) => {
    console.error(`screenshots: ${err.message}`);
    process.exit(1);
  });
}
