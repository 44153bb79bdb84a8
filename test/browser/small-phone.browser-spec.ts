import type { Page } from 'playwright-core';
import { BrowserRun, focused, focusIs, listen, PHONE, scrollsSideways, signIn } from '../support/browser';
import { actOk, createPatient, createReferral, injuryReferralBody, invitedReferralBody } from '../support/referral-helpers';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

/**
 * A solo massage therapist on the smallest phones, in Debian's Chromium against the real API: at
 * 320 CSS px (WCAG 1.4.10 reflow, also a 1280 px window at 400 % zoom) no screen scrolls sideways,
 * and keyboard focus (a keyboard paired with the phone, a screen reader's cursor) is never dropped
 * to <body> by an action: loading more of a list, answering the leave question over the phone menu,
 * trying a failed load again.
 */

jest.setTimeout(180_000);

/** The narrowest screen WCAG's reflow criterion asks for. */
const SMALLEST = { width: 320, height: 640 };

describe('web app in the browser: the smallest phone', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;
  let invitedId: string;

  const phonePage = (label: string, viewport = SMALLEST): Promise<Page> => run.newPage(label, { viewport });

  beforeAll(async () => {
    t = await startTestApp();
    run = await BrowserRun.start(await listen(t));
    const massage = await registerClinic(t.http, { name: 'Solo Hands Massage', city: 'Austin', postalCode: '78701' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Lena Solo' });
    const physio = await registerClinic(t.http, { name: 'Capitol Physio', city: 'Austin', postalCode: '78702' });
    const pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Priya Physio' });
    // More sent referrals than one page of the list (25).
    for (let i = 0; i < 27; i += 1) {
      const patient = await createPatient(t.http, lmt, { firstName: `Client${i}`, lastName: 'Rivera' });
      await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    }
    // One to a PT not on ReferLoop yet: its page offers the join link to hand over.
    const invited = await createPatient(t.http, lmt, { firstName: 'Noor', lastName: 'Haddad' });
    const draft = await createReferral(t.http, lmt, invitedReferralBody(invited.id, 'sam.okafor@example.test'));
    invitedId = (await actOk(t.http, lmt, draft, 'send')).id;
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('the sign-up form fits a 320 px screen: its two ways to use ReferLoop stack', async () => {
    const page = await phonePage('sign-up');
    await page.goto('/sign-up');
    await page.getByRole('form', { name: 'Create your practice' }).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
    await run.shot(page, 'small-01-sign-up-320', { sizes: 'current' });
  });

  it('a chosen recipient fits a 320 px screen: "Change recipient" goes under the card, not off the screen', async () => {
    const page = await phonePage('recipient');
    await signIn(page, lmt.email);
    await page.goto('/referrals/new');
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    await page.getByLabel('Name or clinic').fill('Priya');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: /^Choose Priya Physio/ }).click();
    const change = page.getByTestId('selected-recipient').getByRole('button', { name: 'Change recipient' });
    await change.waitFor();
    const box = (await change.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(SMALLEST.width);
    expect(await scrollsSideways(page)).toBe(false);
    await run.shot(page, 'small-02-recipient-chosen-320', { sizes: 'current' });
  });

  it('the join link to hand over stays readable at 320 px: "Copy link" goes under it rather than squeezing it', async () => {
    const page = await phonePage('join-link');
    await signIn(page, lmt.email);
    await page.goto(`/referrals/${invitedId}`);
    const link = page.getByLabel('Join link to hand over');
    await link.waitFor();
    expect(await link.inputValue()).toMatch(/\/sign-up#invitation=/);
    // A dozen characters of the address at least (it was 23 px wide: two characters).
    expect((await link.boundingBox())!.width).toBeGreaterThanOrEqual(100);
    expect(await scrollsSideways(page)).toBe(false);
    await run.shot(page, 'small-04-join-link-320', { sizes: 'current' });
  });

  it('"Load more" hands focus to the first referral it loaded, not to <body>', async () => {
    const page = await phonePage('load-more', PHONE);
    await signIn(page, lmt.email);
    await page.getByRole('tab', { name: 'Sent' }).click();
    const rows = page.locator('tr[data-referral-id]');
    await rows.nth(24).waitFor();
    expect(await rows.count()).toBe(25);
    await page.getByRole('button', { name: 'Load more' }).press('Enter');
    await rows.nth(27).waitFor();
    // The 26th referral's patient link (newest first: Noor, then Client26 … Client0).
    await focusIs(page, 'a', /^Client2 Rivera$/);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
  });

  it('Escape on the leave question asked over the phone menu keeps the menu and gives focus back to the link', async () => {
    const page = await phonePage('leave-menu', PHONE);
    await signIn(page, lmt.email);
    await page.goto('/referrals/new');
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    await page.getByLabel(/^Reason for referral/).fill('Shoulder pain after a fall');
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }).press('Enter');
    await page.getByRole('dialog', { name: 'Leave without saving?' }).waitFor();
    await focusIs(page, 'button', /^Stay on this page$/);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await focusIs(page, 'a', /^Patients$/);
    expect((await focused(page)).tag).not.toBe('body');
    expect(await page.getByLabel(/^Reason for referral/).inputValue()).toBe('Shoulder pain after a fall');
  });

  it('"Try again" after a failed load hands focus to the screen\'s heading once it loads, not to <body>', async () => {
    const page = await phonePage('retry', PHONE);
    await signIn(page, lmt.email);
    // Offline for the patients list: the screen says it could not load them, with "Try again".
    await page.route('**/api/v1/patients/search', (route) => route.abort('internetdisconnected'));
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }).click();
    const retry = page.getByRole('button', { name: 'Try again' });
    await retry.waitFor();
    await run.shot(page, 'small-03-patients-could-not-load', { sizes: 'current' });
    await page.unroute('**/api/v1/patients/search');
    await retry.press('Enter');
    await page.getByRole('list', { name: 'Patients' }).waitFor();
    await focusIs(page, 'h1', /^Patients$/);
  });

  it('saw no uncaught error, no CSP violation and no WCAG 2.1 A/AA violation', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
  });
});
