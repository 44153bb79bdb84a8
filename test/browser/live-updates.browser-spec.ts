import { join } from 'node:path';
import { PASSWORD } from '@referloop/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, DESKTOP, launchBrowser, listen, PHONE, SCREENSHOTS, watchPage } from '../support/browser';
import { createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

/**
 * Live updates in the browser: the LMT sends a referral from its page, and the PT's inbox (open in
 * another browser context) lists it, the bell counts it and the LMT's detail page follows the PT's
 * accept, all without a reload.
 */
describe('web app in the browser: live updates', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems = { pageErrors: [] as string[], cspViolations: [] as string[] };
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let patientId: string;

  async function newPage(label: string, viewport = DESKTOP): Promise<Page> {
    const context = await browser.newContext({ viewport, baseURL: base, locale: 'en-US' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watchPage(page, label, problems);
    return page;
  }

  async function signIn(page: Page, email: string): Promise<void> {
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
  }

  /** A marker in the page's window: still there afterwards means the page was not reloaded. */
  const mark = (page: Page) => page.evaluate(() => ((globalThis as unknown as { liveMark: number }).liveMark = 42));
  const marked = (page: Page) => page.evaluate(() => (globalThis as unknown as { liveMark?: number }).liveMark === 42);

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    base = await listen(t);
    const massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist', { fullName: 'Morgan Massage' });
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist', { fullName: 'Priya Physio' });
    patientId = (await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' })).id;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  it('the PT sees a newly sent referral appear in the inbox and the bell, and the LMT sees the accept, without reloading', async () => {
    const lmtPage = await newPage('lmt');
    const ptPage = await newPage('pt');
    await signIn(lmtPage, lmt.email);
    await signIn(ptPage, pt.email);
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    await lmtPage.goto(`/referrals/${draft.id}`);
    await lmtPage.locator('[data-action="send"]').waitFor();
    const row = ptPage.locator(`tr[data-referral-id="${draft.id}"]`);
    expect(await row.count()).toBe(0);
    const bell = ptPage.getByTestId('unread-count');
    const unreadBefore = Number(await bell.innerText());
    await mark(ptPage);
    await mark(lmtPage);

    await lmtPage.locator('[data-action="send"]').click();
    await row.waitFor({ timeout: 5_000 });
    // The worker writes the PT's notification a moment after the send: the bell counts it without a reload.
    const deadline = Date.now() + 10_000;
    while (Number(await bell.innerText()) <= unreadBefore) {
      if (Date.now() > deadline) throw new Error('the bell did not count the new notification');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await marked(ptPage)).toBe(true);
    await ptPage.screenshot({ path: join(SCREENSHOTS, 'live-pt-inbox.png'), fullPage: true });
    expect(await axeViolations(ptPage)).toEqual([]);

    // The PT accepts through the API; the LMT's detail page shows it by itself.
    const sent = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(pt.auth).expect(200)).body;
    await t.http
      .post(`/api/v1/referrals/${draft.id}/accept`)
      .set(pt.auth)
      .send({ version: sent.version, note: 'Happy to' })
      .expect(200);
    await lmtPage.locator('[data-testid=referral-status] [data-status="accepted"]').waitFor({ timeout: 5_000 });
    expect(await marked(lmtPage)).toBe(true);
    expect(await axeViolations(lmtPage)).toEqual([]);

    // On a phone too: the inbox stays accessible.
    const phone = await newPage('pt-phone', PHONE);
    await signIn(phone, pt.email);
    await phone.locator(`tr[data-referral-id="${draft.id}"], [data-referral-id="${draft.id}"]`).first().waitFor();
    expect(await axeViolations(phone)).toEqual([]);
    expect(problems).toEqual({ pageErrors: [], cspViolations: [] });
  });
});
