import { isoDateFrom, PASSWORD, uniqueEmail } from '@referloop/testing';
import type { Page } from 'playwright-core';
import { BrowserRun, DESKTOP, hasFocus, listen, signIn, timeIn } from '../support/browser';
import { addPractitioner, registerClinic, startTestApp, type TestApp, type TestClinic } from '../support/test-app';
import { actOk, createPatient, createReferral, invitedReferralBody } from '../support/referral-helpers';
import { eventually } from '../support/sinks';

/**
 * A practice starting on its own, in Debian's Chromium against the real API and worker: a solo
 * massage therapist signs up and sends her first referral with her one account; a clinic admin
 * invites a practitioner, leaves the page, re-sends the invitation, and only the second link works.
 * Every photographed screen is checked with axe-core, and at 390 × 844 for sideways scrolling.
 */

jest.setTimeout(240_000);

describe('web app in the browser: sign-up, solo practice and invitations', () => {
  let t: TestApp;
  let run: BrowserRun;
  let physio: TestClinic;
  let clinic: TestClinic;
  const newPage = (label: string, viewport = DESKTOP) => run.newPage(label, { viewport });
  /** Screenshots the screen and checks it with axe-core, at desktop size and again at phone size (no sideways scroll). */
  const shot = (page: Page, name: string) => run.shot(page, name);

  /** The invitation link shown on the practitioners page after an invite or a re-send. */
  const shownLink = async (page: Page) => new URL(await page.getByLabel('Invitation link').inputValue());

  beforeAll(async () => {
    // No PUBLIC_URL, as in the embedded trial: invitation links follow the address the app was opened on.
    t = await startTestApp({ PUBLIC_URL: '' }, { worker: true });
    run = await BrowserRun.start(await listen(t));
    physio = await registerClinic(t.http, { name: 'Capitol Physio', city: 'Austin', postalCode: '78702' });
    await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Priya Physio', specialties: ['sports_injury'] });
    clinic = await registerClinic(t.http, { name: 'Riverside Massage' });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('a solo massage therapist signs up and sends her first referral with one account', async () => {
    const page = await newPage('solo');
    await page.goto('/');
    await page.waitForURL('**/sign-in');
    await page.getByRole('link', { name: 'Create your practice' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create your practice' }).waitFor();
    await shot(page, 'signup-01-create-your-practice');

    const form = page.getByRole('form', { name: 'Create your practice' });
    await form.getByRole('radio', { name: /solo practitioner/ }).check();
    await form.getByLabel('Practice name').fill('Lena Morales Massage');
    await form.getByLabel('Phone').fill('+1 512 555 0142');
    await form.getByLabel('Street address').fill('12 Barton Springs Rd');
    await form.getByLabel('City').fill('Austin');
    await form.getByLabel(/^State or province/).fill('TX');
    await form.getByLabel('Postal code').fill('78704');
    await form.getByLabel('Time zone').selectOption('America/Chicago');
    await form.getByLabel('You are a').selectOption('massage_therapist');
    await form.getByLabel('Licence number').fill('MT-88231');
    await form.getByLabel('Licensing state or province').fill('TX');
    await form.getByLabel('Licence expires on').fill(isoDateFrom(new Date(), 400));
    await form.getByLabel('Your full name').fill('Lena Morales');
    await form.getByLabel('Email').fill(uniqueEmail('lena'));
    // A too-short password is named next to its field, not as raw API text.
    await form.getByLabel('Password').fill('short');
    await form.getByRole('button', { name: 'Create my practice' }).click();
    await form.getByText('Use at least 10 characters.').waitFor();
    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Create my practice' }).click();

    // Signed in as the admin of her practice and its massage therapist at once.
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    const main = page.getByRole('navigation', { name: 'Main' });
    await main.getByRole('link', { name: 'New referral' }).waitFor();
    await main.getByRole('link', { name: 'Admin' }).waitFor();
    const checklist = page.getByTestId('first-run-checklist');
    await checklist.getByText('4 of 4 steps left.').waitFor();
    await shot(page, 'signup-02-first-run-checklist');

    // At 1280 px the header keeps its brand, navigation, account and bell on one row.
    const middles = await page.locator('.topbar-inner > :not(.site-menu), .site-menu > *').evaluateAll((elements) =>
      elements.map((e) => {
        const box = e.getBoundingClientRect();
        return box.top + box.height / 2;
      }),
    );
    expect(Math.max(...middles) - Math.min(...middles)).toBeLessThan(16);
    // Her role and practice are read in full, not cut off.
    const accountLines = page.locator('.account-name > span');
    expect(await accountLines.allTextContents()).toEqual([
      'Lena Morales',
      'Massage therapist (LMT) and admin',
      'Lena Morales Massage',
    ]);
    for (const overflow of await accountLines.evaluateAll((lines) => lines.map((l) => l.scrollWidth - l.clientWidth))) {
      expect(overflow).toBeLessThanOrEqual(0);
    }
    // A solo practice has no staff to invite: its colleague is one outside ReferLoop, invited with a referral.
    expect(await checklist.locator('[data-step="invite"] a').getAttribute('href')).toBe('/referrals/new?invite=1');

    // "Add a patient" opens the form, not only the list it would be added to.
    await checklist.getByRole('link', { name: 'Add a patient' }).click();
    await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor();
    await page.getByRole('form', { name: 'Add patient' }).getByLabel('First name').waitFor();
    expect(new URL(page.url()).search).toBe('?add=1');
    await main.getByRole('link', { name: 'New referral' }).click();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    await page.getByRole('button', { name: 'Add a new patient' }).click();
    const patientForm = page.getByRole('form', { name: 'New patient' });
    await patientForm.getByLabel('First name').fill('Jamie');
    await patientForm.getByLabel('Last name').fill('Rivera');
    await patientForm.getByLabel('Date of birth').fill('1990-04-12');
    await patientForm.getByLabel('Email').fill('jamie.rivera@example.test');
    await patientForm.getByLabel('Phone').fill('+1 512 555 0199');
    await patientForm.getByLabel('Share with other practitioners').check();
    await patientForm.getByRole('button', { name: 'Add patient' }).click();
    await page.getByTestId('selected-patient').getByText('Jamie Rivera').waitFor();

    await page.getByLabel('Specialty').selectOption('sports_injury');
    await page.getByLabel('City').fill('Austin');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: /^Choose Priya Physio, Capitol Physio/ }).click();
    await page.getByLabel('Reason for referral').fill('Low back pain after lifting');
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Lower back' }).check();
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
    await page.locator('[data-testid=referral-status] [data-status="sent"]').waitFor();
    // The tab title (kept in the browser's history) names the practitioners, not the patient.
    expect(await page.title()).toBe('Referral from Lena Morales to Priya Physio · ReferLoop');
    await page.getByText('Referral sent to Priya Physio.').waitFor();
    await shot(page, 'signup-03-first-referral-sent');

    // The checklist ticks what the data shows: a patient, a referral to a partner.
    await main.getByRole('link', { name: 'Referrals' }).click();
    await checklist.getByText('2 of 4 steps left.').waitFor();
    expect(await checklist.locator('[data-step="patient"]').getAttribute('data-done')).toBe('true');
    expect(await checklist.locator('[data-step="partner"]').getAttribute('data-done')).toBe('true');
    // Her invite step opens the new-referral form at "Not on ReferLoop? Invite them".
    await checklist.getByRole('link', { name: /^Invite a colleague who is not on ReferLoop/ }).click();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    await page.getByLabel('Their email').waitFor();
    await main.getByRole('link', { name: 'Referrals' }).click();
    await checklist.getByText('2 of 4 steps left.').waitFor();
    // Her own boxes and the clinic's.
    await page.getByRole('tab', { name: 'Sent' }).click();
    await page.getByRole('tab', { name: 'Clinic' }).waitFor();
    await page.locator('tr[data-referral-id]').first().waitFor();
    await shot(page, 'signup-04-inbox-sent');

    // Her practice's details are hers to change: the phone patients are given, the time zone of appointments.
    await page.getByRole('link', { name: 'Profile and settings' }).click();
    // As her clinic's admin, she is told where to change her licence, not to ask an admin.
    await page
      .getByText("As your clinic's admin, you change and attest your licence under Admin › Practitioners › Edit")
      .waitFor();
    expect(await page.getByText('Only a clinic admin can change your licence').count()).toBe(0);
    expect(await page.getByRole('link', { name: 'go to Practitioners' }).getAttribute('href')).toBe('/admin/practitioners');
    const clinicForm = page.getByRole('form', { name: 'Your clinic' });
    await clinicForm.getByLabel('Phone').fill('+1 512 555 0177');
    await clinicForm.getByLabel('Time zone').selectOption('America/Denver');
    await clinicForm.getByLabel('Name').fill('Lena Morales Massage Studio');
    await clinicForm.getByLabel(/^Country/).fill('');
    await clinicForm.getByRole('button', { name: 'Save clinic details' }).click();
    await clinicForm.getByText('must be an ISO 3166-1 alpha-2 country code').waitFor();
    await clinicForm.getByLabel(/^Country/).fill('us');
    await clinicForm.getByRole('button', { name: 'Save clinic details' }).click();
    await clinicForm.getByText("Your clinic's details are saved.").waitFor();
    await page.getByText('Lena Morales Massage Studio', { exact: false }).first().waitFor();
    await shot(page, 'signup-05-clinic-details');
    await page.reload();
    const reloaded = page.getByRole('form', { name: 'Your clinic' });
    expect(await reloaded.getByLabel('Phone').inputValue()).toBe('+1 512 555 0177');
    expect(await reloaded.getByLabel('Time zone').inputValue()).toBe('America/Denver');
    expect(await reloaded.getByLabel(/^Country/).inputValue()).toBe('US');

    // Her one admin account offers no Deactivate (a button that could only be refused); a save is confirmed.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Practitioners' }).click();
    await page.getByText('Deactivated ones are under Deactivated, where you can reactivate them').waitFor();
    await page.getByRole('button', { name: 'Edit Lena Morales' }).waitFor();
    expect(await page.getByRole('button', { name: 'Deactivate Lena Morales' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Edit Lena Morales' }).click();
    await page.getByRole('form', { name: 'Edit practitioner' }).getByRole('button', { name: 'Save changes' }).click();
    await page.getByText("Lena Morales's details are saved.").waitFor();
    await shot(page, 'signup-06-practitioner-saved');
  });

  it('a colleague already on ReferLoop opens the join link signed in and takes the referral into their account', async () => {
    const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
    const patient = await createPatient(t.http, lmt);
    const draft = await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail('sam-other-address')));
    const sent = await actOk(t.http, lmt, draft, 'send');
    const link = new URL(sent.recipientInvite.url);
    const sam = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Sam Okafor' });

    const page = await newPage('sam');
    // A practitioner who is not an admin: no page asks for what only admins may see.
    const refused: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 403) refused.push(new URL(response.url()).pathname);
    });
    await signIn(page, sam.email);
    await page.goto(`${link.pathname}${link.hash}`);
    await page.getByRole('heading', { level: 1, name: 'A referral sent to you' }).waitFor();
    await page.getByText('Sent to Dr Sam Okafor, Physical therapist (PT)').waitFor();
    expect(page.url()).not.toContain('invitation');
    await shot(page, 'join-01-signed-in-link');
    await page.getByRole('button', { name: 'Take the referral' }).click();
    await page.locator(`tr[data-referral-id="${sent.id}"]`).waitFor();
    expect(refused).toEqual([]);
    const read = await t.http.get(`/api/v1/referrals/${sent.id}`).set(lmt.auth).expect(200);
    expect(read.body).toMatchObject({ recipientId: sam.id, recipientInvite: { status: 'joined' } });
  });

  it('a colleague signed out opens the join link, signs in from it, and takes the referral; a used link says why it fails', async () => {
    const lmt = await addPractitioner(t.http, clinic, 'massage_therapist');
    const patient = await createPatient(t.http, lmt);
    const draft = await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail('ines-new-address')));
    const sent = await actOk(t.http, lmt, draft, 'send');
    const link = new URL(sent.recipientInvite.url);
    const ines = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Ines Duarte' });

    const page = await newPage('ines');
    await page.goto(`${link.pathname}${link.hash}`);
    await page.getByRole('heading', { level: 1, name: 'Create your practice' }).waitFor();
    await page.getByRole('link', { name: 'Sign in' }).click();
    // The link's token went along in the history entry: not in the address bar.
    expect(page.url()).not.toContain('invitation');
    await page.getByLabel('Email').fill(ines.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'A referral sent to you' }).waitFor();
    expect(page.url()).not.toContain('invitation');
    await page.getByRole('button', { name: 'Take the referral' }).click();
    await page.locator(`tr[data-referral-id="${sent.id}"]`).waitFor();
    const read = await t.http.get(`/api/v1/referrals/${sent.id}`).set(lmt.auth).expect(200);
    expect(read.body).toMatchObject({ recipientId: ines.id, recipientInvite: { status: 'joined' } });

    // The same link again, signed out: used, and the page says so instead of pointing at fields.
    const stranger = await newPage('stranger');
    await stranger.goto(`${link.pathname}${link.hash}`);
    await stranger.getByText('This referral link no longer works').waitFor();
    expect(await stranger.getByText('see the marked fields').count()).toBe(0);
    await shot(stranger, 'join-02-used-link');
  });

  it("a practitioner whose licence has expired stays on the admin's list, marked, to be fixed there", async () => {
    const lapsed = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Paula Stretch' });
    await t.http
      .patch(`/api/v1/practitioners/${lapsed.id}`)
      .set(physio.admin.auth)
      .send({ licence: { number: 'PT-4410', region: 'TX', expiresOn: isoDateFrom(new Date(), -2) } })
      .expect(200);
    const admin = await newPage('physio-admin');
    await signIn(admin, physio.admin.email);
    await admin.goto('/admin/practitioners');
    await admin.getByRole('button', { name: 'Edit Paula Stretch' }).waitFor();
    const row = admin.getByRole('row').filter({ hasText: 'Paula Stretch' });
    await row.getByTestId('licence-expired').waitFor();
    await shot(admin, 'practitioners-licence-expired');
  });

  it('an admin invites, leaves the page, re-sends: the first link is dead, the second works', async () => {
    const admin = await newPage('admin');
    await signIn(admin, clinic.admin.email);
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    const adminNav = admin.getByRole('navigation', { name: 'Admin' });
    await adminNav.getByRole('link', { name: 'Practitioners' }).click();

    await admin.getByRole('button', { name: 'Invite a practitioner' }).click();
    const form = admin.getByRole('form', { name: 'Invite a practitioner' });
    await form.getByLabel('Full name').fill('Noor Haddad');
    // An email someone already uses: the answer names the Email field, far above the button, and takes focus there.
    await form.getByLabel('Email').fill(clinic.admin.email);
    await form.getByLabel('Role').selectOption('massage_therapist');
    await form.getByLabel('Licence number').fill('LMT-55120');
    await form.getByLabel('Licensing region').fill('TX');
    await form.getByLabel('Licence expires on').fill(isoDateFrom(new Date(), 300));
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await form.getByText('Someone already uses this email.').first().waitFor();
    await eventually(() => hasFocus(form.getByLabel('Email')), 'focus on Email');
    await form.getByLabel('Email').fill(uniqueEmail('noor'));
    await form.getByRole('button', { name: 'Send invitation' }).click();
    const first = await shownLink(admin);
    expect(first.host).toBe(new URL(run.base).host);
    // Valid until a time on the clinic's clocks (America/Chicago), the zone named, not on this browser's (UTC).
    const listed = (await t.http.get('/api/v1/invitations').set(clinic.admin.auth).expect(200)).body.items as {
      fullName: string;
      expiresAt: string;
    }[];
    const validUntil = timeIn(listed.find((i) => i.fullName === 'Noor Haddad')!.expiresAt, 'America/Chicago', 'C[SD]T');
    await admin.getByTestId('invitation').filter({ hasText: validUntil }).waitFor();

    // Away and back: the link is gone from the screen, the invitation is listed, waiting.
    await adminNav.getByRole('link', { name: 'Dashboard' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Clinic dashboard' }).waitFor();
    // The dashboard counts escalated referrals, told apart from the Overdue list (past the earlier reminder).
    await admin.getByText(/^Escalated: no decision after \d+ days? \(urgent: /).waitFor();
    // Its dates read as everywhere else in the app ("Nov 30, 2026"); the figures' time is on the clinic's
    // clocks (America/Chicago), the zone named, not on this browser's (UTC).
    await admin
      .getByText(
        /^Referrals created [A-Z][a-z]{2} \d{1,2}, \d{4} – [A-Z][a-z]{2} \d{1,2}, \d{4}; figures as of [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M C[SD]T\.$/,
      )
      .waitFor();
    // A window that ends before it starts is named at "Created from", not silently ignored.
    const from = admin.getByLabel('Created from');
    await from.fill(isoDateFrom(new Date(), 5));
    await admin.getByRole('button', { name: 'Show' }).click();
    await admin.getByText('Choose a start on or before the end date.').waitFor();
    expect(await from.getAttribute('aria-invalid')).toBe('true');
    await shot(admin, 'invite-00-dashboard-window-error');
    await adminNav.getByRole('link', { name: 'Practitioners' }).click();
    const row = admin.getByTestId('invitations-table').locator('tr', { hasText: 'Noor Haddad' });
    await row.locator('[data-status="pending"]').waitFor();
    await admin.getByText('Times in America/Chicago, the clinic’s time zone.').waitFor();
    await row.locator('td[data-label="Link valid until"]').filter({ hasText: validUntil }).waitFor();
    await shot(admin, 'invite-01-invitations-pending');
    await row.getByRole('button', { name: 'Re-send the invitation to Noor Haddad' }).click();
    await admin.getByText('Any earlier link for them no longer works.').waitFor();
    const second = await shownLink(admin);
    expect(second.href).not.toBe(first.href);
    await shot(admin, 'invite-02-resent-link');

    const invitee = await newPage('invitee');
    // The first link as links were emailed before the token moved to the fragment (?token=…): still read.
    const firstToken = new URLSearchParams(first.hash.slice(1)).get('token')!;
    await invitee.goto(`${first.pathname}?token=${encodeURIComponent(firstToken)}`);
    await invitee.getByRole('heading', { name: 'Accept invitation' }).waitFor();
    // Said on opening, before any password is typed.
    await invitee.getByText('This invitation has expired or was already used.').waitFor();
    expect(await invitee.getByLabel('New password').count()).toBe(0);
    await shot(invitee, 'invite-03b-first-link-dead');

    // A fresh load (from the same path, a fragment alone would not reload the page), as a new tab does.
    await invitee.goto('about:blank');
    await invitee.goto(`${second.pathname}${second.hash}`);
    await invitee.getByText('Welcome to ReferLoop, Noor Haddad.').waitFor();
    await shot(invitee, 'invite-03a-accept-invitation');
    expect(invitee.url()).not.toContain('token');
    // A reload (a phone browser reloading the tab) keeps the invitation, still out of the address.
    await invitee.reload();
    await invitee.getByLabel('New password').fill(PASSWORD);
    expect(invitee.url()).not.toContain('token');
    await invitee.getByLabel('Repeat the password').fill(PASSWORD);
    await invitee.getByRole('button', { name: 'Set password and sign in' }).click();
    await invitee.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();

    await admin.reload();
    await row.locator('[data-status="accepted"]').waitFor();
    await admin.getByTestId('practitioners-table').getByText('Noor Haddad').waitFor();

    // A second invitation, revoked: its link no longer works either.
    await admin.getByRole('button', { name: 'Invite a practitioner' }).click();
    await form.getByLabel('Full name').fill('Sam Revoked');
    await form.getByLabel('Email').fill(uniqueEmail('sam'));
    await form.getByLabel('Role').selectOption('physical_therapist');
    await form.getByLabel('Licence number').fill('PT-9001');
    await form.getByLabel('Licensing region').fill('TX');
    await form.getByLabel('Licence expires on').fill(isoDateFrom(new Date(), 300));
    await form.getByRole('button', { name: 'Send invitation' }).click();
    const revokedLink = await shownLink(admin);
    const samRow = admin.getByTestId('invitations-table').locator('tr', { hasText: 'Sam Revoked' });
    await samRow.getByRole('button', { name: 'Revoke the invitation to Sam Revoked' }).click();
    await samRow.getByRole('button', { name: 'Yes, revoke' }).click();
    await samRow.locator('[data-status="revoked"]').waitFor();
    await shot(admin, 'invite-04-revoked');
    await t.http
      .post('/api/v1/auth/accept-invitation')
      .send({ token: revokedLink.searchParams.get('token'), password: PASSWORD })
      .expect(400);

    // Every email the clinic's people and patients may get, as the admin previews them.
    await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Email preview' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Email preview' }).waitFor();
    await admin.locator('article.card').first().waitFor();
    await admin.locator('details summary').first().click();
    await shot(admin, 'invite-05-email-preview');
  });

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
