import assert from 'assert';
import fs from 'fs';
import path from 'path';
import { createVtn, Vtn } from '../../src';
import { BrowserSession, launchBrowser, screenshot } from '../support/browser';
import { repoRoot } from '../support/node-red-process';

const sampleEvent = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'sample_data', 'event_pricing.json'), 'utf8'),
);
const sampleProgram = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'sample_data', 'program_pricing.json'), 'utf8'),
);

/** Talk to the VTN's REST API as a client would. */
async function api(base: string, method: string, p: string, token: string, body?: unknown) {
  const res = await fetch(`${base}/openadr3/3.0.1${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function token(base: string, id: string, secret: string): Promise<string> {
  const res = await fetch(`${base}/openadr3/3.0.1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret: secret }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('browser: the VTN status page in Chromium', function () {
  this.timeout(90000);
  let browser: BrowserSession;
  let vtn: Vtn;
  let base: string;

  before(async function () {
    browser = await launchBrowser(this);
    // Bound beyond loopback (plain HTTP there only behind a TLS-terminating proxy): VEN and
    // report details need BL credentials.
    vtn = await createVtn({ store: ':memory:', trustProxy: true, publicUrl: 'https://vtn.example.com' });
    const { port } = await vtn.listen(0, '0.0.0.0');
    base = `http://127.0.0.1:${port}`;
    const bl = await token(base, 'bl_client', '1001');
    const ven = await token(base, 'ven_client', '999');
    const program = await api(base, 'POST', '/programs', bl, sampleProgram);
    const event = await api(base, 'POST', '/events', bl, { ...sampleEvent, programID: program.id });
    await api(base, 'POST', '/vens', ven, { venName: 'water-heater-17' });
    await api(base, 'POST', '/reports', ven, {
      programID: program.id,
      eventID: event.id,
      clientName: 'water-heater-17',
      reportName: 'telemetry-1',
      resources: [
        {
          resourceName: 'hpwh',
          intervals: [{ id: 0, payloads: [{ type: 'STORAGE_CHARGE_LEVEL', values: [55] }] }],
        },
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await vtn?.close();
  });

  it('shows anonymous visitors only where the API is and a sign-in link', async () => {
    const { page, errors } = browser;
    await page.goto(`${base}/`);
    assert.match((await page.textContent('#api')) ?? '', /openadr3\/3\.0\.1/);
    for (const section of ['#programs', '#events', '#vens', '#reports', '#subscriptions'])
      assert.strictEqual(await page.$(section), null, `no ${section} without sign-in`);
    assert.ok(await page.$('#sign-in-link'));
    await screenshot(page, 'vtn-status-anonymous');
    assert.deepStrictEqual(errors, [], 'no console errors (the CSP allows what the page uses)');
  });

  it('shows programs, events with a price chart, VENs and reports to a browser signed in with BL credentials', async () => {
    const { page, errors } = browser;
    await page.setExtraHTTPHeaders({
      authorization: `Basic ${Buffer.from('bl_client:1001').toString('base64')}`,
    });
    await page.goto(`${base}/`);
    assert.strictEqual(await page.textContent('#count-programs'), '1');
    assert.strictEqual(await page.textContent('#count-events'), '1');
    assert.match((await page.textContent('#programs')) ?? '', /etou-dynamic-pricing/);
    assert.match((await page.textContent('#events')) ?? '', /etou-dyn-2026-02-17/);
    const chart = await page.$('#events svg');
    assert.ok(chart, 'the event row has a price chart');
    const box = await chart!.boundingBox();
    assert.ok(box && box.width > 20 && box.height > 5, `the chart is drawn (${JSON.stringify(box)})`);
    assert.match((await page.textContent('#vens')) ?? '', /water-heater-17/);
    assert.match((await page.textContent('#reports')) ?? '', /telemetry-1/);
    await screenshot(page, 'vtn-status-signed-in');
    await page.setExtraHTTPHeaders({
      authorization: `Basic ${Buffer.from('bl_client:wrong').toString('base64')}`,
    });
    await page.goto(`${base}/`);
    assert.strictEqual(await page.$('#vens'), null, 'a wrong secret shows no details');
    assert.deepStrictEqual(errors, []);
  });
});
