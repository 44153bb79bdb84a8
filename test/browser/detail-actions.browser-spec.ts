import type { Page } from 'playwright-core';
import { BrowserRun, focusIs, hasFocus, listen, signIn } from '../support/browser';
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
 * once its own action is done (also one the new state still offers, as Reschedule), a form whose
 * referral a colleague or the other side moves on keeps what was typed and says what changed, with
 * focus on that notice, and "What you can do" names the maintenance follow-up once an outcome is
 * sent. Every screen passes axe-core (WCAG 2.1 A/AA) at desktop and at phone size.
 */

jest.setTimeout(180_000);

// The other side's or a colleague's change reaches an open page over the live stream.
const LIVE = { timeout: 10_000 };

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

  const status = (page: Page, value: string) =>
    page.locator(`[data-testid=referral-status] [data-status="${value}"]`).waitFor(LIVE);
  const latest = async (id: string) => (await t.http.get(`/api/v1/referrals/${id}`).set(pt.auth).expect(200)).body;
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

  it('a form whose action a colleague takes away stays with what was typed, says what changed and takes focus', async () => {
    const sent = await referral('Noor');
    const page = await run.newPage('admin-decline');
    await signIn(page, physio.admin.email);
    await open(page, sent.id, 'Noor');
    await page.getByRole('button', { name: 'Decline' }).click();
    const form = page.getByRole('form', { name: 'Decline' });
    await form.getByLabel(/^Reason/).fill('No capacity this month');
    await focusIs(page, 'textarea', /Reason/);

    // The PT accepts it meanwhile: the admin's page follows, and declining is no longer offered.
    await actOk(t.http, pt, await latest(sent.id), 'accept', actionBody('accept'));
    await status(page, 'accepted');
    await page.getByRole('button', { name: 'Schedule' }).waitFor();
    const notice = form.getByText(CHANGED);
    await notice.waitFor();
    expect(await notice.innerText()).toMatch(/it is now Accepted, so Decline is no longer possible/);
    await focusIs(page, 'div', new RegExp(CHANGED));
    // What was typed is still there to copy, and nothing offers to send it.
    expect(await form.getByLabel(/^Reason/).inputValue()).toBe('No capacity this month');
    expect(await form.getByRole('button', { name: 'Decline' }).count()).toBe(0);
    await run.shot(page, 'detail-actions-02-decline-taken-away');

    // Back closes it, on to what the admin can do now.
    await form.getByRole('button', { name: 'Back' }).click();
    expect(await form.count()).toBe(0);
    await focusIs(page, 'h2', /What you can do/);
  });

  it('when nothing is left to do, Back from such a form goes to "What you can do", not to <body>', async () => {
    const sent = await referral('Omar');
    const page = await run.newPage('lmt-cancel');
    await signIn(page, lmt.email);
    await open(page, sent.id, 'Omar');
    await page.getByRole('button', { name: 'Cancel referral' }).click();
    const form = page.getByRole('form', { name: 'Cancel referral' });
    await form.getByLabel(/^Reason/).fill('The client found a physio nearer home');

    await actOk(t.http, pt, await latest(sent.id), 'decline', actionBody('decline'));
    await status(page, 'declined');
    await form.getByText(CHANGED).waitFor();
    await focusIs(page, 'div', new RegExp(CHANGED));
    expect(await form.getByLabel(/^Reason/).inputValue()).toBe('The client found a physio nearer home');

    await form.getByRole('button', { name: 'Back' }).click();
    await focusIs(page, 'h2', /What you can do/);
  });

  it('the progress form keeps its figures and says so when the referral changes, offered or not', async () => {
    const accepted = await referral('Lena', ['accept']);
    const page = await run.newPage('pt-progress');
    await signIn(page, pt.email);
    await open(page, accepted.id, 'Lena');
    await page.getByRole('button', { name: 'Report progress' }).click();
    const form = page.getByRole('form', { name: 'Report progress' });
    await form.getByLabel('Sessions completed').fill('3');
    await form.getByLabel(/^Note/).fill('Sleeping better');

    // The LMT adds a note: reporting is still possible, the form stays as typed and says so, focus stays put.
    await actOk(t.http, lmt, await latest(accepted.id), 'add-note', actionBody('add-note'));
    await page.getByTestId('timeline').getByText('Progress note').waitFor(LIVE);
    await form.getByText(CHANGED).waitFor();
    await focusIs(page, 'textarea', /Note/);
    expect(await form.getByLabel(/^Note/).inputValue()).toBe('Sleeping better');
    await form.getByRole('button', { name: 'Send progress report' }).waitFor();

    // The LMT asks to cancel: no more reports, the figures stay to copy, focus goes to the notice.
    await actOk(t.http, lmt, await latest(accepted.id), 'request-cancel', actionBody('request-cancel'));
    await status(page, 'cancel_requested');
    await form.getByText(/Report progress is no longer possible/).waitFor();
    await focusIs(page, 'div', new RegExp(CHANGED));
    expect(await form.getByLabel('Sessions completed').inputValue()).toBe('3');
    expect(await form.getByRole('button', { name: 'Send progress report' }).count()).toBe(0);
    await run.shot(page, 'detail-actions-03-progress-taken-away');

    await form.getByRole('button', { name: 'Back' }).click();
    await focusIs(page, 'h2', /What you can do/);
  });

  it('a long run of progress reports: the latest are shown, and the earlier ones on request', async () => {
    let current = await referral('Odile', ['accept']);
    // Past the 100 reports a referral's answer embeds.
    for (let i = 1; i <= 101; i++) {
      current = await actOk(t.http, pt, current, 'report-progress', {
        progress: { sessionsCompleted: i, tolerance: 'well', note: `Visit ${i}` },
      });
    }
    const page = await run.newPage('lmt-progress-history');
    await signIn(page, lmt.email);
    await open(page, current.id, 'Odile');
    const section = page.getByTestId('progress');
    const reports = section.getByTestId('progress-list').locator('li');
    const earlier = section.getByTestId('progress-earlier');
    await earlier.waitFor();
    expect(await earlier.innerText()).toContain('Showing the latest reports.');
    expect(await reports.count()).toBe(100);
    expect(await reports.first().getByText('Visit 2', { exact: true }).count()).toBe(1);
    await run.shot(page, 'detail-actions-04-progress-latest');

    await earlier.getByRole('button', { name: 'Show earlier reports' }).click();
    await reports.first().getByText('Visit 1', { exact: true }).waitFor();
    expect(await reports.count()).toBe(101);
    expect(await earlier.count()).toBe(0);
    expect(await reports.last().getByText('Visit 101', { exact: true }).count()).toBe(1);
    // The button is gone: focus is on the list it filled, not lost to <body>.
    expect(await hasFocus(section.getByTestId('progress-list'))).toBe(true);
    await run.shot(page, 'detail-actions-05-progress-whole');
  });

  it('after an outcome recommending maintenance, "What you can do" leads to that next step', async () => {
    const inCare = await referral('Ada', ['accept', 'schedule', 'start-care']);
    const page = await run.newPage('pt-outcome');
    await signIn(page, pt.email);
    await open(page, inCare.id, 'Ada');
    await page.getByRole('button', { name: 'Send outcome' }).click();
    const form = page.getByRole('form', { name: 'Send outcome' });
    await form.getByLabel('Outcome summary').fill('Full range of motion restored');
    await form.getByLabel('Recommend maintenance massage').check();
    await form.getByRole('button', { name: 'Send outcome', exact: true }).click();
    await status(page, 'outcome_sent');

    const actions = page.getByRole('region', { name: 'What you can do' });
    const next = actions.getByRole('link', { name: 'Recommend maintenance massage' });
    await next.waitFor();
    expect(await actions.getByText('Nothing for you to do on this referral now.').count()).toBe(0);
    expect(await next.getAttribute('href')).toBe(`/referrals/new?followUp=${inCare.id}`);
    await run.shot(page, 'detail-actions-04-outcome-next-step');
  });

  /** The PT's maintenance follow-up of `injury` (outcome sent recommending it), as a draft, consent recorded. */
  async function followUpDraft(injury: { id: string; version: number }) {
    const outcome = { outcome: { summary: 'Full range of motion restored', recommendMaintenance: true } };
    await actOk(t.http, pt, injury, 'send-outcome', outcome);
    const draft = (await t.http.post(`/api/v1/referrals/${injury.id}/follow-up`).set(pt.auth).send({ plan: PLAN }).expect(201))
      .body as { id: string; version: number; patientId: string };
    await t.http
      .post(`/api/v1/patients/${draft.patientId}/consents`)
      .set(pt.auth)
      .send({ scope: 'referral_sharing' })
      .expect(201);
    return draft;
  }
  const PLAN = { frequencyWeeks: 2, sessions: 6, focusAreas: ['shoulder_left'], pressure: 'moderate', precautions: 'None' };

  it('once the maintenance follow-up is sent, its next step reads as done and no second one is offered', async () => {
    const inCare = await referral('Bea', ['accept', 'schedule', 'start-care']);
    const draft = await followUpDraft(inCare);
    const sent = await actOk(t.http, pt, draft, 'send');
    await actOk(t.http, lmt, sent, 'accept', actionBody('accept'));

    const page = await run.newPage('pt-follow-up-sent');
    await signIn(page, pt.email);
    await open(page, inCare.id, 'Bea');
    const done = page.getByTestId('follow-up-sent');
    await done.waitFor();
    expect(await done.innerText()).toMatch(/^Done: maintenance massage referral sent to Morgan Massage on /);
    expect(await done.getByRole('link', { name: 'maintenance massage referral' }).getAttribute('href')).toBe(
      `/referrals/${draft.id}`,
    );
    expect(await page.getByRole('link', { name: 'Recommend maintenance massage' }).count()).toBe(0);
    expect(await page.locator(`a[href="/referrals/new?followUp=${inCare.id}"]`).count()).toBe(0);
    const actions = page.getByRole('region', { name: 'What you can do' });
    await actions.getByText('Nothing for you to do on this referral now.').waitFor();
    await run.shot(page, 'detail-actions-05-follow-up-sent');
  });

  it("the massage therapist's page of the injury referral does not read its follow-up (which would acknowledge it)", async () => {
    const inCare = await referral('Dora', ['accept', 'schedule', 'start-care']);
    const sent = await actOk(t.http, pt, await followUpDraft(inCare), 'send');

    const page = await run.newPage('lmt-follow-up-unread');
    const asked: string[] = [];
    page.on('request', (request) => asked.push(new URL(request.url()).pathname));
    await signIn(page, lmt.email);
    await open(page, inCare.id, 'Dora');
    // Asked in the same render as the follow-ups would be: once it has answered, they would have been asked too.
    await page
      .getByTestId('conversation')
      .getByText(/^No messages yet\./)
      .waitFor();
    expect(asked).not.toContain(`/api/v1/referrals/${sent.id}`);
    expect((await latest(sent.id)).status).toBe('sent');
  });

  it('a maintenance follow-up still in draft is offered to continue, not begun again', async () => {
    const inCare = await referral('Cleo', ['accept', 'schedule', 'start-care']);
    const draft = await followUpDraft(inCare);

    const page = await run.newPage('pt-follow-up-draft');
    await signIn(page, pt.email);
    await open(page, inCare.id, 'Cleo');
    const actions = page.getByRole('region', { name: 'What you can do' });
    const carryOn = actions.getByRole('link', { name: 'Continue the maintenance referral draft' });
    await carryOn.waitFor();
    expect(await carryOn.getAttribute('href')).toBe(`/referrals/${draft.id}`);
    const nextStep = page.getByTestId('follow-up');
    expect(await nextStep.getByRole('link', { name: 'Continue the maintenance referral draft' }).getAttribute('href')).toBe(
      `/referrals/${draft.id}`,
    );
    expect(await page.getByRole('link', { name: 'Recommend maintenance massage' }).count()).toBe(0);
    expect(await actions.getByText('Nothing for you to do on this referral now.').count()).toBe(0);
  });

  it('a confirmation with no fields takes focus: the warning of Start care ahead of the appointment, else its button', async () => {
    const scheduled = await referral('Dina', ['accept', 'schedule']);
    const page = await run.newPage('pt-start-care-ahead');
    await signIn(page, pt.email);
    await open(page, scheduled.id, 'Dina');
    await page.getByRole('button', { name: 'Start care' }).click();
    const form = page.getByRole('form', { name: 'Start care' });
    await form.getByTestId('care-ahead').waitFor();
    await focusIs(page, 'div', /The appointment is .*, still ahead/);

    // The LMT asks to cancel care under way: confirming it has nothing to fill in.
    const accepted = await referral('Edith', ['accept']);
    await actOk(t.http, lmt, accepted, 'request-cancel', actionBody('request-cancel'));
    await open(page, accepted.id, 'Edith');
    await page.getByRole('button', { name: 'Confirm cancellation' }).click();
    const confirm = page.getByRole('form', { name: 'Confirm cancellation' });
    await confirm.waitFor();
    await focusIs(page, 'button', /^Confirm cancellation$/);
    expect(await hasFocus(confirm.getByRole('button', { name: 'Confirm cancellation' }))).toBe(true);
  });

  it('a long link in the reason and observations wraps inside its card at desktop size, not under the other column', async () => {
    const patient = await createPatient(t.http, lmt, { firstName: 'Lena', lastName: 'Test' });
    const link = `https://drive.example.com/file/d/${'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'.repeat(3)}/view?usp=sharing`;
    const body = injuryReferralBody(patient.id, pt.id, { reason: `See imaging: ${link}`, observations: `MRI report at ${link}` });
    const sent = await actOk(t.http, lmt, await createReferral(t.http, lmt, body), 'send');
    const page = await run.newPage('lmt-long-link');
    await signIn(page, lmt.email);
    await open(page, sent.id, 'Lena');
    const card = page.locator('.detail-referral');
    const edges = await card.evaluate((el) => ({
      card: el.getBoundingClientRect().right,
      column: el.parentElement?.getBoundingClientRect().right ?? 0,
      overflow: el.scrollWidth - el.clientWidth,
    }));
    expect(edges.card).toBeLessThanOrEqual(edges.column + 0.5);
    expect(edges.overflow).toBeLessThanOrEqual(0);
  });

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
