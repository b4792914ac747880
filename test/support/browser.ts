/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser): a fresh profile per
 * launch, headless, no background networking (this machine's network is closed).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { chromium, BrowserContext, Page } from 'playwright-core';
import { requireTool } from './tools';

export const screenshotsDir = path.resolve(__dirname, '..', '..', 'test-results', 'screenshots');

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  /** Console errors and page errors seen so far. */
  errors: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** The browser's language (navigator.language, Accept-Language), e.g. 'de-DE'; default en-US. */
  locale?: string;
}

export async function launchBrowser(
  ctx: Mocha.Context,
  options: LaunchOptions = {},
): Promise<BrowserSession> {
  const executablePath = requireTool(ctx, 'chromium');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    locale: options.locale ?? 'en-US',
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const file = path.join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
