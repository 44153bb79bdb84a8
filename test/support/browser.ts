import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { isoDateFrom, PASSWORD } from '@referloop/testing';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { eventually } from './sinks';
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

/** What has keyboard focus (see {@link focused}). */
export interface Focused {
  /** Its tag, lower case (`none` when nothing has focus). */
  tag: string;
  /** Its words: its first <label>, its aria-label, its name attribute and its text, those it has, in that order. */
  text: string;
  /** Its aria-invalid. */
  invalid: string | null;
}

/** Whether `locator`'s element has keyboard focus. */
export function hasFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate(
    (element) => element === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement,
  );
}

/** What has keyboard focus: its tag, its words (label, aria-label, name and text) and aria-invalid. */
export function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const doc = (
      globalThis as unknown as {
        document: {
          activeElement: {
            tagName: string;
            textContent: string | null;
            getAttribute(name: string): string | null;
            labels?: { textContent: string | null }[];
          } | null;
        };
      }
    ).document;
    const active = doc.activeElement;
    if (!active) return { tag: 'none', text: '', invalid: null };
    const words = [
      active.labels?.[0]?.textContent,
      active.getAttribute('aria-label'),
      active.getAttribute('name'),
      active.textContent,
    ];
    return {
      tag: active.tagName.toLowerCase(),
      text: words
        .map((w) => (w ?? '').trim())
        .filter(Boolean)
        .join(' '),
      invalid: active.getAttribute('aria-invalid'),
    };
  });
}

/**
 * A pattern for `iso` on the clocks of `timeZone` with a short zone name matching `zoneName` after it,
 * as the admin screens show the clinic's times ("Dec 1, 2026, 8:15 AM CST"): the date and time as
 * Node's Intl writes them there (a reading of its own, not the app's), any white space as any (Intl
 * puts U+202F before AM and PM). For `locator.filter({ hasText })`.
 */
export function timeIn(iso: string, timeZone: string, zoneName: string): RegExp {
  const time = new Intl.DateTimeFormat('en-US', { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  const words = time
    .trim()
    .split(/\s+/)
    .map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![\\w,])${words.join('\\s+')}\\s+${zoneName}(?!\\w)`);
}

/** Waits until focus is on an element matching `tag` whose words (see {@link focused}) match `text`. */
export async function focusIs(page: Page, tag: string, text: RegExp): Promise<void> {
  await eventually(async () => {
    const now = await focused(page);
    return now.tag === tag && text.test(now.text);
  }, `focus on ${tag} ${text}`);
}

export interface NewPageOptions {
  viewport?: { width: number; height: number };
  /** The browser's time zone (e.g. far from the clinic's, to prove times follow the clinic). */
  timezoneId?: string;
  /** Another tab of an existing context (same cookies) instead of a new context. */
  context?: BrowserContext;
}

export interface ShotOptions {
  /**
   * `both` (the default): screenshot and axe at desktop size, then at phone size, where the page must
   * not scroll sideways; the viewport is put back afterwards. `current`: at the page's viewport only.
   */
  sizes?: 'both' | 'current';
}

/**
 * One browser test file's Chromium: its pages (each in its own context unless told otherwise), and
 * what they got wrong: uncaught errors, CSP violations, axe WCAG 2.1 A/AA violations and screens
 * wider than a phone. A spec asserts those lists are empty in its last tests.
 */
export class BrowserRun {
  readonly pageErrors: string[] = [];
  readonly cspViolations: string[] = [];
  readonly accessibility: string[] = [];
  readonly overflowing: string[] = [];
  private readonly contexts: BrowserContext[] = [];

  private constructor(
    readonly browser: Browser,
    readonly base: string,
  ) {}

  /** Launches Chromium for pages opened on `base` (the URL {@link listen} answered). */
  static async start(base: string): Promise<BrowserRun> {
    return new BrowserRun(await launchBrowser(), base);
  }

  /** A new browser context (its own cookies: another person, or the same person on another device). */
  async newContext(options: Omit<NewPageOptions, 'context'> = {}): Promise<BrowserContext> {
    const context = await this.browser.newContext({
      viewport: options.viewport ?? DESKTOP,
      baseURL: this.base,
      locale: 'en-US',
      timezoneId: options.timezoneId,
    });
    this.contexts.push(context);
    return context;
  }

  /** A page, watched for uncaught errors and CSP violations under `label`. */
  async newPage(label: string, options: NewPageOptions = {}): Promise<Page> {
    const context = options.context ?? (await this.newContext(options));
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watchPage(page, label, this);
    return page;
  }

  /** Screenshots a screen under `name` and checks it with axe-core (see {@link ShotOptions}). */
  async shot(page: Page, name: string, options: ShotOptions = {}): Promise<void> {
    if (options.sizes === 'current') {
      await this.snapshot(page, name);
      for (const violation of await axeViolations(page)) this.accessibility.push(`${name}: ${violation}`);
      return;
    }
    const viewport = page.viewportSize();
    for (const [size, dimensions] of [
      ['desktop', DESKTOP],
      ['phone', PHONE],
    ] as const) {
      await page.setViewportSize(dimensions);
      await this.snapshot(page, size === 'phone' ? `${name}-phone` : name);
      for (const violation of await axeViolations(page)) this.accessibility.push(`${name} (${size}): ${violation}`);
      if (size === 'phone' && (await scrollsSideways(page))) this.overflowing.push(name);
    }
    if (viewport) await page.setViewportSize(viewport);
  }

  /** A screenshot only (e.g. what each page showed when a step failed). */
  async snapshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }

  async close(): Promise<void> {
    for (const context of this.contexts) await context.close().catch(() => undefined);
    await this.browser.close();
  }
}

/** Signs in through the sign-in screen and waits for the referral lists. */
export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
}

/**
 * The next request to `url` (with `method`, when given) reaches the API, which takes it, but its
 * answer never arrives (the connection resets on the way back): a lost answer. Later ones go through.
 */
export async function loseNextAnswer(page: Page, url: string, method?: string): Promise<void> {
  let lost = false;
  await page.route(url, async (route) => {
    if (lost || (method && route.request().method() !== method)) return route.fallback();
    lost = true;
    await route.fetch();
    await route.abort('connectionreset');
  });
}

/** Fills the sign-up form's practice, licence and password fields; the person's name and email are left to the test. */
export async function fillSignUpPractice(page: Page): Promise<Locator> {
  const form = page.getByRole('form', { name: 'Create your practice' });
  await form.getByLabel('Practice name').fill('Okafor Physiotherapy');
  await form.getByLabel('Phone').fill('+1 512 555 0150');
  await form.getByLabel('Street address').fill('400 Congress Ave');
  await form.getByLabel('City').fill('Austin');
  await form.getByLabel(/^State or province/).fill('TX');
  await form.getByLabel('Postal code').fill('78701');
  await form.getByLabel('Licence number').fill('PT-5521');
  await form.getByLabel('Licensing state or province').fill('TX');
  await form.getByLabel('Licence expires on').fill(isoDateFrom(new Date(), 365));
  await form.getByLabel('Password').fill(PASSWORD);
  return form;
}
