/** Opens an HTML report in Debian's headless Chromium (playwright-core), as a person would. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { ROOT } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export interface RenderedReport {
  charts: Array<{ id: string; points: number; canvases: number }>;
  consoleErrors: string[];
  verdictRows: number;
  screenshot: string;
}

export async function openReport(htmlPath: string, screenshotName: string): Promise<RenderedReport> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    // Anything the page tries to fetch is a report that is not self-contained.
    await page.route(/^(?!file:)/, (route) => {
      consoleErrors.push(`network request: ${route.request().url()}`);
      return route.abort();
    });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector('body[data-charts]');
    const charts = await page.$$eval('.chart', (nodes) =>
      nodes.map((node) => ({ id: node.id, points: Number((node as HTMLElement).dataset.points ?? 0), canvases: node.querySelectorAll('canvas').length })),
    );
    const verdictRows = await page.$$eval('#verdicts tr', (rows) => rows.length - 1);
    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, screenshotName);
    await page.screenshot({ path: screenshot, fullPage: true });
    return { charts, consoleErrors, verdictRows, screenshot };
  } finally {
    await browser.close();
  }
}
