import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TestApp } from './test-app';

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');
const WEB_INDEX = join(ROOT, 'dist/web/index.html');
export const SCREENSHOTS = join(ROOT, 'test-artifacts/screenshots');
// Headless, and kept off the network (no updates, sync, field trials or QUIC probes).
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
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };
// Evaluated through the DevTools protocol rather than added as a <script>: the app's CSP (rightly) refuses inline scripts.
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Launches Chromium, after checking that it and the built web app are there. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the browser tests need it. Install it with ` +
        '`apt-get update && apt-get install -y chromium` (.ci/run does this when it is missing).',
    );
  }
  if (!existsSync(WEB_INDEX)) throw new Error(`${WEB_INDEX} is missing: run \`npm run build\` (it builds the web app too).`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Serves the test app on a loopback port; answers its base URL. */
export async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/** Records the page's uncaught errors and Content-Security-Policy violations (Chromium logs each one). */
export function watchPage(page: Page, label: string, problems: { pageErrors: string[]; cspViolations: string[] }): void {
  page.on('pageerror', (error) => problems.pageErrors.push(`${label}: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      problems.cspViolations.push(`${label}: ${message.text()}`);
    }
  });
}

/** The page's WCAG 2.1 A/AA violations found by axe-core, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  return page.evaluate(async () => {
    type Axe = {
      run(options: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }>;
    };
    const axe = (globalThis as unknown as { axe: Axe }).axe;
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** True when the page scrolls sideways (wider than its viewport). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } })
      .document.documentElement;
    return root.scrollWidth > root.clientWidth;
  });
}
