import { PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import type { Locator, Page } from 'playwright-core';
import { BrowserRun, listen, signIn } from '../support/browser';
import { type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

/**
 * The seed story, on two browsers at once: a solo massage therapist (LMT) and a solo physical
 * therapist (PT), each signed in through the web app in their own browser context. The LMT refers,
 * the PT's inbox shows it, they message back and forth, the PT accepts, schedules, reschedules,
 * starts care and sends the outcome with measures, recommends maintenance massage in one click,
 * the LMT accepts the plan (seen before accepting), reports progress twice, and the PT sees the
 * reports and the pain/PSFS chart. Neither page is ever reloaded to see the other side's change:
 * each sees it arrive over the live stream. Every screen passes axe (WCAG 2.1 A/AA) at desktop and
 * phone size, with no uncaught error and no CSP violation.
 */

jest.setTimeout(300_000);

/** Local wall-clock "YYYY-MM-DDTHH:mm" (a datetime-local value) `days` from now at `hour`:00. */
function localDateTime(days: number, hour = 10): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(hour)}:00`;
}
const localDate = (days: number) => localDateTime(days).slice(0, 10);

/** A marker in the page's window: still there afterwards means the page was never reloaded. */
const mark = (page: Page) => page.evaluate(() => ((globalThis as unknown as { storyMark: number }).storyMark = 42));
const marked = (page: Page) => page.evaluate(() => (globalThis as unknown as { storyMark?: number }).storyMark === 42);

/** Live changes must show up well within this (SPEC: about a second; a loaded CI machine is slower). */
const LIVE = { timeout: 10_000 };

describe('web app in the browser: the seed story on two browsers at once, without reloading', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let lmtPage: Page;
  let ptPage: Page;
  let injuryId = '';
  let maintenanceId = '';

  /** Registers a solo practice (one account: admin and practitioner), as the sign-up screen does. */
  async function soloPractice(
    role: 'massage_therapist' | 'physical_therapist',
    practice: string,
    fullName: string,
    postalCode: string,
  ): Promise<SignedInUser> {
    const { email: _email, fullName: _name, ...practitioner } = practitionerPayload(role, new Date());
    const email = uniqueEmail(role === 'physical_therapist' ? 'pt' : 'lmt');
    const res = await t.http
      .post('/api/v1/auth/register-clinic')
      .send({
        clinic: {
          name: practice,
          address: { line1: '100 Congress Ave', city: 'Austin', region: 'TX', postalCode, country: 'US' },
          phone: '+1 512 555 0100',
          timezone: 'America/Chicago',
        },
        admin: { email, password: PASSWORD, fullName, practitioner },
      })
      .expect(201);
    const body = res.body as { user: { id: string; clinicId: string; role: string }; accessToken: string; refreshToken: string };
    return {
      id: body.user.id,
      clinicId: body.user.clinicId,
      email,
      role: body.user.role,
      accessToken: body.accessToken,
      refreshToken: body.refreshToken,
      auth: { Authorization: `Bearer ${body.accessToken}` },
    };
  }

  /** On a failure, keep what each browser showed. */
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      for (const [label, page] of [
        ['lmt', lmtPage],
        ['pt', ptPage],
      ] as const) {
        if (page && !page.isClosed()) await run.snapshot(page, `seed-failure-${name}-${label}`).catch(() => undefined);
      }
      throw error;
    }
  }

  /** Screenshots a screen and checks it with axe at desktop and at phone size. */
  const shot = (page: Page, name: string) => run.shot(page, `seed-${name}`);
  const status = (page: Page, value: string, options = {}) =>
    page.locator(`[data-testid=referral-status] [data-status="${value}"]`).waitFor(options);
  const timelineEvent = (page: Page, event: string) => page.getByTestId('timeline').locator(`li[data-event="${event}"]`);
  const messages = (page: Page) => page.getByTestId('conversation').getByRole('list', { name: 'Conversation' }).locator('li');
  const nav = (page: Page, name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

  /** Opens an action's form (or runs a field-less action) from the referral's action buttons. */
  async function act(page: Page, action: string, fill?: (form: Locator) => Promise<void>, submitLabel?: string) {
    await page.locator(`[data-action="${action}"]`).click();
    if (!fill) return;
    const form = page.getByRole('form', { name: submitLabel });
    await fill(form);
    await form.getByRole('button', { name: submitLabel, exact: true }).click();
  }

  /** Writes and sends a message from the referral's conversation panel. */
  async function write(page: Page, body: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Write a message' });
    await form.getByLabel(/^Message to/).fill(body);
    await form.getByRole('button', { name: 'Send message' }).click();
    await messages(page).filter({ hasText: body }).waitFor();
  }

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    lmt = await soloPractice('massage_therapist', 'Sunrise Massage', 'Morgan Massage', '78701');
    pt = await soloPractice('physical_therapist', 'Capitol Physio', 'Priya Physio', '78702');
    lmtPage = await run.newPage('lmt');
    ptPage = await run.newPage('pt');
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('both sign in through the web app; the LMT refers and the PT sees it appear in her inbox', async () => {
    await step('refer', async () => {
      await signIn(lmtPage, lmt.email);
      await signIn(ptPage, pt.email);
      await ptPage.getByRole('tab', { name: 'Received', selected: true }).waitFor();
      await mark(lmtPage);
      await mark(ptPage);

      await nav(lmtPage, 'New referral');
      await lmtPage.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
      await lmtPage.getByRole('button', { name: 'Add a new patient' }).click();
      const patientForm = lmtPage.getByRole('form', { name: 'New patient' });
      await patientForm.getByLabel('First name').fill('Jamie');
      await patientForm.getByLabel('Last name').fill('Rivera');
      await patientForm.getByLabel('Date of birth').fill('1990-04-12');
      await patientForm.getByLabel('Share with other practitioners').check();
      await patientForm.getByRole('button', { name: 'Add patient' }).click();
      await lmtPage.getByTestId('selected-patient').getByText('Jamie Rivera').waitFor();

      await lmtPage.getByLabel('Name or clinic').fill('Priya');
      await lmtPage.getByRole('button', { name: 'Search', exact: true }).click();
      await lmtPage.getByRole('button', { name: /^Choose Priya Physio, Capitol Physio/ }).click();
      await lmtPage.getByTestId('selected-recipient').getByText('Priya Physio').waitFor();

      await lmtPage.getByLabel('Reason for referral').fill('Shoulder pain after a fall');
      await lmtPage.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Left shoulder' }).check();
      await lmtPage.getByLabel('Observations').fill('Guarding on left shoulder abduction above 90 degrees.');
      await lmtPage.getByLabel('Pain level (0–10)').selectOption('6');
      await lmtPage.getByLabel('Onset date').fill(localDate(-10));
      await shot(lmtPage, '01-lmt-new-referral');
      const row = ptPage.locator('tr[data-referral-id]').filter({ hasText: 'Jamie Rivera' });
      expect(await row.count()).toBe(0);

      await lmtPage.getByRole('button', { name: 'Send referral' }).click();
      await lmtPage.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
      await status(lmtPage, 'sent');
      await lmtPage.getByText('Referral sent to Priya Physio.').waitFor();
      injuryId = lmtPage.url().split('/').pop()!;

      // The PT's open inbox lists it by itself.
      await row.waitFor(LIVE);
      expect(await row.getAttribute('data-referral-id')).toBe(injuryId);
      expect(await row.innerText()).toContain('Shoulder pain after a fall');
      await shot(ptPage, '02-pt-inbox-new');
      await shot(lmtPage, '03-lmt-sent');
    });
  });

  it('they message back and forth, each seeing the other’s message arrive on the open referral', async () => {
    await step('messages', async () => {
      await ptPage.locator(`tr[data-referral-id="${injuryId}"]`).getByRole('link', { name: 'Jamie Rivera' }).click();
      await ptPage.waitForURL(`**/referrals/${injuryId}`);
      // The first read acknowledges it; the LMT's page follows.
      await status(ptPage, 'received');
      await status(lmtPage, 'received', LIVE);

      await write(ptPage, 'Any imaging so far? Which movements hurt most?');
      await messages(lmtPage).filter({ hasText: 'Any imaging so far?' }).waitFor(LIVE);
      expect(await messages(lmtPage).first().innerText()).toContain('Priya Physio');

      await write(lmtPage, 'No imaging yet. Reaching overhead and sleeping on the left side.');
      await messages(ptPage).filter({ hasText: 'Reaching overhead' }).waitFor(LIVE);
      expect(await messages(ptPage).nth(1).innerText()).toContain('Morgan Massage');
      await shot(ptPage, '04-pt-conversation');
      await shot(lmtPage, '05-lmt-conversation');
    });
  });

  it('the PT accepts, schedules, reschedules, starts care and sends the outcome with measures; the LMT follows', async () => {
    await step('care', async () => {
      await act(ptPage, 'accept', (form) => form.getByLabel('Note (optional)').fill('Happy to see them this week'), 'Accept');
      await status(ptPage, 'accepted');
      await status(lmtPage, 'accepted', LIVE);

      await act(ptPage, 'schedule', (form) => form.getByLabel('Appointment date and time').fill(localDateTime(3)), 'Schedule');
      await status(ptPage, 'scheduled');
      await status(lmtPage, 'scheduled', LIVE);
      const booked = await lmtPage.getByTestId('appointment').innerText();

      await act(
        ptPage,
        'reschedule',
        async (form) => {
          // It starts from the appointment it moves.
          expect(await form.getByLabel('Appointment date and time').inputValue()).toBe(localDateTime(3));
          await form.getByLabel('Appointment date and time').fill(localDateTime(4, 14));
        },
        'Reschedule',
      );
      await timelineEvent(ptPage, 'rescheduled').waitFor();
      await status(ptPage, 'scheduled');
      // Moved, not cancelled: the LMT sees the new time and the move in the timeline.
      await timelineEvent(lmtPage, 'rescheduled').waitFor(LIVE);
      const moved = await lmtPage.getByTestId('appointment').innerText();
      expect(moved).not.toBe(booked);
      expect(moved).toMatch(/2:00\sPM/);
      expect(await timelineEvent(lmtPage, 'unscheduled').count()).toBe(0);
      await shot(lmtPage, '06-lmt-rescheduled');

      // The appointment is still ahead: asked first ("the patient has been seen" reaches the LMT), the time named.
      await act(
        ptPage,
        'start-care',
        async (form) =>
          expect(await form.getByTestId('care-ahead').innerText()).toMatch(/^The appointment is .+ 2:00\sPM .+, still ahead\./),
        'Start care',
      );
      await status(ptPage, 'in_care');
      await status(lmtPage, 'in_care', LIVE);

      await act(
        ptPage,
        'send-outcome',
        async (form) => {
          await form.getByLabel('Outcome summary').fill('Full range of motion restored after 6 visits');
          await form.getByLabel('Recommendations').fill('Maintenance massage twice a week for six weeks');
          await form.getByLabel('Pain at discharge (0–10)').selectOption('2');
          await form.getByLabel('PSFS average (0–10)').fill('7.5');
          await form.getByLabel('Visits').fill('6');
          await form.getByLabel('Recommend maintenance massage').check();
        },
        'Send outcome',
      );
      await status(ptPage, 'outcome_sent');
      await ptPage.getByTestId('measures-chart').waitFor();
      await shot(ptPage, '07-pt-outcome-sent');

      await status(lmtPage, 'outcome_sent', LIVE);
      const outcome = lmtPage.getByTestId('outcome');
      await outcome.getByText('Full range of motion restored after 6 visits').waitFor();
      expect(await outcome.innerText()).toMatch(/Pain at discharge\s+2 \/ 10[\s\S]*PSFS\s+7\.5 \/ 10[\s\S]*Visits\s+6/);
      await outcome.getByText('Maintenance massage recommended').waitFor();
      // The chart: pain 6 at referral, 2 and PSFS 7.5 at discharge.
      const chart = lmtPage.getByTestId('measures-chart');
      expect(await chart.locator('tbody td').allTextContents()).toEqual(['6', '—', '2', '7.5']);
      await shot(lmtPage, '08-lmt-outcome');
    });
  });

  it('the PT recommends maintenance in one click: a draft for the same person, to the LMT, with a plan; the LMT sees it arrive', async () => {
    await step('follow-up', async () => {
      // The LMT waits in her received box (opened once, before anything is in it).
      await nav(lmtPage, 'Referrals');
      await lmtPage.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
      await lmtPage.getByRole('tab', { name: 'Received' }).click();
      await lmtPage.getByRole('tab', { name: 'Received', selected: true }).waitFor();
      const arrived = lmtPage.locator('tr[data-referral-id]').filter({ hasText: 'Jamie Rivera' });
      expect(await arrived.count()).toBe(0);

      await ptPage.getByTestId('follow-up').getByRole('link', { name: 'Recommend maintenance massage' }).click();
      await ptPage.getByRole('heading', { level: 1, name: 'New maintenance-massage referral' }).waitFor();
      // Had the link been double-clicked, the second click would land on the form it opened, under
      // the same pointer: it ticks nothing there. A fresh click then works as ever.
      const flag = ptPage.getByRole('group', { name: 'Red flags' }).getByRole('checkbox').first();
      const at = (await flag.boundingBox())!;
      await ptPage.mouse.move(at.x + at.width / 2, at.y + at.height / 2);
      await ptPage.mouse.down({ clickCount: 2 });
      await ptPage.mouse.up({ clickCount: 2 });
      expect(await flag.isChecked()).toBe(false);
      await flag.click();
      expect(await flag.isChecked()).toBe(true);
      await flag.click();
      expect(await flag.isChecked()).toBe(false);
      // No re-typing: the same person, and the LMT who referred, chosen already.
      await ptPage.getByTestId('follow-up-patient').getByText('Jamie Rivera').waitFor();
      await ptPage.getByTestId('selected-recipient').getByText('Morgan Massage').waitFor();
      expect(await ptPage.getByLabel('Why maintenance massage').inputValue()).toBe(
        'Maintenance massage twice a week for six weeks',
      );
      const focus = ptPage.getByRole('group', { name: 'Focus areas' });
      expect(await focus.getByRole('checkbox', { name: 'Left shoulder' }).isChecked()).toBe(true);

      await ptPage.getByRole('radio', { name: 'Sessions a week' }).check();
      await ptPage.getByRole('spinbutton', { name: 'Sessions a week', exact: true }).fill('2');
      await ptPage.getByLabel('Sessions in total').fill('12');
      await ptPage.getByLabel('Duration (weeks)').fill('6');
      await ptPage.getByLabel('Review by').fill(localDate(42));
      await ptPage.getByLabel('Report progress every (weeks)').fill('2');
      await ptPage.getByRole('combobox', { name: /^Pressure/ }).selectOption('moderate');
      await ptPage.getByLabel('Goals').fill('Reach overhead without pain\nSleep on the left side');
      await ptPage
        .getByRole('group', { name: 'Contraindications' })
        .getByRole('checkbox', { name: 'A site to keep off deep pressure' })
        .check();
      await ptPage.getByLabel('Precautions').fill('No deep pressure over the AC joint');
      // Sending without the patient's consent ticked is stopped by the form, before any draft is made,
      // and the message goes once the box is ticked.
      const consentBox = ptPage.getByLabel('Share with other practitioners');
      await ptPage.getByRole('button', { name: 'Send referral' }).click();
      const consentMessage = 'Tick that the patient consents to sharing this referral, or save it as a draft.';
      await ptPage.getByRole('alert').getByText(consentMessage).waitFor();
      expect(await consentBox.getAttribute('aria-invalid')).toBe('true');
      expect(ptPage.url()).toMatch(/\/referrals\/new\?followUp=/);
      await consentBox.check();
      await ptPage.getByText(consentMessage).first().waitFor({ state: 'detached' });
      await shot(ptPage, '09-pt-maintenance-form');

      await ptPage.getByRole('button', { name: 'Send referral' }).click();
      await ptPage.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
      await ptPage.getByText('Referral sent to Morgan Massage.').waitFor();
      await status(ptPage, 'sent');
      maintenanceId = ptPage.url().split('/').pop()!;
      expect(maintenanceId).not.toBe(injuryId);
      await ptPage.getByTestId('referral-chain').getByRole('link', { name: 'the injury referral' }).waitFor();
      // What the form showed besides the plan (the pain at discharge it prefilled, the focus areas) is
      // what the maintenance referral holds: the one-click path loses nothing.
      const sent = (await t.http.get(`/api/v1/referrals/${maintenanceId}`).set(pt.auth).expect(200)).body as {
        painLevel: number | null;
        bodyRegions: string[];
      };
      expect(sent.painLevel).toBe(2);
      expect(sent.bodyRegions).toContain('shoulder_left');
      // One draft made in one call: its timeline has no edit of a draft just made.
      const timeline = (await t.http.get(`/api/v1/referrals/${maintenanceId}/events`).set(pt.auth).expect(200)).body.items as {
        type: string;
      }[];
      expect(timeline.map((e) => e.type)).toEqual(['created', 'sent']);
      await shot(ptPage, '10-pt-maintenance-sent');

      // The LMT's open box lists it by itself.
      await arrived.waitFor(LIVE);
      expect(await arrived.getAttribute('data-referral-id')).toBe(maintenanceId);
      await shot(lmtPage, '11-lmt-inbox-maintenance');
    });
  });

  it('the LMT sees the plan and precautions before accepting, accepts and starts the sessions; the PT follows', async () => {
    await step('accept-plan', async () => {
      await lmtPage.locator(`tr[data-referral-id="${maintenanceId}"]`).getByRole('link', { name: 'Jamie Rivera' }).click();
      await lmtPage.waitForURL(`**/referrals/${maintenanceId}`);
      await status(lmtPage, 'received');
      await status(ptPage, 'received', LIVE);

      const plan = lmtPage.getByTestId('plan');
      await plan.waitFor();
      const facts = await plan.innerText();
      expect(facts).toContain('2 × a week');
      expect(facts).toContain('12');
      expect(facts).toContain('6 weeks');
      expect(facts).toContain('Reach overhead without pain');
      expect(facts).toContain('A site to keep off deep pressure');
      expect(facts).toContain('No deep pressure over the AC joint');
      expect(facts).toMatch(/Moderate/);
      // The same person, linked both ways.
      await lmtPage.getByTestId('referral-chain').getByRole('link', { name: 'the injury referral' }).waitFor();
      await shot(lmtPage, '12-lmt-plan-before-accept');

      await act(lmtPage, 'accept', () => Promise.resolve(), 'Accept');
      await status(lmtPage, 'accepted');
      await status(ptPage, 'accepted', LIVE);
      await shot(ptPage, '13-pt-maintenance-accepted');

      // She books the first session and starts; the PT's page follows.
      await act(
        lmtPage,
        'schedule',
        (form) => form.getByLabel('Appointment date and time').fill(localDateTime(2, 9)),
        'Schedule',
      );
      await status(lmtPage, 'scheduled');
      await status(ptPage, 'scheduled', LIVE);
      await act(lmtPage, 'start-care', () => Promise.resolve(), 'Start care');
      await status(lmtPage, 'in_care');
      await status(ptPage, 'in_care', LIVE);
    });
  });

  it('the LMT reports progress twice; the PT sees both reports and the pain/PSFS chart arrive', async () => {
    await step('progress', async () => {
      const report = async (values: { sessions: string; pain: string; psfs: string; tolerance: string; note: string }) => {
        const section = lmtPage.getByTestId('progress');
        await section.getByRole('button', { name: 'Report progress' }).click();
        const form = section.getByRole('form', { name: 'Report progress' });
        await form.getByLabel('Sessions completed').fill(values.sessions);
        await form.getByLabel('Pain today (0–10)').selectOption(values.pain);
        await form.getByLabel('PSFS average (0–10)').fill(values.psfs);
        await form.getByRole('radio', { name: values.tolerance }).check();
        await form.getByLabel('Note (optional)').fill(values.note);
        return form;
      };
      const reports = (page: Page) => page.getByTestId('progress-list').getByRole('listitem');

      const first = await report({
        sessions: '4',
        pain: '3',
        psfs: '6.5',
        tolerance: 'Some soreness',
        note: 'Sore for a day after the second session',
      });
      await shot(lmtPage, '14-lmt-report-progress');
      await first.getByRole('button', { name: 'Send progress report' }).click();
      await lmtPage.getByText('Progress reported to Priya Physio').waitFor();
      await reports(lmtPage).first().waitFor();
      // The PT's open page shows the report by itself.
      await reports(ptPage).filter({ hasText: 'Sore for a day after the second session' }).waitFor(LIVE);

      const second = await report({
        sessions: '8',
        pain: '1',
        psfs: '8.5',
        tolerance: 'Tolerated well',
        note: 'Reaches overhead without pain now',
      });
      await second.getByRole('button', { name: 'Send progress report' }).click();
      await reports(lmtPage).nth(1).waitFor();
      await status(lmtPage, 'in_care');

      await reports(ptPage).filter({ hasText: 'Reaches overhead without pain now' }).waitFor(LIVE);
      expect(await reports(ptPage).count()).toBe(2);
      expect(await ptPage.getByTestId('progress-list').innerText()).toContain('Some soreness');
      // Only the recipient reports progress: the PT has no such button.
      expect(await ptPage.getByTestId('progress').getByRole('button', { name: 'Report progress' }).count()).toBe(0);
      // The chart's figures, oldest first: the two reports (pain falling, PSFS rising).
      const chart = ptPage.getByTestId('measures-chart');
      await chart.waitFor();
      const rows = chart.locator('tbody tr').filter({ has: ptPage.locator('th', { hasText: /^Progress / }) });
      expect(await rows.count()).toBe(2);
      expect(await rows.locator('td').allTextContents()).toEqual(['3', '6.5', '1', '8.5']);
      expect(await chart.locator('circle.chart-pain-dot').count()).toBeGreaterThanOrEqual(2);
      await shot(ptPage, '15-pt-progress-chart');
    });
  });

  it('neither page was reloaded; no uncaught error, CSP violation, WCAG 2.1 A/AA violation or sideways scrolling', async () => {
    expect(await marked(lmtPage)).toBe(true);
    expect(await marked(ptPage)).toBe(true);
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
