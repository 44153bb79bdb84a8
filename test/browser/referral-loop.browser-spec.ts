import { PASSWORD, uniqueEmail } from '@referloop/testing';
import type { Locator, Page } from 'playwright-core';
import { BrowserRun, DESKTOP, listen, PHONE, signIn } from '../support/browser';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from '../support/test-app';

/**
 * The web app in a real browser (Debian's Chromium driven by playwright-core) against the real
 * API and worker on PostgreSQL and Redis: story (a) to closure, story (b) to scheduling, each
 * side in its own browser context signing in through the UI, then the admin screens.
 */

/** A tiny PDF: the API recognises attachments by content (magic bytes), not by name. */
const DISCHARGE_PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const TABLET = { width: 820, height: 1180 };

jest.setTimeout(240_000);

/** Local wall-clock "YYYY-MM-DDTHH:mm" (a datetime-local value) `days` from now at 10:00. */
function localDateTime(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T10:00`;
}
const localDate = (days: number) => localDateTime(days).slice(0, 10);

async function eventually(check: () => Promise<void>, timeoutMs = 20_000, intervalMs = 750): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** The page's getComputedStyle, for a pseudo-element's content (the tests compile without the DOM library). */
type PseudoStyle = { getComputedStyle: (element: unknown, pseudo: string) => { content: string } };

/**
 * The web app in a real browser (Debian's Chromium driven by playwright-core) against the real
 * API and worker on PostgreSQL and Redis: story (a) to closure, story (b) to scheduling, each
 * side in its own browser context signing in through the UI, then the admin screens.
 */
describe('web app in the browser: both referral stories and the admin dashboard', () => {
  let t: TestApp;
  let run: BrowserRun;
  let refreshes = 0;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let otherMassageClinic: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let lmtPage: Page;
  let ptPage: Page;
  let adminPage: Page;
  let storyAReferralId: string;

  async function newPage(label: string, viewport = DESKTOP, timezoneId?: string): Promise<Page> {
    const page = await run.newPage(label, { viewport, timezoneId });
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/auth/refresh')) refreshes += 1;
    });
    return page;
  }

  /** Screenshots a main screen and checks it with axe-core (WCAG 2.1 A/AA rules) at its own size. */
  const shot = (page: Page, name: string) => run.shot(page, name, { sizes: 'current' });

  /** On a failure, keep what each browser showed. */
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      for (const [label, page] of [
        ['lmt', lmtPage],
        ['pt', ptPage],
        ['admin', adminPage],
      ] as const) {
        if (page && !page.isClosed()) await run.snapshot(page, `failure-${name}-${label}`).catch(() => undefined);
      }
      throw error;
    }
  }

  const status = (page: Page, value: string) => page.locator(`[data-testid=referral-status] [data-status="${value}"]`).waitFor();

  /** Opens an action's form (or runs a field-less action) from the referral's action buttons. */
  async function act(page: Page, action: string, fill?: (form: Locator) => Promise<void>, submitLabel?: string) {
    await page.locator(`[data-action="${action}"]`).click();
    if (!fill) return;
    const form = page.getByRole('form', { name: submitLabel });
    await fill(form);
    await form.getByRole('button', { name: submitLabel, exact: true }).click();
  }

  beforeAll(async () => {
    // Short-lived access tokens, so the app has to refresh its session while the stories run.
    t = await startTestApp({ ACCESS_TOKEN_TTL_SECONDS: '30' }, { worker: true });
    run = await BrowserRun.start(await listen(t));

    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio', city: 'Austin', postalCode: '78702' });
    otherMassageClinic = await registerClinic(t.http, { name: 'Eastside Bodywork' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist', { fullName: 'Morgan Massage' });
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist', {
      fullName: 'Priya Physio',
      specialties: ['sports_injury'],
    });

    lmtPage = await newPage('lmt');
    // Far from the clinic's zone (America/Chicago): appointment times must follow the clinic, not the browser.
    ptPage = await newPage('pt', DESKTOP, 'Asia/Tokyo');
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('story (a): the LMT refers shoulder pain after a fall, the PT treats and reports back, the LMT closes the loop', async () => {
    await step('a-lmt-sends', async () => {
      await lmtPage.goto('/');
      await lmtPage.waitForURL('**/sign-in');
      await shot(lmtPage, '01-sign-in');
      await signIn(lmtPage, lmt.email);

      await lmtPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
      await lmtPage.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();

      // Add the patient, with the consent to share the referral.
      await lmtPage.getByRole('button', { name: 'Add a new patient' }).click();
      const patientForm = lmtPage.getByRole('form', { name: 'New patient' });
      await patientForm.getByLabel('First name').fill('Jamie');
      await patientForm.getByLabel('Last name').fill('Rivera');
      await patientForm.getByLabel('Date of birth').fill('1990-04-12');
      await patientForm.getByLabel('Email').fill('jamie.rivera@example.test');
      await patientForm.getByLabel('Phone').fill('+1 512 555 0199');
      await patientForm.getByLabel('Share with other practitioners').check();
      await patientForm.getByRole('button', { name: 'Add patient' }).click();
      await lmtPage.getByTestId('selected-patient').getByText('Jamie Rivera').waitFor();
      await lmtPage.getByText('Consent to share referral information recorded').waitFor();

      // Find the PT in the directory.
      await lmtPage.getByLabel('Specialty').selectOption('sports_injury');
      await lmtPage.getByLabel('City').fill('Austin');
      await lmtPage.getByRole('button', { name: 'Search', exact: true }).click();
      // Nearby (Capitol Physio's 78702 from the LMT's clinic at 78701); saved as a partner, she is listed first.
      await lmtPage.getByRole('button', { name: 'Save partner: Priya Physio' }).click();
      const partners = lmtPage.getByRole('list', { name: 'Your partners' });
      await partners.getByText('Your partner', { exact: true }).waitFor();
      expect(await partners.innerText()).toMatch(/Priya Physio[\s\S]*\d+(\.\d)? km away/);
      await shot(lmtPage, '02a-recipient-picker-partner');
      // The same picker on a phone: partners first, nothing wider than the screen.
      const phone = await newPage('lmt-phone', { width: 390, height: 844 });
      await signIn(phone, lmt.email);
      // On a phone the navigation folds behind the header's Menu button.
      await phone.getByRole('button', { name: 'Menu' }).click();
      await phone.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
      await phone.getByRole('list', { name: 'Your partners' }).getByText('Priya Physio').waitFor();
      await shot(phone, '02b-recipient-picker-phone');
      const picker = phone.getByRole('list', { name: 'Your partners' });
      expect(await picker.evaluate((list) => list.scrollWidth <= list.clientWidth)).toBe(true);
      await phone.context().close();
      await lmtPage.getByRole('button', { name: /^Choose Priya Physio, Capitol Physio/ }).click();
      await lmtPage.getByTestId('selected-recipient').getByText('Priya Physio').waitFor();

      await lmtPage.getByLabel('Reason for referral').fill('Shoulder pain after a fall');
      const regions = lmtPage.getByRole('group', { name: 'Body regions' });
      await regions.getByRole('checkbox', { name: 'Left shoulder' }).check();
      await regions.getByRole('checkbox', { name: 'Upper back' }).check();
      await lmtPage
        .getByLabel('Observations')
        .fill('Guarding on left shoulder abduction above 90 degrees; tender infraspinatus.');
      await lmtPage.getByLabel('Pain level (0–10)').selectOption('6');
      await lmtPage.getByLabel('Onset date').fill(localDate(-10));

      // A red flag explains why the referral must be urgent, and makes it so.
      await lmtPage
        .getByRole('group', { name: 'Red flags' })
        .getByRole('checkbox', { name: /Recent trauma/ })
        .check();
      const guidance = lmtPage.getByTestId('red-flag-guidance');
      await guidance.waitFor();
      expect(await guidance.innerText()).toContain('Red flags can signal a condition that needs prompt medical assessment');
      const priority = lmtPage.getByRole('group', { name: 'Priority' });
      expect(await priority.getByRole('radio', { name: 'Urgent' }).isChecked()).toBe(true);
      expect(await priority.getByRole('radio', { name: 'Routine' }).isDisabled()).toBe(true);
      await shot(lmtPage, '02-new-referral-with-red-flag');

      await lmtPage.getByRole('button', { name: 'Send referral' }).click();
      await lmtPage.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
      await status(lmtPage, 'sent');
      await lmtPage.getByText('Referral sent to Priya Physio.').waitFor();
      storyAReferralId = lmtPage.url().split('/').pop()!;
      await shot(lmtPage, '03-referral-sent');
      // On to other work: what the PT does next reaches the LMT through the bell (with the
      // referral open, its news would be read as it arrives).
      await lmtPage.goto('/');
    });

    await step('a-pt-treats', async () => {
      await signIn(ptPage, pt.email);
      const row = ptPage.locator(`tr[data-referral-id="${storyAReferralId}"]`);
      await row.waitFor();
      expect(await row.innerText()).toContain('Shoulder pain after a fall');
      await shot(ptPage, '04-inbox-received');
      await row.getByRole('link', { name: 'Jamie Rivera' }).click();

      // The first read acknowledges it.
      await status(ptPage, 'received');
      await ptPage.getByText('Guarding on left shoulder abduction').waitFor();
      await act(ptPage, 'accept', (form) => form.getByLabel('Note (optional)').fill('Happy to see them this week'), 'Accept');
      await status(ptPage, 'accepted');

      // Someone else changes the referral meanwhile (the PT's front desk, through the API): acting on
      // the version on screen is refused with 409 stale_version, and the app shows the new state.
      // With its live stream the page would pick the change up by itself: without it (offline stream), the 409 path.
      await ptPage.route('**/api/v1/events', (route) => route.abort());
      await ptPage.reload();
      await status(ptPage, 'accepted');
      const desk = await t.http.post('/api/v1/auth/login').send({ email: pt.email, password: PASSWORD }).expect(200);
      const auth = { Authorization: `Bearer ${desk.body.accessToken}` };
      const current = await t.http.get(`/api/v1/referrals/${storyAReferralId}`).set(auth).expect(200);
      await t.http
        .post(`/api/v1/referrals/${storyAReferralId}/add-note`)
        .set(auth)
        .send({ version: current.body.version, note: 'Front desk: patient prefers mornings' })
        .expect(200);
      await act(ptPage, 'schedule', (form) => form.getByLabel('Appointment date and time').fill(localDateTime(3)), 'Schedule');
      await ptPage.getByText('This referral changed — here is the new state.').waitFor();
      await ptPage.getByTestId('timeline').getByText('Front desk: patient prefers mornings').waitFor();
      await status(ptPage, 'accepted');
      await shot(ptPage, '05a-referral-changed-conflict');
      await ptPage.unroute('**/api/v1/events');

      await act(ptPage, 'schedule', (form) => form.getByLabel('Appointment date and time').fill(localDateTime(3)), 'Schedule');
      await status(ptPage, 'scheduled');
      // Typed and shown on the clinic's clocks, named, though this browser runs on Tokyo time.
      expect(await ptPage.getByTestId('appointment').innerText()).toMatch(/, 10:00\sAM C[SD]T \(Capitol Physio's time\)$/);
      await act(ptPage, 'start-care', () => Promise.resolve(), 'Start care');
      await status(ptPage, 'in_care');
      await act(
        ptPage,
        'add-note',
        (form) => form.getByLabel('Note').fill('Progressing well; rotator cuff strain, no tear suspected'),
        'Add note',
      );
      await ptPage.getByTestId('timeline').getByText('Progressing well; rotator cuff strain').waitFor();
      await act(
        ptPage,
        'send-outcome',
        async (form) => {
          await form.getByLabel('Outcome summary').fill('Full range of motion restored after 4 sessions');
          await form.getByLabel('Recommendations').fill('Maintenance massage every 2 weeks');
          await form.getByLabel('Pain at discharge (0–10)').selectOption('2');
          await form.getByLabel('PSFS average (0–10)').fill('7.5');
          await form.getByLabel('Recommend maintenance massage').check();
        },
        'Send outcome',
      );
      await status(ptPage, 'outcome_sent');
      await ptPage.getByTestId('follow-up').getByRole('link', { name: 'Recommend maintenance massage' }).waitFor();
      await ptPage.getByTestId('measures-chart').waitFor();
      await shot(ptPage, '05-referral-outcome-sent');
    });

    await step('a-lmt-closes', async () => {
      // The sender hears about it: the bell counts the unread notifications (opening it reloads them).
      const bell = lmtPage.getByRole('button', { name: /^Notifications/ });
      const notifications = lmtPage.getByRole('region', { name: 'Notifications' });
      await eventually(async () => {
        if (!(await notifications.isVisible())) await bell.click();
        const outcome = notifications.getByRole('button', { name: /Outcome reported/ });
        const count = Number(await lmtPage.getByTestId('unread-count').innerText());
        if (count < 4 || !(await outcome.isVisible())) {
          await lmtPage.keyboard.press('Escape');
          throw new Error(`${count} unread notifications so far`);
        }
      });
      await shot(lmtPage, '06-notifications');
      const unreadBefore = Number(await lmtPage.getByTestId('unread-count').innerText());

      // Opening the notification marks it read and leads to the referral; the referral open, the
      // rest of its notifications are read too.
      await notifications.getByRole('button', { name: /Outcome reported/ }).click();
      await lmtPage.waitForURL(`**/referrals/${storyAReferralId}`);
      await status(lmtPage, 'outcome_sent');
      await eventually(async () => {
        expect(Number(await lmtPage.getByTestId('unread-count').innerText())).toBeLessThanOrEqual(unreadBefore - 4);
      });
      await lmtPage.getByTestId('outcome').getByText('Full range of motion restored after 4 sessions').waitFor();
      await act(lmtPage, 'close');
      await status(lmtPage, 'closed');
      const timeline = await lmtPage
        .getByTestId('timeline')
        .locator('li')
        .evaluateAll((items) => items.map((li) => li.getAttribute('data-event')));
      expect(timeline).toEqual([
        'created',
        'sent',
        'acknowledged',
        'accepted',
        'note_added',
        'scheduled',
        'care_started',
        'note_added',
        'outcome_sent',
        'closed',
      ]);
      await shot(lmtPage, '07-referral-closed');

      // Paper and fax: the server's PDFs download under names without the patient's.
      const print = lmtPage.getByRole('region', { name: 'Print / PDF' });
      for (const [button, file] of [
        ['Referral letter (PDF)', 'referral'],
        ['Outcome report (PDF)', 'outcome'],
      ] as const) {
        const [pdf] = await Promise.all([lmtPage.waitForEvent('download'), print.getByRole('button', { name: button }).click()]);
        expect(pdf.suggestedFilename()).toBe(`${file}-${storyAReferralId.slice(0, 8)}.pdf`);
      }
      // Printed, the page is the referral without navigation or buttons.
      await lmtPage.emulateMedia({ media: 'print' });
      expect(await lmtPage.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
      expect(await print.isVisible()).toBe(false);
      expect(await lmtPage.getByRole('heading', { name: 'What you can do' }).isVisible()).toBe(false);
      expect(await lmtPage.getByTestId('outcome').isVisible()).toBe(true);
      await lmtPage.emulateMedia({ media: 'screen' });
    });
  });

  it('story (b): an admin invites an LMT, the PT sends a maintenance referral with a plan, the LMT accepts and schedules', async () => {
    let lmt2Page!: Page;
    let referralId = '';
    await step('b-invite', async () => {
      adminPage = await newPage('admin');
      await signIn(adminPage, otherMassageClinic.admin.email);
      await adminPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
      await adminPage.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Practitioners' }).click();
      await adminPage.getByRole('button', { name: 'Invite a practitioner' }).click();
      const form = adminPage.getByRole('form', { name: 'Invite a practitioner' });
      await form.getByLabel('Full name').fill('Maya Maintenance');
      await form.getByLabel('Email').fill(uniqueEmail('maya'));
      await form.getByLabel('Role').selectOption('massage_therapist');
      await form.getByLabel('Licence number').fill('LMT-20417');
      await form.getByLabel('Licensing region').fill('TX');
      await form.getByLabel('Licence expires on').fill(localDate(40));
      await form.getByRole('checkbox', { name: 'Deep tissue' }).check();
      await form.getByRole('button', { name: 'Send invitation' }).click();
      const link = await adminPage.getByLabel('Invitation link').inputValue();
      expect(link).toMatch(/\/accept-invitation#token=/);
      // To hand over by message: the button puts the link on the clipboard.
      await adminPage.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await adminPage.getByRole('button', { name: 'Copy link' }).click();
      await adminPage.getByText('Link copied.').waitFor();
      const copied = await adminPage.evaluate(() =>
        (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText(),
      );
      expect(copied).toBe(link);
      // Not a member until she joins: listed under the invitations, waiting.
      await adminPage.getByTestId('invitations-table').getByText('Maya Maintenance').waitFor();
      await shot(adminPage, '08-admin-practitioners-invited');

      lmt2Page = await newPage('lmt2', TABLET);
      const url = new URL(link);
      await lmt2Page.goto(`${url.pathname}${url.hash}`);
      await lmt2Page.getByRole('heading', { name: 'Accept invitation' }).waitFor();
      // The page took the token and left it out of the address bar (and so out of the history).
      expect(lmt2Page.url()).not.toContain('token');
      await lmt2Page.getByLabel('New password').fill(PASSWORD);
      await lmt2Page.getByLabel('Repeat the password').fill(PASSWORD);
      await shot(lmt2Page, '09-accept-invitation');
      await lmt2Page.getByRole('button', { name: 'Set password and sign in' }).click();
      await lmt2Page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();

      // Joined: a practitioner of the clinic now, whose licence runs out in 40 days (the list warns about it).
      await adminPage.reload();
      await adminPage.getByTestId('practitioners-table').getByText('Maya Maintenance').waitFor();
      await adminPage.getByTestId('licence-expiring').first().waitFor();
      await adminPage.locator('[data-invitation-email] [data-status="accepted"]').waitFor();
    });

    await step('b-pt-sends', async () => {
      await ptPage.setViewportSize(TABLET);
      await ptPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
      await ptPage.getByRole('heading', { level: 1, name: 'New maintenance-massage referral' }).waitFor();

      // A patient added without the sharing consent: the app asks for it before sending.
      await ptPage.getByRole('button', { name: 'Add a new patient' }).click();
      const patientForm = ptPage.getByRole('form', { name: 'New patient' });
      await patientForm.getByLabel('First name').fill('Jamie');
      await patientForm.getByLabel('Last name').fill('Rivera');
      await patientForm.getByLabel('Date of birth').fill('1990-04-12');
      await patientForm.getByRole('button', { name: 'Add patient' }).click();
      await ptPage.getByText('No consent to share referral information').waitFor();
      await ptPage.getByLabel('The patient has given me this consent.').check();
      await ptPage.getByRole('button', { name: 'Record consent' }).click();
      await ptPage.getByText('Consent to share referral information recorded').waitFor();

      await ptPage.getByLabel('Name or clinic').fill('Maya');
      await ptPage.getByRole('button', { name: 'Search', exact: true }).click();
      await ptPage.getByRole('button', { name: /^Choose Maya Maintenance, Eastside Bodywork/ }).click();

      await ptPage.getByLabel('Why maintenance massage').fill('Discharged from PT; maintenance massage recommended');
      await ptPage.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Left shoulder' }).check();
      await ptPage.getByRole('spinbutton', { name: 'Every (weeks)', exact: true }).fill('2');
      await ptPage.getByLabel('Sessions in total').fill('6');
      await ptPage.getByRole('combobox', { name: /^Pressure/ }).selectOption('moderate');
      const focus = ptPage.getByRole('group', { name: 'Focus areas' });
      await focus.getByRole('checkbox', { name: 'Left shoulder' }).check();
      await focus.getByRole('checkbox', { name: 'Neck' }).check();
      await ptPage.getByLabel('Precautions').fill('No deep pressure over the AC joint');
      await shot(ptPage, '10-new-maintenance-referral-tablet');

      // Saved as a draft first, to attach the discharge summary, then sent from the referral.
      await ptPage.getByRole('button', { name: 'Save as draft' }).click();
      await ptPage.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
      await status(ptPage, 'draft');
      referralId = ptPage.url().split('/').pop()!;
      await ptPage
        .getByLabel(/Add a file/)
        .setInputFiles({ name: 'discharge-summary.pdf', mimeType: 'application/pdf', buffer: DISCHARGE_PDF });
      await ptPage.getByRole('button', { name: 'Upload' }).click();
      await ptPage.getByRole('button', { name: 'discharge-summary.pdf', exact: true }).waitFor();
      await act(ptPage, 'send');
      await status(ptPage, 'sent');
      // Sent: what was attached stays, and either side may still add a document (the other side is told).
      await ptPage.getByText('the other side is told about a document you add now').waitFor();
    });

    await step('b-lmt2-schedules', async () => {
      // Switching tabs reloads the box.
      await lmt2Page.getByRole('tab', { name: 'Sent' }).click();
      await lmt2Page.getByRole('tab', { name: 'Received' }).click();
      const row = lmt2Page.locator(`tr[data-referral-id="${referralId}"]`);
      await row.waitFor();
      await row.getByRole('link', { name: 'Jamie Rivera' }).click();
      await status(lmt2Page, 'received');
      await lmt2Page.getByText('No deep pressure over the AC joint').waitFor();
      const [download] = await Promise.all([
        lmt2Page.waitForEvent('download'),
        lmt2Page.getByRole('button', { name: 'discharge-summary.pdf', exact: true }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('discharge-summary.pdf');
      await act(lmt2Page, 'accept', () => Promise.resolve(), 'Accept');
      await status(lmt2Page, 'accepted');
      await act(lmt2Page, 'schedule', (form) => form.getByLabel('Appointment date and time').fill(localDateTime(7)), 'Schedule');
      await status(lmt2Page, 'scheduled');
      await lmt2Page.getByTestId('appointment').waitFor();
      await shot(lmt2Page, '11-maintenance-referral-scheduled-tablet');

      // The PT sees it booked in the Sent box, even when the Received box they opened first answers
      // after they chose Sent (held back here): the older answer must not replace the list.
      let releaseReceived = () => {};
      const receivedHeld = new Promise<void>((resolve) => (releaseReceived = resolve));
      await ptPage.route(/\/api\/v1\/referrals\?(.*&)?box=received/, async (route) => {
        await receivedHeld;
        await route.continue();
      });
      await ptPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Referrals' }).click();
      await ptPage.getByRole('tab', { name: 'Sent' }).click();
      const booked = ptPage.locator(`tr[data-referral-id="${referralId}"] [data-status="scheduled"]`);
      await booked.waitFor();
      const receivedAnswered = ptPage.waitForResponse(/\/api\/v1\/referrals\?(.*&)?box=received/);
      releaseReceived();
      await receivedAnswered;
      await ptPage.unroute(/\/api\/v1\/referrals\?(.*&)?box=received/);
      // Give the page the moment it takes to render an answer, then the Sent box must still be there.
      await ptPage.waitForTimeout(500);
      expect(await booked.isVisible()).toBe(true);
      await shot(ptPage, '12-inbox-sent-tablet');
    });

    await step('b-progress', async () => {
      // The LMT reports progress twice (at a desk, then on a phone); the status stays as it was.
      const report = async (
        page: Page,
        values: { sessions: string; pain: string; psfs: string; tolerance: string },
        name: string,
      ) => {
        const section = page.getByTestId('progress');
        await section.getByRole('button', { name: 'Report progress' }).click();
        const form = section.getByRole('form', { name: 'Report progress' });
        await form.getByLabel('Sessions completed').fill(values.sessions);
        await form.getByLabel('Pain today (0–10)').selectOption(values.pain);
        await form.getByLabel('PSFS average (0–10)').fill(values.psfs);
        await form.getByRole('radio', { name: values.tolerance }).check();
        await form.getByLabel('Note (optional)').fill('Shoulder moving more freely');
        await shot(page, name);
        await form.getByRole('button', { name: 'Send progress report' }).click();
      };
      await lmt2Page.setViewportSize(DESKTOP);
      await report(
        lmt2Page,
        { sessions: '2', pain: '4', psfs: '5.5', tolerance: 'Some soreness' },
        '11b-report-progress-desktop',
      );
      await lmt2Page.getByText('Progress reported to Priya Physio').waitFor();
      await expect(lmt2Page.getByTestId('progress-list').getByRole('listitem').count()).resolves.toBe(1);
      await lmt2Page.setViewportSize(PHONE);
      await report(lmt2Page, { sessions: '4', pain: '2', psfs: '7', tolerance: 'Tolerated well' }, '11c-report-progress-phone');
      await lmt2Page.getByTestId('progress-list').getByRole('listitem').nth(1).waitFor();
      await status(lmt2Page, 'scheduled');

      // The PT sees both reports and the pain/PSFS chart with their points, at a desk and on a phone.
      await ptPage.setViewportSize(DESKTOP);
      await ptPage.goto(`/referrals/${referralId}`);
      const chart = ptPage.getByTestId('measures-chart');
      await chart.waitFor();
      await expect(chart.locator('tbody th').allTextContents()).resolves.toEqual([
        expect.stringMatching(/^Progress /),
        expect.stringMatching(/^Progress /),
      ]);
      await expect(chart.locator('tbody td').allTextContents()).resolves.toEqual(['4', '5.5', '2', '7']);
      await expect(chart.locator('circle.chart-pain-dot').count()).resolves.toBe(2);
      await ptPage.getByTestId('progress-list').getByText('Some soreness').waitFor();
      await expect(ptPage.getByTestId('progress').getByRole('button', { name: 'Report progress' }).count()).resolves.toBe(0);
      // At a desk and on a phone: axe, and no sideways scrolling on the phone.
      await run.shot(ptPage, '12b-progress-chart');
      await ptPage.setViewportSize(TABLET);
    });
  });

  it('the admin dashboard of the PT clinic reflects both stories; the admin screens work', async () => {
    await step('admin', async () => {
      // Sign out through the app, then sign in as the PT clinic's admin.
      await adminPage.getByRole('button', { name: 'Sign out' }).click();
      await adminPage.getByText('You are signed out.').waitFor();
      await signIn(adminPage, ptClinic.admin.email);

      // A reload keeps the session: the page gets a new access token with the refresh cookie.
      const refreshed = adminPage.waitForRequest((request) => request.url().endsWith('/api/v1/auth/refresh'));
      await adminPage.goto('/admin');
      await adminPage.getByRole('heading', { level: 1, name: 'Clinic dashboard' }).waitFor();
      const closed = adminPage.getByTestId('status-count-closed');
      await closed.waitFor();
      expect(await closed.getAttribute('data-count')).toBe('1');
      expect(await adminPage.getByTestId('status-count-scheduled').getAttribute('data-count')).toBe('1');
      expect(await adminPage.getByTestId('kpi-total').innerText()).toContain('2');
      const people = await adminPage.getByTestId('practitioner-metrics').innerText();
      expect(people).toContain('Priya Physio');
      // At phone size the table's rows are cards and each figure carries its column's name.
      const viewport = adminPage.viewportSize()!;
      await adminPage.setViewportSize({ width: 390, height: 844 });
      const firstFigure = adminPage.getByTestId('practitioner-metrics').locator('tbody td').first();
      expect(
        await firstFigure.evaluate((cell) => (globalThis as unknown as PseudoStyle).getComputedStyle(cell, '::before').content),
      ).toBe('"Sent: "');
      await adminPage.setViewportSize(viewport);
      await adminPage.getByRole('heading', { name: 'Turnaround over time' }).waitFor();
      await adminPage.locator('figure.chart svg').waitFor();
      await shot(adminPage, '14-admin-dashboard');
      await refreshed;
      await adminPage.getByRole('heading', { level: 1, name: 'Clinic dashboard' }).waitFor();

      await adminPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Referrals' }).click();
      await adminPage.getByRole('tab', { name: 'Clinic' }).waitFor();
      await eventually(async () => expect(await adminPage.locator('tr[data-referral-id]').count()).toBe(2), 10_000);
      await shot(adminPage, '13-inbox-clinic');
      await adminPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();

      const admin = adminPage.getByRole('navigation', { name: 'Admin' });
      await admin.getByRole('link', { name: 'Overdue' }).click();
      await adminPage.getByRole('heading', { level: 1, name: 'Overdue referrals' }).waitFor();
      await adminPage.getByText('Nothing overdue').waitFor();
      await shot(adminPage, '15-admin-overdue');

      await admin.getByRole('link', { name: 'Practitioners' }).click();
      await adminPage.getByTestId('practitioners-table').getByText('Priya Physio').waitFor();

      await admin.getByRole('link', { name: 'Failed notifications' }).click();
      await adminPage.getByRole('heading', { level: 1, name: 'Failed notifications' }).waitFor();
      await adminPage.getByText('No failed deliveries.').waitFor();
      await shot(adminPage, '16-admin-failed-notifications');

      await admin.getByRole('link', { name: 'Audit log' }).click();
      const audit = adminPage.getByTestId('audit-table');
      await audit.waitFor();
      expect(await audit.locator('tbody tr').count()).toBeGreaterThan(0);
      await shot(adminPage, '17-admin-audit-log');
    });
  });

  it('saw no uncaught error or CSP violation in any page, and renewed the 30-second sessions without signing anyone out', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(refreshes).toBeGreaterThan(0);
  });

  it('finds no WCAG 2.1 A/AA violation (axe-core) on the screens it photographed', () => {
    expect(run.accessibility).toEqual([]);
  });
});
