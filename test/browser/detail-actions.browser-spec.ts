import type { Page } from 'playwright-core';
import { BrowserRun, focusIs, listen, signIn } from '../support/browser';
import { actionBody, actOk, createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from '../support/test-app';

/**
 * The action forms of a referral's page in Debian's Chromium against the real API: a form closes
 * once its own action is done (also one the new state still offers, as Reschedule). Every screen
 * passes axe-core (WCAG 2.1 A/AA) at desktop and at phone size.
 */

jest.setTimeout(180_000);

describe('web app in the browser: the action forms of a referral', () => {
  let t: TestApp;
  let run: BrowserRun;
  let physio: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    const massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Morgan Massage' });
    pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Priya Physio' });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  /** A referral from the LMT to the PT for a new patient, sent, then taken through `actions` by the PT. */
  async function referral(firstName: string, actions: string[] = []) {
    const patient = await createPatient(t.http, lmt, { firstName, lastName: 'Test' });
    let current = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    for (const action of actions) current = await actOk(t.http, pt, current, action, actionBody(action));
    return current as { id: string; version: number };
  }

  async function open(page: Page, id: string, firstName: string) {
    await page.goto(`/referrals/${id}`);
    await page.getByRole('heading', { level: 1, name: `Referral for ${firstName} Test` }).waitFor();
  }

  const CHANGED = 'The referral changed while this was open';

  it('Reschedule closes its form once the appointment has moved, and focus goes to what it did', async () => {
    const scheduled = await referral('Rosa', ['accept', 'schedule']);
    const page = await run.newPage('pt-reschedule');
    await signIn(page, pt.email);
    await open(page, scheduled.id, 'Rosa');
    await page.getByRole('button', { name: 'Reschedule' }).click();
    const form = page.getByRole('form', { name: 'Reschedule' });
    // Ten days ahead at 10:00, on any clinic's clocks still in the future.
    await form
      .getByLabel('Appointment date and time')
      .fill(`${new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10)}T10:00`);
    await form.getByRole('button', { name: 'Reschedule', exact: true }).click();

    await page.getByText('Appointment moved for Rosa Test').waitFor();
    await page.getByTestId('timeline').locator('[data-event="rescheduled"]').waitFor();
    await focusIs(page, 'div', /Appointment moved for Rosa Test/);
    // Its own change is not news to it: the form is gone, not left open "changed while this was open".
    expect(await form.count()).toBe(0);
    expect(await page.getByText(CHANGED).count()).toBe(0);
    await page.getByRole('button', { name: 'Reschedule' }).waitFor();
    await run.shot(page, 'detail-actions-01-rescheduled');
  });

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
