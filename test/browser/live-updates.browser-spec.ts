import type { Page } from 'playwright-core';
import { BrowserRun, listen, signIn } from '../support/browser';
import { createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

/**
 * Live updates in the browser: the LMT sends a referral from its page, and the PT's inbox (open in
 * another browser context) lists it, the bell counts it and the LMT's detail page follows the PT's
 * accept, all without a reload. The session's cookies stay out of the page's reach.
 */
describe('web app in the browser: live updates', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let patientId: string;

  /** A marker in the page's window: still there afterwards means the page was not reloaded. */
  const mark = (page: Page) => page.evaluate(() => ((globalThis as unknown as { liveMark: number }).liveMark = 42));
  const marked = (page: Page) => page.evaluate(() => (globalThis as unknown as { liveMark?: number }).liveMark === 42);

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    const massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist', { fullName: 'Morgan Massage' });
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist', { fullName: 'Priya Physio' });
    patientId = (await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' })).id;
  });
  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('the PT sees a newly sent referral appear in the inbox and the bell, and the LMT sees the accept, without reloading', async () => {
    const lmtPage = await run.newPage('lmt');
    const ptPage = await run.newPage('pt');
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
    await run.shot(ptPage, 'live-pt-inbox');

    // The PT accepts through the API; the LMT's detail page shows it by itself.
    const sent = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(pt.auth).expect(200)).body;
    await t.http
      .post(`/api/v1/referrals/${draft.id}/accept`)
      .set(pt.auth)
      .send({ version: sent.version, note: 'Happy to' })
      .expect(200);
    await lmtPage.locator('[data-testid=referral-status] [data-status="accepted"]').waitFor({ timeout: 5_000 });
    expect(await marked(lmtPage)).toBe(true);
    await run.shot(lmtPage, 'live-lmt-accepted');
  });

  it('keeps the session cookies (refresh and live updates) out of the page’s scripts', async () => {
    const page = await run.newPage('cookies');
    await signIn(page, pt.email);
    const cookies = await page.context().cookies();
    const byName = new Map(cookies.map((c) => [c.name, c]));
    expect(byName.get('referloop_events')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/events' });
    expect(byName.get('referloop_refresh')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });
    const visible = await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie);
    expect(visible).not.toContain('referloop_');
    // The browser sends the events cookie to the stream by itself: an EventSource (no headers) is let in.
    const opened = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const Source = (
            globalThis as unknown as { EventSource: new (url: string) => { close(): void; onopen: unknown; onerror: unknown } }
          ).EventSource;
          const source = new Source('/api/v1/events');
          source.onopen = () => {
            source.close();
            resolve('open');
          };
          source.onerror = () => {
            source.close();
            resolve('error');
          };
        }),
    );
    expect(opened).toBe('open');
  });

  it('met no page error, CSP violation, accessibility violation or sideways scrolling', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
