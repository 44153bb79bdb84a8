import { isoDateFrom, practitionerPayload, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import type { Page } from 'playwright-core';
import { BrowserRun, focused, focusIs, listen, signIn, timeIn } from '../support/browser';
import { actOk, createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import { addPractitioner, registerClinic, startTestApp, type TestApp, type TestClinic } from '../support/test-app';

/**
 * A clinic admin's screens in Debian's Chromium against the real API: the audit log checks its
 * filters before asking and shows a refusal at the fields, and names actions in words; after
 * Re-send, Revoke (asked first), Retry, Save clinic details and Reactivate, focus lands on what the
 * action came to, never on <body>; the picked days of the dashboard, its export and the audit log are
 * the clinic's days, and the audit log's and the invitations' times the clinic's times, the zone
 * named, whatever the browser's zone; a clinic admin marks the clinic's partners in the directory.
 * Every screen passes axe-core (WCAG 2.1 A/AA) at desktop and at phone size.
 */

jest.setTimeout(180_000);

describe('web app in the browser: the admin screens', () => {
  let t: TestApp;
  let run: BrowserRun;
  let clinic: TestClinic;

  /** The text of the elements a control's aria-describedby names. */
  const description = (page: Page, control: ReturnType<Page['getByLabel']>) =>
    control.evaluate((element) => {
      const doc = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string } | null } })
        .document;
      return (element.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id: string) => doc.getElementById(id)?.textContent ?? '')
        .join(' ');
    });

  beforeAll(async () => {
    t = await startTestApp();
    run = await BrowserRun.start(await listen(t));
    clinic = await registerClinic(t.http, { name: 'Harbor Massage' });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('the audit log names actions and people in words, offers its actions as a choice, checks its dates first and shows a refused filter at its field', async () => {
    // A physical therapist of another clinic reads a referral this clinic sent: named, with their clinic.
    const therapist = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Morgan Massage' });
    const physio = await registerClinic(t.http, { name: 'Bayside Physio' });
    const pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Riley Physio' });
    const patient = await createPatient(t.http, therapist);
    const referral = await actOk(
      t.http,
      therapist,
      await createReferral(t.http, therapist, injuryReferralBody(patient.id, pt.id)),
      'send',
    );
    await t.http.get(`/api/v1/referrals/${referral.id}`).set(pt.auth).expect(200);
    // A wrong password for the admin's account: someone not signed in, not "the system".
    await t.http.post('/api/v1/auth/login').send({ email: clinic.admin.email, password: 'not-the-password' }).expect(401);

    const page = await run.newPage('audit');
    await signIn(page, clinic.admin.email);
    await page.goto('/admin/audit');
    const table = page.getByTestId('audit-table');
    const signedIn = table.locator('tbody tr').filter({ hasText: 'Account: signed in' }).first();
    // The code stays beside its words (what the API's filter and the CSV name).
    await signedIn.locator('code', { hasText: /^auth\.login$/ }).waitFor();
    expect(await signedIn.locator('td[data-label="Who"]').textContent()).toBe('Avery Admin');
    const read = table.locator('tbody tr').filter({ hasText: 'Referral: read' }).first();
    expect(await read.locator('td[data-label="Who"]').textContent()).toBe('Riley PhysioBayside Physio');
    expect(await read.locator('td[data-label="IP"]').textContent()).toBe('—');
    const failed = table.locator('tbody tr').filter({ hasText: 'Account: sign-in failed' }).first();
    expect(await failed.locator('td[data-label="Who"]').textContent()).toBe('Not signed in');
    await table.locator('tbody tr').filter({ hasText: 'Referral list: read' }).first().waitFor();
    await run.shot(page, 'admin-01-audit-log');

    // A range that ends before it starts is named at From, and not asked for.
    const asked: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/admin/audit-events')) asked.push(request.url());
    });
    const form = page.getByRole('form', { name: 'Filter the audit log' });
    const from = form.getByLabel('From');
    await from.fill(isoDateFrom(new Date(), 0));
    await form.getByLabel('To').fill(isoDateFrom(new Date(), -10));
    await form.getByRole('button', { name: 'Filter' }).click();
    await form.getByText('Choose a start on or before the end date.').waitFor();
    expect(await from.getAttribute('aria-invalid')).toBe('true');
    expect(await description(page, from)).toContain('Choose a start on or before the end date.');
    await focusIs(page, 'input', /^From/);
    expect(asked).toEqual([]);

    // A filter the API refuses (a day before 1900): its message at its field, focus there, no stale
    // rows, no "Try again".
    await from.fill('1850-01-01');
    await form.getByLabel('To').fill('');
    await form.getByRole('button', { name: 'Filter' }).click();
    await form.getByText('Enter a date from 1900 to 2199').waitFor();
    expect(await from.getAttribute('aria-invalid')).toBe('true');
    expect(await description(page, from)).toMatch(/^Enter a date from 1900/);
    await focusIs(page, 'input', /^From/);
    await page.getByRole('alert').filter({ hasText: 'Check the filters' }).waitFor();
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    expect(await table.count()).toBe(0);
    await run.shot(page, 'admin-02-audit-log-refused-filter');

    // Fixed, and an action chosen by its words: the rows that match, and the field is no longer marked.
    await from.fill('');
    const action = form.getByLabel('Action');
    expect(await action.locator('option', { hasText: 'Referral: letter PDF' }).getAttribute('value')).toBe('referral.letter_pdf');
    await action.selectOption({ label: 'Account: signed in' });
    await form.getByRole('button', { name: 'Filter' }).click();
    await signedIn.waitFor();
    expect(await from.getAttribute('aria-invalid')).toBeNull();
    for (const cell of await table.locator('td[data-label="Action"]').allInnerTexts()) {
      expect(cell).toMatch(/^Account: signed in\s+auth\.login$/);
    }
  });

  it('invitations: Re-send takes focus to the new link; Revoke asks first, then says what happened where focus lands', async () => {
    const invite = (fullName: string) =>
      t.http
        .post('/api/v1/practitioners')
        .set(clinic.admin.auth)
        .send(practitionerPayload('massage_therapist', new Date(), { fullName, email: uniqueEmail('invited') }))
        .expect(201);
    await invite('Rosa Resend');
    await invite('Vic Revoke');
    const page = await run.newPage('invitations');
    await signIn(page, clinic.admin.email);
    await page.goto('/admin/practitioners');
    const invitations = page.getByTestId('invitations-table');

    await invitations.getByRole('button', { name: 'Re-send the invitation to Rosa Resend' }).press('Enter');
    await focusIs(page, 'div', /^Rosa Resend is invited/);

    const row = invitations.locator('tr', { hasText: 'Vic Revoke' });
    await row.getByRole('button', { name: 'Revoke the invitation to Vic Revoke' }).press('Enter');
    await focusIs(page, 'div', /^Revoke the invitation to Vic Revoke\?/);
    await run.shot(page, 'admin-03-revoke-asks');
    // Kept: nothing revoked, focus back on the button.
    await row.getByRole('button', { name: 'Keep it' }).press('Enter');
    await focusIs(page, 'button', /^Revoke the invitation to Vic Revoke Revoke$/);
    await row.locator('[data-status="pending"]').waitFor();

    await row.getByRole('button', { name: 'Revoke the invitation to Vic Revoke' }).press('Enter');
    await row.getByRole('button', { name: 'Yes, revoke' }).press('Enter');
    await row.locator('[data-status="revoked"]').waitFor();
    await focusIs(page, 'div', /The invitation to Vic Revoke is revoked: the link no longer works\./);
    await run.shot(page, 'admin-04-revoked');
  });

  it('a retried notification keeps focus on its row, where "Retry queued" replaces the button', async () => {
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    try {
      const outbox = await db.query(`INSERT INTO outbox_events (type) VALUES ('referral.sent') RETURNING id`);
      await db.query(
        `INSERT INTO notification_deliveries (outbox_event_id, channel, recipient_key, user_id, clinic_id, notification_type,
                                              status, attempts, failed_at, last_error)
         VALUES ($1, 'email', 'user:' || $2::text, $2::uuid, $3, 'referral.sent', 'failed', 8, now(), '550 mailbox unavailable')`,
        [(outbox.rows[0] as { id: string }).id, clinic.admin.id, clinic.clinicId],
      );
    } finally {
      await db.end();
    }
    const page = await run.newPage('failed-notifications');
    await signIn(page, clinic.admin.email);
    await page.goto('/admin/notifications');
    await page.getByText('Times in America/Chicago, the clinic’s time zone.').waitFor();
    await page.getByRole('button', { name: 'Retry' }).press('Enter');
    await focusIs(page, 'div', /^Retry queued$/);
    await run.shot(page, 'admin-05-retry-queued');
  });

  it('saving the clinic takes focus to the field to fix, then to "saved"', async () => {
    const page = await run.newPage('clinic-details');
    await signIn(page, clinic.admin.email);
    await page.getByRole('link', { name: 'Profile and settings' }).click();
    const form = page.getByRole('form', { name: 'Your clinic' });
    const country = form.getByLabel(/^Country/);
    await country.fill('USA');
    await form.getByRole('button', { name: 'Save clinic details' }).press('Enter');
    await focusIs(page, 'input', /^Country/);
    expect((await focused(page)).invalid).toBe('true');
    await run.shot(page, 'admin-06-clinic-country-refused');
    await country.fill('US');
    await form.getByRole('button', { name: 'Save clinic details' }).press('Enter');
    await focusIs(page, 'div', /Your clinic's details are saved\./);
  });

  it('Reactivate says what happened, where focus lands', async () => {
    const back = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Remy Returning' });
    await t.http.post(`/api/v1/practitioners/${back.id}/deactivate`).set(clinic.admin.auth).expect(200);
    const page = await run.newPage('reactivate');
    await signIn(page, clinic.admin.email);
    await page.goto('/admin/practitioners');
    await page.getByTestId('deactivated-list').getByRole('button', { name: 'Reactivate Remy Returning' }).press('Enter');
    await focusIs(page, 'div', /^Remy Returning is reactivated: they can sign in again\.$/);
    await page.getByTestId('practitioners-table').getByText('Remy Returning').waitFor();
    await run.shot(page, 'admin-07-reactivated');
  });

  it("the dashboard's Sent counts what was sent, not drafts, and shows how a sender's referrals closed the loop", async () => {
    const therapist = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Dana Drafts' });
    const physio = await registerClinic(t.http, { name: 'Northside Physio' });
    const pt = await addPractitioner(t.http, physio, 'physical_therapist');
    const patient = await createPatient(t.http, therapist);
    await actOk(t.http, therapist, await createReferral(t.http, therapist, injuryReferralBody(patient.id, pt.id)), 'send');
    await createReferral(t.http, therapist, injuryReferralBody(patient.id, pt.id));

    const page = await run.newPage('dashboard-sent');
    await signIn(page, clinic.admin.email);
    await page.goto('/admin');
    const row = page.getByTestId('practitioner-metrics').locator('tbody tr').filter({ hasText: 'Dana Drafts' });
    expect(await row.locator('td[data-label="Sent"]').innerText()).toBe('1');
    // Sent, not yet decided: no share of it closed the loop yet.
    expect(await row.locator('td[data-label="Closed loop (sent)"]').innerText()).toBe('—');
    await run.shot(page, 'admin-09-dashboard-sent');
  });

  it("a browser ahead of the clinic's zone gets the days it picked (metrics, the CSV's name, the audit log) and the clinic's times", async () => {
    // The clinic is in America/Chicago; the browser 18 or 19 hours ahead.
    const page = await run.newPage('auckland-admin', { timezoneId: 'Pacific/Auckland' });
    await signIn(page, clinic.admin.email);
    await page.goto('/admin');
    // By default, the clinic's last 30 days, ending on its today (the browser's is often the next day).
    const clinicDay = (days: number) => {
      const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' })
        .format(new Date())
        .split('-')
        .map(Number);
      return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
    };
    expect([
      await page.getByLabel('Created from').inputValue(),
      await page.getByLabel('to', { exact: true }).inputValue(),
    ]).toEqual([clinicDay(-29), clinicDay(0)]);
    const from = isoDateFrom(new Date(), -30);
    const to = isoDateFrom(new Date(), -1);
    await page.getByLabel('Created from').fill(from);
    await page.getByLabel('to', { exact: true }).fill(to);
    await page.getByRole('button', { name: 'Show' }).click();
    const [y1, m1, d1] = from.split('-').map(Number);
    const [y2, m2, d2] = to.split('-').map(Number);
    const day = (y: number, m: number, d: number) =>
      new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-US', { dateStyle: 'medium', timeZone: 'UTC' });
    await page.getByText(`Referrals created ${day(y1, m1, d1)} – ${day(y2, m2, d2)}; figures as of`).waitFor();
    await page.locator('figure.chart svg').waitFor();
    await run.shot(page, 'admin-08-dashboard-days');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export referrals (CSV)' }).click(),
    ]);
    // The server names the file after the days it exported, in the clinic's zone.
    expect(download.suggestedFilename()).toBe(`referrals-${from}-to-${to}.csv`);

    // The audit log asks for the days as picked (the API reads them in the clinic's zone), not the browser's midnights.
    const clinicToday = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago' }).format(new Date());
    await page.goto('/admin/audit');
    const form = page.getByRole('form', { name: 'Filter the audit log' });
    await form.getByLabel('Action').selectOption('auth.login');
    await form.getByLabel('From').fill(clinicToday);
    await form.getByLabel('To').fill(clinicToday);
    const [asked] = await Promise.all([
      page.waitForRequest((request) => request.url().includes('/api/v1/admin/audit-events?') && request.url().includes('from=')),
      form.getByRole('button', { name: 'Filter' }).click(),
    ]);
    const query = new URL(asked.url()).searchParams;
    expect([query.get('from'), query.get('to')]).toEqual([clinicToday, clinicToday]);
    await page.getByTestId('audit-table').getByText('Account: signed in').first().waitFor();

    // Its times are on the clinic's clocks, the zone named, not on the browser's (Auckland's).
    await page.getByText('Times in America/Chicago, the clinic’s time zone.').waitFor();
    const latest = (
      await t.http
        .get('/api/v1/admin/audit-events')
        .query({ action: 'auth.login', from: clinicToday, to: clinicToday, limit: 1 })
        .set(clinic.admin.auth)
        .expect(200)
    ).body.items[0] as { occurredAt: string };
    const when = page.getByTestId('audit-table').locator('tbody tr').first().locator('td[data-label="When"]');
    await when.filter({ hasText: timeIn(latest.occurredAt, 'America/Chicago', 'C[SD]T') }).waitFor();

    // So are the invitation links' ends on the practitioners page.
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send(practitionerPayload('massage_therapist', new Date(), { fullName: 'Kai Faraway', email: uniqueEmail('faraway') }))
      .expect(201);
    await page.goto('/admin/practitioners');
    await page.getByText('Times in America/Chicago, the clinic’s time zone.').waitFor();
    await page
      .getByTestId('invitations-table')
      .locator('tr', { hasText: 'Kai Faraway' })
      .locator('td[data-label="Link valid until"]')
      .filter({ hasText: timeIn(invited.body.invitation.expiresAt as string, 'America/Chicago', 'C[SD]T') })
      .waitFor();
  });

  it("a clinic admin who is no practitioner marks and unmarks the clinic's partners in the directory", async () => {
    const physio = await registerClinic(t.http, { name: 'Bayside Physio' });
    const priya = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Priya Partner' });
    const lmt = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Lou Referrer' });
    const clinicPartners = async () =>
      (
        (await t.http.get('/api/v1/clinics/me/partners').set(clinic.admin.auth).expect(200)).body.items as {
          practitionerId: string;
        }[]
      ).map((p) => p.practitionerId);

    const page = await run.newPage('partners');
    await signIn(page, clinic.admin.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Clinic partners' }).click();
    await page.getByRole('heading', { level: 1, name: 'Clinic partners' }).waitFor();
    // Browsed, not chosen from: no Choose, and no personal partners for an admin who refers no one.
    await page.getByRole('button', { name: 'Make clinic partner: Priya Partner' }).press('Enter');
    await focusIs(page, 'button', /^Remove clinic partner: Priya Partner/);
    const partners = page.getByRole('list', { name: 'Your clinic’s partners' });
    await partners.getByText('Clinic partner', { exact: true }).waitFor();
    await partners.getByText('Priya Partner').waitFor();
    expect(await page.getByRole('button', { name: /^Choose / }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Save partner/ }).count()).toBe(0);
    expect(await clinicPartners()).toEqual([priya.id]);
    await run.shot(page, 'admin-09-clinic-partners');

    // The clinic's practitioners see her first, marked, without the admin's button.
    const lou = await run.newPage('lou');
    await signIn(lou, lmt.email);
    await lou.goto('/referrals/new');
    const yours = lou.getByRole('list', { name: 'Your partners' });
    await yours.getByText('Priya Partner').waitFor();
    await yours.getByText('Clinic partner', { exact: true }).waitFor();
    expect(await lou.getByRole('button', { name: /clinic partner:/ }).count()).toBe(0);

    await page.getByRole('button', { name: 'Remove clinic partner: Priya Partner' }).press('Enter');
    await focusIs(page, 'button', /^Make clinic partner: Priya Partner/);
    expect(await partners.count()).toBe(0);
    expect(await clinicPartners()).toEqual([]);
  });

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
