import type { Page } from 'playwright-core';
import { BrowserRun, focusIs, listen, signIn } from '../support/browser';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from '../support/test-app';

/**
 * A practitioner who also runs the clinic has the app open when another admin removes their admin
 * rights, and later grants them again: the open app follows at once, without a reload. Told by
 * their live stream (the in-app notification), or, with the stream down, by the first 403.
 */

jest.setTimeout(180_000);

describe('web app in the browser: admin rights changed under an open app', () => {
  let t: TestApp;
  let run: BrowserRun;
  let clinic: TestClinic;
  let lena: SignedInUser;

  const setAdmin = (isAdmin: boolean) =>
    t.http.patch(`/api/v1/practitioners/${lena.id}`).set(clinic.admin.auth).send({ isAdmin }).expect(200);
  const adminLink = (page: Page) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' });
  /** A mark on the page's window: still there, the page was never reloaded. */
  const mark = (page: Page) => page.evaluate("window.referloopMark = 'same page'");
  const marked = (page: Page) => page.evaluate('window.referloopMark');

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    clinic = await registerClinic(t.http, { name: 'Riverside Massage' });
    lena = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Lena Morales' });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('rights removed under an admin screen: the Admin navigation goes and she is moved to her referrals, told why', async () => {
    await setAdmin(true);
    const page = await run.newPage('lena');
    await signIn(page, lena.email);
    await adminLink(page).click();
    await page.getByRole('heading', { level: 1, name: 'Clinic dashboard' }).waitFor();
    await mark(page);

    await setAdmin(false);
    await page.getByText('Your clinic admin rights were removed').waitFor();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await adminLink(page).count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Admin' }).count()).toBe(0);
    expect(await page.getByRole('tab', { name: 'Clinic' }).count()).toBe(0);
    await focusIs(page, 'div', /Your clinic admin rights were removed/);
    // The bell says who did it.
    await page.getByRole('button', { name: /^Notifications/ }).click();
    await page.getByText('Avery Admin removed your clinic admin rights.').waitFor();
    await page.keyboard.press('Escape');
    await run.shot(page, 'access-01-admin-rights-removed');
    expect(await marked(page)).toBe('same page');

    // Granted again: the Admin navigation and the Clinic box come back without a reload.
    await setAdmin(true);
    await adminLink(page).waitFor();
    await page.getByRole('tab', { name: 'Clinic' }).waitFor();
    expect(await marked(page)).toBe('same page');
    await adminLink(page).click();
    await page.getByRole('heading', { level: 1, name: 'Clinic dashboard' }).waitFor();
    await run.shot(page, 'access-02-admin-rights-granted');
  });

  it('with the live stream down, the first 403 on the Clinic box re-reads her rights and moves her on', async () => {
    const page = await run.newPage('lena, no stream');
    await page.route('**/api/v1/events', (route) => route.abort());
    await signIn(page, lena.email);
    await page.getByRole('tab', { name: 'Clinic' }).click();
    await page.waitForURL('**/?box=clinic');
    await mark(page);

    await setAdmin(false);
    // Any call the Clinic box makes now answers 403: changing its sort asks again.
    await page.getByLabel('Sort').selectOption('priority');
    await page.getByText('Your clinic admin rights were removed').waitFor();
    expect(new URL(page.url()).search).toBe('');
    expect(await page.getByRole('tab', { name: 'Clinic' }).count()).toBe(0);
    await page.getByRole('tab', { name: 'Received', selected: true }).waitFor();
    expect(await adminLink(page).count()).toBe(0);
    expect(await marked(page)).toBe('same page');

    // Granted while the tab was in the background: it re-reads when it becomes visible again.
    await setAdmin(true);
    await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
    await adminLink(page).waitFor();
    expect(await marked(page)).toBe('same page');
  });

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
