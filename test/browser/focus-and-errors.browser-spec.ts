import { lapsedLicenceDate, PASSWORD } from '@referloop/testing';
import { BrowserRun, focused, focusIs, listen, PHONE, signIn } from '../support/browser';
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
 * Where keyboard focus goes, and where a refused answer is told, in Debian's Chromium against the
 * real API: focus lands on a referral's heading once it has loaded (not on <body>), a control that
 * gives way to a form hands focus to that form, a refused form takes the person to its first
 * invalid field, and field errors from the API are shown at their fields. Every screen passes
 * axe-core (WCAG 2.1 A/AA) at desktop and at phone size.
 */

jest.setTimeout(180_000);

describe('web app in the browser: focus and field errors', () => {
  let t: TestApp;
  let run: BrowserRun;
  let massage: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let referralId: string;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Morgan Massage' });
    pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Priya Physio' });
    const patient = await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' });
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    referralId = (await actOk(t.http, lmt, draft, 'send')).id;
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('sign-in names what is wrong next to each field and takes focus to the first', async () => {
    const page = await run.newPage('sign-in');
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter an email address like name@example.com.').waitFor();
    await page.getByText('Enter your password.').waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    await focusIs(page, 'input', /Email/);
    await run.shot(page, 'focus-01-sign-in-field-errors');
  });

  it('a referral opened from the list gets focus on its heading once loaded; its forms take focus to what is wrong', async () => {
    const page = await run.newPage('pt');
    await signIn(page, pt.email);
    await page.locator(`tr[data-referral-id="${referralId}"]`).getByRole('link', { name: 'Jamie Rivera' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referral for Jamie Rivera' }).waitFor();
    await focusIs(page, 'h1', /Referral for Jamie Rivera/);

    // A form refused by its own checks: focus goes to the field to fix.
    await page.getByRole('button', { name: 'Request info' }).click();
    const form = page.getByRole('form', { name: 'Request info' });
    await form.getByRole('button', { name: 'Request info' }).click();
    await form.getByText('Give a reason.').waitFor();
    await focusIs(page, 'textarea', /What do you need/);
    expect((await focused(page)).invalid).toBe('true');
    // Back: focus returns to the button that opened the form.
    await form.getByRole('button', { name: 'Back' }).click();
    await focusIs(page, 'button', /Request info/);

    // A file the API does not take is named at the file input, not only in a banner.
    const upload = page.getByLabel(/Add a file/);
    await upload.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('plain text, not a PDF') });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByText('Choose a PDF, PNG or JPEG file').waitFor();
    expect(await upload.getAttribute('aria-invalid')).toBe('true');
    expect(await upload.getAttribute('aria-describedby')).toContain('attachment-file-error');
    await run.shot(page, 'focus-02-referral-file-error');
  });

  it('an address that names no referral says so, without "Try again"; an unknown address has a title', async () => {
    const page = await run.newPage('not-found');
    await signIn(page, lmt.email);
    await page.goto('/referrals/00000000-0000-4000-8000-000000000000');
    await page.getByRole('heading', { level: 1, name: 'Referral not found' }).waitFor();
    expect(await page.title()).toBe('Referral not found · ReferLoop');
    expect(await page.getByRole('button', { name: 'Try again' }).count()).toBe(0);
    await run.shot(page, 'focus-03-referral-not-found');

    await page.goto('/no-such-page');
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    expect(await page.title()).toBe('Page not found · ReferLoop');
  });

  it('Add patient hands focus to the new form, and the added patient is announced where focus lands', async () => {
    const page = await run.newPage('patients');
    await signIn(page, lmt.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }).click();
    await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor();
    await page.getByRole('button', { name: 'Add patient' }).click();
    await focusIs(page, 'input', /First name/);
    const form = page.getByRole('form', { name: 'Add patient' });
    await form.getByLabel('First name').fill('Ana');
    await form.getByLabel('Last name').fill('Silva');
    await form.getByLabel('Date of birth').fill('1988-03-14');
    await form.getByRole('button', { name: 'Add patient' }).click();
    await page.getByText('Ana Silva added.').waitFor();
    await focusIs(page, 'div', /Ana Silva added/);
  });

  it('the new-referral summary drops a message once it is no longer true; choosing moves focus to the choice', async () => {
    const page = await run.newPage('new-referral');
    await signIn(page, lmt.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    await page.getByRole('button', { name: 'Send referral' }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'The referral cannot be sent yet' });
    await summary.getByText('Choose or add the patient.').waitFor();
    await summary.getByText('Choose the physical therapist to refer to.').waitFor();

    // The patient chosen: that message goes at once, the others stay until they are fixed too.
    await page.getByRole('button', { name: /^Jamie Rivera/ }).click();
    await page.getByTestId('selected-patient').waitFor();
    await focusIs(page, 'div', /Jamie Rivera/);
    expect(await summary.getByText('Choose or add the patient.').count()).toBe(0);
    await summary.getByText('Choose the physical therapist to refer to.').waitFor();
    await run.shot(page, 'focus-04-summary-updated');

    // "Not on ReferLoop? Invite them" gives way to the invitation's fields: focus on the first.
    await page.getByRole('button', { name: 'Not on ReferLoop? Invite them' }).click();
    await focusIs(page, 'input', /Their email/);
    expect(await summary.getByText('Choose the physical therapist to refer to.').count()).toBe(0);
  });

  it('a refused sign-in takes focus to the refusal; a used reset link to what it says', async () => {
    const page = await run.newPage('refused');
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(lmt.email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await focusIs(page, 'div', /That email and password do not match/);

    // Said on opening, before any password is typed.
    await page.goto('/reset-password#token=already-used-or-never-issued');
    await focusIs(page, 'div', /This link has expired or was already used/);
    await run.shot(page, 'focus-05-reset-link-used');
  });

  it('saving the profile, sending a message and fetching a PDF keep focus off <body>', async () => {
    const page = await run.newPage('lmt-saves');
    await signIn(page, lmt.email);
    await page.getByRole('link', { name: 'Profile and settings' }).click();
    await page.getByRole('button', { name: 'Save profile' }).press('Enter');
    await focusIs(page, 'div', /Your profile is saved/);

    await page.goto(`/referrals/${referralId}`);
    await page.getByRole('heading', { level: 1, name: 'Referral for Jamie Rivera' }).waitFor();
    const conversation = page.getByRole('form', { name: 'Write a message' });
    await conversation.getByLabel(/^Message to/).fill('The client prefers mornings.');
    await conversation.getByRole('button', { name: 'Send message' }).press('Enter');
    await page.getByText('The client prefers mornings.', { exact: true }).waitFor();
    await focusIs(page, 'textarea', /Message to Priya Physio/);

    const letter = page.getByRole('region', { name: 'Print / PDF' }).getByRole('button', { name: 'Referral letter (PDF)' });
    await Promise.all([page.waitForEvent('download'), letter.press('Enter')]);
    await focusIs(page, 'button', /Referral letter \(PDF\)/);
  });

  it('a flash goes once the referral moves on; a declined referral offers the redirect, not "nothing to do"', async () => {
    const patient = await createPatient(t.http, lmt, { firstName: 'Noa', lastName: 'Park' });
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    const sent = await actOk(t.http, lmt, draft, 'send');
    const asked = await actOk(t.http, pt, sent, 'request-info', actionBody('request-info'));
    const page = await run.newPage('lmt-flash');
    await signIn(page, lmt.email);
    await page.goto(`/referrals/${asked.id}`);
    await page.getByRole('heading', { level: 1, name: 'Referral for Noa Park' }).waitFor();
    await page.getByRole('button', { name: 'Provide info' }).click();
    const form = page.getByRole('form', { name: 'Provide info' });
    // The question is quoted where it is answered.
    expect(await form.getByTestId('info-question').innerText()).toBe(actionBody('request-info').reason);
    await form.getByLabel(/^Note/).fill('X-ray report attached.');
    await form.getByRole('button', { name: 'Provide info' }).click();
    await page.getByText('Answer sent to Priya Physio').waitFor();

    // The PT declines: the page follows, and the answer's confirmation is old news.
    const answered = (await t.http.get(`/api/v1/referrals/${asked.id}`).set(pt.auth).expect(200)).body;
    await actOk(t.http, pt, answered, 'decline', actionBody('decline'));
    await page.locator('[data-testid=referral-status] [data-status="declined"]').waitFor();
    expect(await page.getByText('Answer sent to Priya Physio').count()).toBe(0);
    await page.getByRole('link', { name: 'Redirect to another practitioner' }).waitFor();
    expect(await page.getByText('Nothing for you to do on this referral now.').count()).toBe(0);
    await run.shot(page, 'focus-06-declined-redirect');

    // The redirect links back to the referral it replaces (on the sender's side).
    const redirect = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id, { replacesId: asked.id }));
    await page.goto(`/referrals/${redirect.id}`);
    const back = page.getByTestId('referral-chain').getByRole('link', { name: 'the earlier referral' });
    expect(await back.getAttribute('href')).toBe(`/referrals/${asked.id}`);
    // …and the declined one to its redirect, with no second Redirect offered.
    await back.click();
    const onward = page.getByTestId('referral-chain').getByRole('link', { name: 'a new referral' });
    await onward.waitFor();
    expect(await onward.getAttribute('href')).toBe(`/referrals/${redirect.id}`);
    expect(await page.getByRole('link', { name: 'Redirect to another practitioner' }).count()).toBe(0);
  });

  it('a form left open keeps what was typed when the referral changes under it, if its action still applies', async () => {
    const patient = await createPatient(t.http, lmt, { firstName: 'Ruth', lastName: 'Open' });
    const sent = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const page = await run.newPage('pt-open-form');
    await signIn(page, pt.email);
    await page.goto(`/referrals/${sent.id}`);
    await page.getByRole('button', { name: 'Decline' }).click();
    const form = page.getByRole('form', { name: 'Decline' });
    await form.getByLabel(/^Reason/).fill('No capacity this month');
    // Another tab asks for information: the referral moves on, and declining is still possible.
    const read = (await t.http.get(`/api/v1/referrals/${sent.id}`).set(pt.auth).expect(200)).body;
    await actOk(t.http, pt, read, 'request-info', actionBody('request-info'));
    await form.getByText('The referral changed while this was open').waitFor();
    expect(await form.getByLabel(/^Reason/).inputValue()).toBe('No capacity this month');
  });

  it('a recipient whose licence has lapsed is told why Accept is not offered, and who can renew it', async () => {
    const physio = await registerClinic(t.http, { name: 'Lapsed Physio' });
    const lapsed = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Lee Lapsed' });
    const patient = await createPatient(t.http, lmt, { firstName: 'Kai', lastName: 'Waiting' });
    const sent = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, lapsed.id)), 'send');
    await t.http
      .patch(`/api/v1/practitioners/${lapsed.id}`)
      .set(physio.admin.auth)
      .send({ licence: { number: 'PT-LAPSED', region: 'TX', expiresOn: lapsedLicenceDate() } })
      .expect(200);
    for (const [viewer, text] of [
      [lapsed, /ask your clinic admin to renew it/],
      [physio.admin, /Lee Lapsed's licence has expired: renew it in Admin › Practitioners/],
    ] as const) {
      const page = await run.newPage(`licence-${viewer === lapsed ? 'pt' : 'admin'}`);
      await signIn(page, viewer.email);
      await page.goto(`/referrals/${sent.id}`);
      await page.getByRole('button', { name: 'Decline' }).waitFor();
      expect(await page.getByTestId('licence-blocks-accept').innerText()).toMatch(text);
      expect(await page.getByRole('button', { name: 'Accept' }).count()).toBe(0);
    }
  });

  it('the account screens keep focus on what an action came to, and say only what the last one did', async () => {
    const sam = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Sam Secure' });
    const page = await run.newPage('sam');
    await signIn(page, sam.email);
    await page.getByRole('link', { name: 'Security' }).click();
    await page.getByRole('heading', { level: 1, name: 'Account security' }).waitFor();
    await page
      .getByTestId('sessions-table')
      .locator('tbody tr:not([data-current])')
      .getByRole('button', { name: /^Sign out/ })
      // Another session: the one accepting the invitation opened.
      .first()
      .press('Enter');
    await focusIs(page, 'div', /is signed out\./);

    const form = page.getByRole('form', { name: 'Change your password' });
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel(/^New password/).fill('a changed password 42');
    await form.getByLabel('Repeat the new password').fill('a changed password 42');
    await form.getByRole('button', { name: 'Change password' }).press('Enter');
    await focusIs(page, 'div', /Your password is changed/);
    // The earlier sign-out's message went when the password change started.
    expect(await page.getByText('is signed out.').count()).toBe(0);
  });

  it('the admin screens: Invite opens on its first field; Reassign takes focus to the choice, then to what was done', async () => {
    const departing = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Dana Departing' });
    await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Quinn Lee' });
    const patient = await createPatient(t.http, departing, { firstName: 'Ravi', lastName: 'Shah' });
    const draft = await createReferral(t.http, departing, injuryReferralBody(patient.id, pt.id));
    await actOk(t.http, departing, draft, 'send');
    await t.http.post(`/api/v1/practitioners/${departing.id}/deactivate`).set(massage.admin.auth).expect(200);

    const page = await run.newPage('admin');
    await signIn(page, massage.admin.email);
    await page.goto('/admin/practitioners');
    await page.getByRole('heading', { level: 1, name: 'Practitioners' }).waitFor();
    await page.getByRole('button', { name: 'Invite a practitioner' }).click();
    await focusIs(page, 'input', /Full name/);

    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Unowned referrals' }).click();
    const row = page.getByTestId('unowned-table').locator('tr', { hasText: 'Ravi Shah' });
    await row.getByRole('button', { name: 'Reassign' }).click();
    await row.getByText('Choose who takes it over.').waitFor();
    await focusIs(page, 'select', /Reassign to/);
    expect((await focused(page)).invalid).toBe('true');
    await row.getByLabel('Reassign to').selectOption({ label: 'Quinn Lee' });
    await row.getByRole('button', { name: 'Reassign' }).press('Enter');
    await focusIs(page, 'div', /^Injury care \(LMT → PT\) referral for Ravi Shah now belongs to Quinn Lee\.$/);
    await run.shot(page, 'focus-07-reassigned');
  });

  it('the phone menu closes on Escape and hands focus back to its button', async () => {
    const page = await run.newPage('phone-menu', { viewport: PHONE });
    await signIn(page, lmt.email);
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Patients' }).waitFor();
    await page.keyboard.press('Escape');
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    await focusIs(page, 'button', /^Menu$/);
  });

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
