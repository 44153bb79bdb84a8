import { practitionerPayload } from '@referloop/testing';
import type { Page } from 'playwright-core';
import { BrowserRun, listen, signIn } from '../support/browser';
import { actOk, createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import { eventually } from '../support/sinks';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from '../support/test-app';

/**
 * Content at the limits the API accepts, in Debian's Chromium against the real API: names of 200
 * (people) and 100 (patients) characters with no space to break at, in Latin and non-Latin scripts,
 * and more than 99 unread notifications. Each screen passes axe-core (WCAG 2.1 A/AA) at desktop and
 * at phone size and does not scroll sideways on a phone.
 */

jest.setTimeout(240_000);

/** `base` repeated to exactly `length` characters: one word, nowhere to wrap. */
const word = (base: string, length: number) => base.repeat(Math.ceil(length / base.length)).slice(0, length);
const THAI = 'ศูนย์กายภาพบำบัดกรุงเทพมหานคร';

describe('web app in the browser: long and unusual content', () => {
  let t: TestApp;
  let run: BrowserRun;
  let massage: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;

  /** Screenshots and checks `page` as every screen is (BrowserRun.shot: both sizes), answering what it found of axe's `rule`. */
  async function shotViolations(page: Page, name: string, rule: string): Promise<string[]> {
    const before = run.accessibility.length;
    await run.shot(page, name);
    return run.accessibility.slice(before).filter((violation) => violation.includes(`: ${rule} `));
  }

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: word('Massagetherapeutin', 200) });
    pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: word(THAI, 200) });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('patients whose names are 100 characters without a space fit a phone', async () => {
    await createPatient(t.http, lmt, { firstName: word(THAI, 100), lastName: word('Sonnenschein', 100) });
    const page = await run.newPage('lmt-patients');
    await signIn(page, lmt.email);
    await page.goto('/patients');
    await page.getByRole('list', { name: 'Patients' }).getByRole('heading', { level: 2 }).waitFor();
    await run.shot(page, 'long-content-01-patients');
    expect(run.overflowing).toEqual([]);
  });

  it("the admin's tables that a 200-character name widens scroll by keyboard too", async () => {
    // Something of the LMT's in the audit log.
    await createPatient(t.http, lmt);
    const page = await run.newPage('admin');
    await signIn(page, massage.admin.email);
    await page.goto('/admin');
    await page.getByTestId('practitioner-metrics').getByText(word('Massagetherapeutin', 200)).waitFor();
    expect(await shotViolations(page, 'long-content-03-dashboard', 'scrollable-region-focusable')).toEqual([]);
    await page.goto('/admin/audit');
    await page.getByTestId('audit-table').getByText(word('Massagetherapeutin', 200)).first().waitFor();
    expect(await shotViolations(page, 'long-content-04-audit-log', 'scrollable-region-focusable')).toEqual([]);
  });

  it('the bell with more than 99 unread is named with what it shows', async () => {
    const patient = await createPatient(t.http, lmt);
    for (let i = 0; i < 100; i++) {
      const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
      await actOk(t.http, lmt, draft, 'send');
    }
    await eventually(async () => {
      const res = await t.http.get('/api/v1/notifications?unread=true&limit=1').set(pt.auth).expect(200);
      return (res.body as { unreadCount: number }).unreadCount > 99;
    }, 'more than 99 unread notifications');
    const page = await run.newPage('pt');
    await signIn(page, pt.email);
    await page.getByTestId('unread-count').filter({ hasText: '99+' }).waitFor();
    expect(await shotViolations(page, 'long-content-05-bell', 'label-content-name-mismatch')).toEqual([]);
    // Named with what it shows; the panel gives the exact count.
    const bell = page.getByRole('button', { name: 'Notifications, more than 99 unread' });
    await bell.click();
    await page
      .getByRole('region', { name: 'Notifications' })
      .getByText(/^1\d\d unread/)
      .waitFor();
  });

  it('an invitation for a 200-character name fits a phone', async () => {
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(massage.admin.auth)
      .send(practitionerPayload('massage_therapist', new Date(), { fullName: word('Eingeladene', 200) }))
      .expect(201);
    const page = await run.newPage('invited');
    await page.goto(`/accept-invitation#token=${invited.body.invitation.token as string}`);
    await page.getByText(`Welcome to ReferLoop, ${word('Eingeladene', 200)}.`).waitFor();
    await run.shot(page, 'long-content-02-accept-invitation');
    expect(run.overflowing).toEqual([]);
  });

  it('saw no uncaught error or CSP violation and no WCAG 2.1 A/AA violation', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
  });
});
