import { isoDateFrom, PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import type { Page } from 'playwright-core';
import { BrowserRun, DESKTOP, fillSignUpPractice, focusIs, listen, signIn } from '../support/browser';
import { addPractitioner, registerClinic, startTestApp, type TestApp, type TestClinic } from '../support/test-app';
import { actOk, createPatient, createReferral, invitedReferralBody } from '../support/referral-helpers';
import { eventually } from '../support/sinks';

/**
 * Emailed links (a referral's join link, a staff invitation, a password reset) and what the screens
 * say when the API refuses them or a form's answer, in Debian's Chromium against the real API: no
 * choice offered that cannot succeed, no refusal that points at fields that are not there, no dead
 * link left on screen, and focus on what the refusal says.
 */

jest.setTimeout(240_000);

describe('web app in the browser: links and refusals', () => {
  let t: TestApp;
  let run: BrowserRun;
  let clinic: TestClinic;
  const newPage = (label: string, viewport = DESKTOP) => run.newPage(label, { viewport });
  /** Screenshots the screen and checks it with axe-core, at desktop size and again at phone size (no sideways scroll). */
  const shot = (page: Page, name: string) => run.shot(page, name);

  /** A referral from a massage therapist of `clinic` to someone not on ReferLoop (a physical therapist), sent. */
  const sentToStranger = async (email = uniqueEmail('okafor')) => {
    const lmt = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Lena Morales' });
    const patient = await createPatient(t.http, lmt);
    const draft = await createReferral(t.http, lmt, invitedReferralBody(patient.id, email));
    return { lmt, referral: await actOk(t.http, lmt, draft, 'send') };
  };

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: '' });
    run = await BrowserRun.start(await listen(t));
    clinic = await registerClinic(t.http, { name: 'Riverside Massage' });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('a join link fixes the practice it creates: solo, of the invited role; a refusal of what the form does not show is listed', async () => {
    const { lmt, referral } = await sentToStranger();
    const link = new URL(referral.recipientInvite.url);
    const page = await newPage('join-sign-up');
    await page.goto(`${link.pathname}${link.hash}`);
    await page.getByText('Welcome, Dr Sam Okafor').waitFor();
    const form = page.getByRole('form', { name: 'Create your practice' });
    // No choice that the invite would refuse: the practice is solo, of the role the referral was sent to.
    await page.getByTestId('invited-shape').waitFor();
    expect(await form.getByRole('radio').count()).toBe(0);
    const role = form.getByLabel('You are a');
    expect(await role.locator('option').allTextContents()).toEqual(['Physical therapist (PT)']);
    await fillSignUpPractice(page);
    await shot(page, 'join-sign-up-invited');

    // The API refuses a field the form does not show (here the request loses its practitioner on the
    // way): the summary says what, and takes focus, instead of pointing at marked fields.
    await page.route('**/api/v1/auth/register-clinic', async (route) => {
      const body = route.request().postDataJSON() as { admin: Record<string, unknown> };
      delete body.admin.practitioner;
      await route.continue({ postData: JSON.stringify(body) });
    });
    await form.getByRole('button', { name: 'Create my practice' }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'Your practice cannot be created yet' });
    await summary.getByText('A practitioner profile (a solo practice) is required to join through a referral invite.').waitFor();
    expect(await page.getByText('see the marked fields').count()).toBe(0);
    await focusIs(page, 'div', /is required to join through a referral invite/);
    await shot(page, 'join-sign-up-refused-unshown');

    // Another field the form does not show (the link's token, had it died since the page opened): named in words, not by its path.
    await page.unroute('**/api/v1/auth/register-clinic');
    await page.route('**/api/v1/auth/register-clinic', async (route) => {
      const body = route.request().postDataJSON() as Record<string, unknown>;
      await route.continue({ postData: JSON.stringify({ ...body, invitationToken: 'no-longer-valid' }) });
    });
    await form.getByRole('button', { name: 'Create my practice' }).click();
    await summary
      .getByText(/^The referral link is not a valid invitation link, was already used, or its referral has ended\.$/)
      .waitFor();
    await focusIs(page, 'div', /The referral link is not a valid invitation link/);

    // As the form sends it, it succeeds, and the referral is theirs.
    await page.unroute('**/api/v1/auth/register-clinic');
    await form.getByRole('button', { name: 'Create my practice' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    const read = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    expect(read.body).toMatchObject({ recipientInvite: { status: 'joined' } });
  });

  it('a join link for an email a clinic has invited (not accepted yet) says to sign in or accept that invitation, as for an account', async () => {
    const email = uniqueEmail('invited-twice');
    const physio = await registerClinic(t.http, { name: 'Summit PT' });
    await t.http
      .post('/api/v1/practitioners')
      .set(physio.admin.auth)
      .send(practitionerPayload('physical_therapist', new Date(), { email }))
      .expect(201);
    const { referral } = await sentToStranger(email);
    const link = new URL(referral.recipientInvite.url);
    const page = await newPage('join-sign-up-invited-elsewhere');
    await page.goto(`${link.pathname}${link.hash}`);
    const form = await fillSignUpPractice(page);
    await form.getByRole('button', { name: 'Create my practice' }).click();
    // Not only "sign in": they have no password until they accept it. The same words as for an account,
    // so the page tells nobody which of the two the address has.
    await form
      .getByText(
        'This email is already registered or invited: sign in, or accept the invitation emailed to it (its clinic’s admin can send it again)',
      )
      .waitFor();
    await focusIs(page, 'input', /email/i);
    await shot(page, 'join-sign-up-invited-elsewhere');
  });

  it('a revoked invitation leaves no link on screen, also after a re-send showed it', async () => {
    const admin = await newPage('practitioners-admin');
    await signIn(admin, clinic.admin.email);
    await admin.goto('/admin/practitioners');
    await admin.getByRole('button', { name: 'Invite a practitioner' }).click();
    const form = admin.getByRole('form', { name: 'Invite a practitioner' });
    await form.getByLabel('Full name').fill('Rosa Revoked');
    await form.getByLabel('Email').fill(uniqueEmail('rosa'));
    await form.getByLabel('Role').selectOption('massage_therapist');
    await form.getByLabel('Licence number').fill('LMT-70011');
    await form.getByLabel('Licensing region').fill('TX');
    await form.getByLabel('Licence expires on').fill(isoDateFrom(new Date(), 300));
    await form.getByRole('button', { name: 'Send invitation' }).click();
    const link = admin.getByLabel('Invitation link');
    const first = await link.inputValue();
    const row = admin.getByTestId('invitations-table').locator('tr', { hasText: 'Rosa Revoked' });
    await row.getByRole('button', { name: 'Re-send the invitation to Rosa Revoked' }).click();
    await eventually(async () => (await link.inputValue()) !== first, 'the re-sent link shown');

    await row.getByRole('button', { name: 'Revoke the invitation to Rosa Revoked' }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await admin.getByText('The invitation to Rosa Revoked is revoked: the link no longer works.').waitFor();
    expect(await admin.getByTestId('invitation').count()).toBe(0);
    expect(await link.count()).toBe(0);
    await focusIs(admin, 'div', /is revoked: the link no longer works/);
    await shot(admin, 'practitioners-invitation-revoked');
  });

  it('a cancelled referral to someone not on ReferLoop says the invitation ended with it, and offers no Resend', async () => {
    const { lmt, referral } = await sentToStranger();
    await actOk(t.http, lmt, referral, 'cancel', { reason: 'Patient moved away' });
    const page = await newPage('ended-invite');
    await signIn(page, lmt.email);
    await page.goto(`/referrals/${referral.id}`);
    await page.locator('[data-testid=referral-status] [data-status="cancelled"]').waitFor();
    await page.getByTestId('ended-invite').getByText('the invitation ended with the referral').waitFor();
    expect(await page.getByText(/waiting for .* to join/i).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Resend invitation' }).count()).toBe(0);
    await shot(page, 'referral-invite-ended');

    await page.goto('/?box=sent');
    const row = page.locator(`tr[data-referral-id="${referral.id}"]`);
    await row.getByText('invited; the invitation ended with the referral').waitFor();
    expect(await row.getByText(/waiting for/i).count()).toBe(0);
  });

  it('Resend invitation on a referral takes focus to what it did', async () => {
    const { lmt, referral } = await sentToStranger();
    const page = await newPage('resend-invite');
    await signIn(page, lmt.email);
    await page.goto(`/referrals/${referral.id}`);
    await page.getByRole('button', { name: 'Resend invitation' }).click();
    await focusIs(page, 'p', /^A new invitation was emailed; the previous link no longer works\.$/);
    // Messages wait for them: nobody is told until they join.
    await page.getByText('No messages yet. Write to').filter({ hasText: 'they read it once they join ReferLoop.' }).waitFor();
    await page.getByText('They read it once they join ReferLoop.', { exact: true }).waitFor();
    await shot(page, 'referral-invite-resent');
  });

  it('a join link its sender opens signed in: "Take the referral" is refused, and focus goes to why', async () => {
    const { lmt, referral } = await sentToStranger();
    const link = new URL(referral.recipientInvite.url);
    const page = await newPage('join-own-link');
    await signIn(page, lmt.email);
    await page.goto(`${link.pathname}${link.hash}`);
    await page.getByRole('heading', { level: 1, name: 'A referral sent to you' }).waitFor();
    await page.getByRole('button', { name: 'Take the referral' }).click();
    await focusIs(page, 'div', /hand it over to them/);
    await shot(page, 'join-own-link-refused');
  });

  it('a dead join link opened signed in says what happened to it, without pointing at fields the page does not have', async () => {
    const { lmt, referral } = await sentToStranger();
    const link = new URL(referral.recipientInvite.url);
    await actOk(t.http, lmt, referral, 'cancel', { reason: 'Patient moved away' });
    const colleague = await addPractitioner(t.http, clinic, 'physical_therapist');
    const page = await newPage('join-dead-link');
    await signIn(page, colleague.email);
    await page.goto(`${link.pathname}${link.hash}`);
    const refusal = page.getByRole('alert').filter({ hasText: 'This link has expired or was already used' });
    await refusal.getByText('Ask the clinic that sent it for a new link.').waitFor();
    expect(await page.getByText(/next to the fields|marked fields/).count()).toBe(0);
    await page.getByRole('link', { name: 'Go to your referrals' }).waitFor();
    await shot(page, 'join-dead-link-signed-in');
  });

  it('a refused invitation or reset link says so on opening, before any password is typed, with focus there', async () => {
    const page = await newPage('dead-token-links');
    await page.goto('/accept-invitation#token=revoked-used-or-never-issued');
    await focusIs(page, 'div', /This invitation has expired or was already used.*Ask your clinic admin for a new link/);
    expect(await page.getByRole('button', { name: 'Set password and sign in' }).count()).toBe(0);
    expect(await page.getByLabel('New password').count()).toBe(0);
    await shot(page, 'accept-invitation-dead-link');
    // A reload does not bring the form back for the same refused link.
    await page.reload();
    await page.getByText('This link has no invitation token').waitFor();

    await page.goto('/reset-password#token=used-expired-or-never-issued');
    await focusIs(page, 'div', /This link has expired or was already used/);
    expect(await page.getByRole('button', { name: 'Save password and sign in' }).count()).toBe(0);
    expect(await page.getByLabel(/^New password/).count()).toBe(0);
    await shot(page, 'reset-password-dead-link');
    await page.getByRole('link', { name: 'Ask for a new link' }).click();
    await page.waitForURL('**/forgot-password');
  });

  it('an invitation revoked while its page is open gives way on submit, instead of a form to retry', async () => {
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(clinic.admin.auth)
      .send(practitionerPayload('massage_therapist', new Date(), { fullName: 'Kai Nakamura' }))
      .expect(201);
    const page = await newPage('invitation-revoked-while-open');
    await page.goto(`/accept-invitation#token=${encodeURIComponent(invited.body.invitation.token)}`);
    // The link works: the page greets whom it invites.
    await page.getByText('Welcome to ReferLoop, Kai Nakamura.').waitFor();
    const list = (await t.http.get('/api/v1/invitations').set(clinic.admin.auth).expect(200)).body.items as {
      id: string;
      email: string;
    }[];
    const invitation = list.find((i) => i.email === invited.body.email)!;
    await t.http.delete(`/api/v1/invitations/${invitation.id}`).set(clinic.admin.auth).expect(204);
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await focusIs(page, 'div', /This invitation has expired or was already used/);
    expect(await page.getByLabel('New password').count()).toBe(0);
  });

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
