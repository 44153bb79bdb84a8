import type { Page } from 'playwright-core';
import { BrowserRun, listen, signIn } from '../support/browser';
import { createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import { eventually } from '../support/sinks';
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
    // Live, not at once: 10 s for a loaded CI machine, as in seed-story (a reload would be minutes away).
    await row.waitFor({ timeout: 10_000 });
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
    await lmtPage.locator('[data-testid=referral-status] [data-status="accepted"]').waitFor({ timeout: 10_000 });
    expect(await marked(lmtPage)).toBe(true);
    await run.shot(lmtPage, 'live-lmt-accepted');
  });

  it('searches the inbox in the page: the patient’s name never goes into the address', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    await t.http.post(`/api/v1/referrals/${draft.id}/send`).set(lmt.auth).send({ version: draft.version }).expect(200);
    const page = await run.newPage('pt-search');
    await signIn(page, pt.email);
    const row = page.locator(`tr[data-referral-id="${draft.id}"]`);
    await row.waitFor();
    await page.locator('#inbox-search').fill('Rivera');
    await row.waitFor();
    expect(page.url()).not.toContain('Rivera');
    await page.locator('#inbox-search').fill('Nobody-by-this-name');
    await row.waitFor({ state: 'detached' });
    expect(page.url()).not.toContain('Nobody');
  });

  it('the bell shows its latest answer: a slower, older load does not bring back notifications just read', async () => {
    // Something unread for the PT: a referral sent to them (the worker writes the notification).
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    await t.http.post(`/api/v1/referrals/${draft.id}/send`).set(lmt.auth).send({ version: draft.version }).expect(200);
    const unread = await eventually(async () => {
      const inbox = await t.http.get('/api/v1/notifications?unread=true&limit=50').set(pt.auth).expect(200);
      const items = inbox.body.items as { id: string; referralId: string }[];
      return items.some((n) => n.referralId === draft.id) && items;
    }, 'the PT told of the sent referral');
    const page = await run.newPage('bell');
    await signIn(page, pt.email);
    const bell = page.getByTestId('unread-count');
    await page.getByRole('button', { name: `Notifications, ${unread.length} unread` }).waitFor();

    // The next load's answer (fetched now, still counting them unread) is held back until a later
    // load has answered.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let fetched!: () => void;
    const heldFetched = new Promise<void>((resolve) => (fetched = resolve));
    let answered!: () => void;
    const heldAnswered = new Promise<void>((resolve) => (answered = resolve));
    let held = false;
    const inboxLoads = (url: URL) => url.pathname === '/api/v1/notifications';
    await page.route(inboxLoads, async (route) => {
      if (held) return route.continue();
      held = true;
      const answer = await route.fetch();
      fetched();
      await released;
      await route.fulfill({ response: answer });
      answered();
    });
    /** Fires a window event in the page, as the browser or the app would. */
    const fire = (type: string) =>
      page.evaluate((name) => (globalThis as unknown as EventTarget).dispatchEvent(new Event(name)), type);
    await fire('focus');
    await heldFetched;

    // Meanwhile they are read (another tab), and the bell refreshes: nothing unread.
    for (const n of unread) await t.http.post(`/api/v1/notifications/${n.id}/read`).set(pt.auth).expect(200);
    await fire('referloop:notifications-changed');
    await page.getByRole('button', { name: 'Notifications, 0 unread' }).waitFor();

    // The older answer arrives last: the bell keeps the newer one.
    release();
    await heldAnswered;
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
    expect(await bell.textContent()).toBe('0');
    await page.unroute(inboxLoads);
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
