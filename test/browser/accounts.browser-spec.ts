import { PASSWORD } from '@referloop/testing';
import type { BrowserContext, Page } from 'playwright-core';
import { Client } from 'pg';
import { BrowserRun, DESKTOP, focusIs, listen, loseNextAnswer, PHONE, signIn, timeIn, watchPage } from '../support/browser';
import { createPatient, createReferral, injuryReferralBody, actOk } from '../support/referral-helpers';
import { eventually, startSmtpSink } from '../support/sinks';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from '../support/test-app';

jest.setTimeout(180_000);

/** An email body as written: undoes quoted-printable soft line breaks and =XX escapes. */
const quotedPrintable = (raw: string) =>
  raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

const NEW_PASSWORD = 'a new password 2 remember';
const NEWER_PASSWORD = 'the newest password 3';

/**
 * The account screens in a real browser, under the app's strict CSP: the web session (a reload
 * keeps it, two tabs refreshing at once keep it, no script-readable refresh token), forgot and
 * reset password through the emailed link, change password, the sessions list, and an admin
 * deactivating a practitioner and reassigning their referral. Every screen is checked with axe
 * (WCAG 2.1 A/AA) at desktop and phone size.
 */
describe('web app in the browser: sessions and accounts', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let run: BrowserRun;
  let clinic: TestClinic;
  let lmt: SignedInUser;
  let colleague: SignedInUser;
  let referralId: string;
  /** The LMT on a laptop, and the same LMT on a phone. */
  let laptop: Page;
  let phone: Page;

  const newPage = (label: string, viewport = DESKTOP, context?: BrowserContext) => run.newPage(label, { viewport, context });
  /** Screenshots a screen and checks it with axe at desktop and at phone size. */
  const check = (page: Page, name: string) => run.shot(page, `accounts-${name}`);

  const signedIn = (page: Page) => page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
  const atSignIn = (page: Page) => page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_SWEEP_INTERVAL: '500ms' }, { worker: true });

    clinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    lmt = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Morgan Massage' });
    colleague = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Casey Colleague' });
    const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    const pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Priya Physio' });
    // An open referral of the LMT's, which the admin reassigns once the LMT is deactivated.
    const patient = await createPatient(t.http, lmt);
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    referralId = (await actOk(t.http, lmt, draft, 'send')).id;

    run = await BrowserRun.start(await listen(t));
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
    await smtp?.close();
  });

  it('a signed-out visit does not ask for a session it cannot have', async () => {
    const visitor = await newPage('visitor');
    const refreshes: number[] = [];
    visitor.on('response', (response) => {
      if (response.url().endsWith('/api/v1/auth/refresh')) refreshes.push(response.status());
    });
    await visitor.goto('/');
    await visitor.getByRole('button', { name: 'Sign in' }).waitFor();
    await visitor.reload();
    await visitor.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(refreshes).toEqual([]);
  });

  it('tells someone deactivated who signs in with their right password why it fails, not "do not match"', async () => {
    const leaver = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Lee Leaver' });
    await t.http.post(`/api/v1/practitioners/${leaver.id}/deactivate`).set(clinic.admin.auth).expect(200);
    const page = await newPage('leaver');
    await page.goto('/sign-in');
    await page.getByLabel('Email').fill(leaver.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(/This account has been deactivated/).waitFor();
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That email and password do not match.').waitFor();
  });

  it('someone signed in when they are deactivated is told so, not asked for their password again', async () => {
    const leaver = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Dale Departing' });
    const page = await newPage('deactivated-while-signed-in');
    await signIn(page, leaver.email);
    await signedIn(page);
    // The app is closed while the admin deactivates: an open one learns it itself (its live stream
    // ends, the refresh it then makes is told `deactivated` and the cookie is dropped), and a reload
    // after that raced this test's own.
    const url = page.url();
    await page.goto('about:blank');
    await t.http.post(`/api/v1/practitioners/${leaver.id}/deactivate`).set(clinic.admin.auth).expect(200);
    // The next load refreshes the session with its cookie: the API says the account is deactivated.
    await page.goto(url);
    await atSignIn(page);
    await page.getByText('Your account has been deactivated: an admin of your clinic can reactivate it.').waitFor();
    expect(await page.getByText('Your session ended').count()).toBe(0);
    await check(page, 'deactivated-while-signed-in');
  });

  it('keeps the session across a reload with no refresh token that page scripts can read', async () => {
    laptop = await newPage('laptop');
    await signIn(laptop, lmt.email, PASSWORD);
    const [cookie] = (await laptop.context().cookies()).filter((c) => c.name === 'referloop_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });

    const refreshed = laptop.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh') && r.status() === 200);
    await laptop.reload();
    await refreshed;
    await signedIn(laptop);

    // Evaluated in the page (as strings: this file is type-checked without the DOM library).
    const readable = {
      cookie: await laptop.evaluate<string>('document.cookie'),
      stored: await laptop.evaluate<string>('JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })'),
    };
    expect(readable.cookie).not.toContain('referloop_refresh');
    expect(readable.cookie).not.toContain(cookie.value);
    expect(readable.stored).not.toContain(cookie.value.split('.')[1]);
    expect(readable.stored).not.toMatch(/refresh/i);
  });

  it('two tabs reloading at once both keep the session (refreshes take turns across tabs)', async () => {
    const second = await newPage('laptop-tab-2', DESKTOP, laptop.context());
    await second.goto('/');
    await signedIn(second);
    for (let round = 0; round < 3; round++) {
      await Promise.all([laptop.reload(), second.reload()]);
      await Promise.all([signedIn(laptop), signedIn(second)]);
    }
    // Neither tab presented a rotated cookie twice: the session still refreshes.
    const refreshed = laptop.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    await laptop.reload();
    expect((await refreshed).status()).toBe(200);
    await signedIn(laptop);
    await second.close();
  });

  it('a reload while a refresh is on its way keeps the session: the reloaded page retries it with the same key', async () => {
    const isRefresh = (r: { url(): string }) => r.url().endsWith('/api/v1/auth/refresh');
    // The session's row is held by another transaction, so the reloaded page's refresh waits in the
    // API; the page reloads again meanwhile and never gets that answer, whose rotation then commits.
    const sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    try {
      await sql.query('BEGIN');
      await sql.query('SELECT 1 FROM auth_sessions WHERE user_id = $1 FOR UPDATE', [lmt.id]);
      const first = laptop.waitForRequest(isRefresh);
      await laptop.reload();
      await first;
      const second = laptop.waitForRequest(isRefresh);
      await laptop.reload();
      await second;
      await sql.query('COMMIT');
    } finally {
      await sql.end();
    }
    await signedIn(laptop);
    // The lost answer's cookie never reached the browser, and the session still refreshes.
    const refreshed = laptop.waitForResponse(isRefresh);
    await laptop.reload();
    expect((await refreshed).status()).toBe(200);
    await signedIn(laptop);
  });

  it('forgot password: the emailed link resets it, signs in, and signs the other session out', async () => {
    phone = await newPage('phone', PHONE);
    await phone.goto('/sign-in');
    await phone.getByRole('link', { name: 'Forgot your password?' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Forgot your password?' }).waitFor();
    // An error next to the field, in plain words.
    await phone.getByRole('button', { name: 'Email me a link' }).click();
    await phone.getByText('Enter the email you sign in with.').waitFor();
    await check(phone, 'forgot-password');
    await phone.getByLabel('Email').fill(lmt.email);
    await phone.getByRole('button', { name: 'Email me a link' }).click();
    await phone.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    await check(phone, 'check-your-email');

    const token = await eventually(
      () =>
        smtp.messages
          .filter((m) => m.to.includes(lmt.email))
          .map((m) => /\/reset-password#token=([A-Za-z0-9_%.-]+)/.exec(quotedPrintable(m.raw))?.[1])
          .find(Boolean),
      'password reset email',
    );

    await phone.goto(`/reset-password#token=${token}`);
    await phone.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
    // The token leaves the address bar (and so history) at once.
    expect(phone.url()).toBe(`${run.base}/reset-password`);
    await phone.getByLabel(/^New password/).fill(NEW_PASSWORD);
    await phone.getByLabel('Repeat the new password').fill('something else entirely');
    await phone.getByRole('button', { name: 'Save password and sign in' }).click();
    await phone.getByText('The two passwords differ.').waitFor();
    await check(phone, 'reset-password');
    await phone.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await phone.getByRole('button', { name: 'Save password and sign in' }).click();

    await phone.getByRole('heading', { level: 1, name: 'Account security' }).waitFor();
    await phone.getByText('Your password is changed.').waitFor();
    const sessions = phone.getByTestId('sessions-table').locator('tbody tr');
    await eventually(async () => (await sessions.count()) === 1, 'one session');
    await phone.getByText('This device').waitFor();
    // As a card on the phone, each figure is named, and the badge stands apart from the device's name.
    expect(await sessions.first().locator('th').textContent()).toMatch(/ This device$/);
    expect(
      await sessions
        .first()
        .locator('td[data-label]')
        .evaluateAll((cells) => cells.map((c) => c.getAttribute('data-label'))),
    ).toEqual(['Signed in', 'Last active', 'IP address']);

    // The laptop's session was revoked by the reset: a reload lands on sign-in.
    await laptop.reload();
    await atSignIn(laptop);
  });

  it('a reset whose answer is lost, sent again, says the new password may be set already, and it is', async () => {
    const resetter = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Rey Reset' });
    await t.http.post('/api/v1/auth/password-reset').send({ email: resetter.email }).expect(202);
    const token = await eventually(
      () =>
        smtp.messages
          .filter((m) => m.to.includes(resetter.email))
          .map((m) => /\/reset-password#token=([A-Za-z0-9_%.-]+)/.exec(quotedPrintable(m.raw))?.[1])
          .find(Boolean),
      'password reset email',
    );
    const page = await newPage('reset-lost-answer');
    await page.goto(`/reset-password#token=${token}`);
    await page.getByLabel(/^New password/).fill(NEW_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
    await loseNextAnswer(page, '**/api/v1/auth/password-reset/confirm');
    await page.getByRole('button', { name: 'Save password and sign in' }).click();
    await page.getByText(/ReferLoop cannot be reached/).waitFor();
    // Sent again: the link is used now, by that first try.
    await page.getByRole('button', { name: 'Save password and sign in' }).click();
    await page.getByText(/Your new password may be set already/).waitFor();
    await check(page, 'reset-lost-answer');
    await t.http.post('/api/v1/auth/login').send({ email: resetter.email, password: NEW_PASSWORD }).expect(200);
  });

  it('changes the password on the security page (wrong current password shown next to the field)', async () => {
    const form = phone.getByRole('form', { name: 'Change your password' });
    await form.getByLabel('Current password').fill('not my password at all');
    await form.getByLabel(/^New password/).fill(NEWER_PASSWORD);
    await form.getByLabel('Repeat the new password').fill(NEWER_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('This is not your current password.').waitFor();
    await check(phone, 'security-wrong-password');

    await form.getByLabel('Current password').fill(NEW_PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await phone.getByText('Your password is changed. Your other sessions are signed out.').waitFor();
    await t.http.post('/api/v1/auth/login').send({ email: lmt.email, password: NEWER_PASSWORD }).expect(200);
  });

  it('a password change whose answer is lost, sent again, says the first try may have changed it', async () => {
    const changer = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Chris Change' });
    const page = await newPage('change-password-lost-answer');
    await signIn(page, changer.email);
    await page.goto('/settings/security');
    const form = page.getByRole('form', { name: 'Change your password' });
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByLabel(/^New password/).fill(NEWER_PASSWORD);
    await form.getByLabel('Repeat the new password').fill(NEWER_PASSWORD);
    await loseNextAnswer(page, '**/api/v1/me/password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await page.getByText(/ReferLoop cannot be reached/).waitFor();
    // Sent again: the current password typed is the old one now.
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText(/Your first try may have changed it/).waitFor();
    await check(page, 'security-change-lost-answer');
    await t.http.post('/api/v1/auth/login').send({ email: changer.email, password: NEWER_PASSWORD }).expect(200);
  });

  it('lists the sessions, signs one out, then signs out everywhere', async () => {
    await signIn(laptop, lmt.email, NEWER_PASSWORD);
    await phone.reload();
    await phone.getByRole('heading', { level: 1, name: 'Account security' }).waitFor();
    const rows = phone.getByTestId('sessions-table').locator('tbody tr');
    // The phone, the laptop and the API login of the test above.
    await eventually(async () => (await rows.count()) === 3, 'three sessions');
    await check(phone, 'sessions');

    const others = phone.getByTestId('sessions-table').locator('tbody tr:not([data-current])');
    await others
      .first()
      .getByRole('button', { name: /^Sign out/ })
      .click();
    await phone.getByText(/is signed out\.$/).waitFor();
    await eventually(async () => (await rows.count()) === 2, 'two sessions');
    await others
      .first()
      .getByRole('button', { name: /^Sign out/ })
      .click();
    await eventually(async () => (await rows.count()) === 1, 'one session');
    await laptop.reload();
    await atSignIn(laptop);

    await phone.getByRole('button', { name: 'Sign out everywhere' }).click();
    await atSignIn(phone);
    await phone.getByText('You are signed out.').waitFor();
    await phone.reload();
    await atSignIn(phone);
  });

  it('a session ended from elsewhere keeps the open screen and what was typed: its user signs in again and carries on', async () => {
    const writer = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Robin Writer' });
    const page = await newPage('writer');
    await signIn(page, writer.email);
    await page.goto('/referrals/new');
    const reason = page.getByLabel('Reason for referral');
    await reason.fill('Half-written: sharp pain on turning the head');
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Neck' }).check();

    // Signed out everywhere from another device: the screen stays, behind a prompt to sign in again.
    await t.http.post('/api/v1/auth/logout-all').set(writer.auth).expect(204);
    const prompt = page.getByRole('dialog', { name: 'Your session ended' });
    await prompt.waitFor();
    expect(page.url()).toMatch(/\/referrals\/new$/);
    await focusIs(page, 'input', /Password/);
    await prompt.getByText(writer.email).waitFor();
    await check(page, 'session-ended-prompt');

    await prompt.getByLabel('Password').fill('not the password');
    await prompt.getByRole('button', { name: 'Sign in', exact: true }).click();
    await prompt.getByText('That email and password do not match.').waitFor();
    await prompt.getByLabel('Password').fill(PASSWORD);
    await prompt.getByRole('button', { name: 'Sign in', exact: true }).click();
    await prompt.waitFor({ state: 'detached' });
    // Focus is back where it was when the session ended: the last box ticked.
    await focusIs(page, 'input', /^Neck/);
    expect(await reason.inputValue()).toBe('Half-written: sharp pain on turning the head');
    expect(await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Neck' }).isChecked()).toBe(
      true,
    );

    // Someone else at this computer: the screen is left, for the sign-in page.
    const elsewhere = await t.http.post('/api/v1/auth/login').send({ email: writer.email, password: PASSWORD }).expect(200);
    await t.http
      .post('/api/v1/auth/logout-all')
      .set({ Authorization: `Bearer ${elsewhere.body.accessToken}` })
      .expect(204);
    await prompt.waitFor();
    await prompt.getByRole('button', { name: 'Sign in as someone else' }).click();
    await atSignIn(page);
    await page.getByText('Your session ended. Sign in again to carry on.').waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/referrals/new');
  });

  it('an admin deactivates the practitioner and reassigns their open referral', async () => {
    const admin = await newPage('admin');
    await signIn(admin, clinic.admin.email, PASSWORD);
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Practitioners' }).click();
    const table = admin.getByTestId('practitioners-table');
    await table.getByText('Morgan Massage').waitFor();
    await admin.getByRole('button', { name: 'Deactivate Morgan Massage' }).click();
    await check(admin, 'practitioners-confirm-deactivate');
    await admin.getByRole('button', { name: 'Yes, deactivate' }).click();
    await admin.getByText(/^Morgan Massage is deactivated/).waitFor();
    await admin.getByTestId('deactivated-list').getByRole('button', { name: 'Reactivate Morgan Massage' }).waitFor();
    await eventually(async () => (await table.getByText('Morgan Massage').count()) === 0, 'leaves the list');
    await check(admin, 'practitioners-deactivated');
    await t.http.post('/api/v1/auth/login').send({ email: lmt.email, password: NEWER_PASSWORD }).expect(401);

    await admin.getByRole('main').getByRole('link', { name: 'Unowned referrals' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Unowned referrals' }).waitFor();
    const row = admin.locator(`[data-testid=unowned-table] tr[data-referral-id="${referralId}"]`);
    await row.getByText('Morgan Massage').waitFor();
    // When it was last updated, on the clinic's clocks (America/Chicago), the zone named, not on this browser's (UTC).
    const unowned = (await t.http.get('/api/v1/admin/referrals/unowned').set(clinic.admin.auth).expect(200)).body.items as {
      id: string;
      updatedAt: string;
    }[];
    const updatedAt = unowned.find((r) => r.id === referralId)!.updatedAt;
    await row.getByText(timeIn(updatedAt, 'America/Chicago', 'C[SD]T')).waitFor();
    await admin.getByTestId('times-zone').filter({ hasText: 'Times in America/Chicago, the clinic’s time zone.' }).waitFor();
    await row.getByRole('button', { name: 'Reassign' }).click();
    await row.getByText('Choose who takes it over.').waitFor();
    await check(admin, 'unowned-referrals');
    await row.getByLabel('Reassign to').selectOption({ label: 'Casey Colleague' });
    await row.getByRole('button', { name: 'Reassign' }).click();
    await admin.getByText('now belongs to Casey Colleague').waitFor();
    await admin.getByText('Every open referral has an active practitioner.').waitFor();

    const referral = await t.http.get(`/api/v1/referrals/${referralId}`).set(colleague.auth).expect(200);
    expect(referral.body.senderId).toBe(colleague.id);
    expect(referral.body.timeline.map((e: { type: string }) => e.type)).toContain('reassigned');

    // Reactivated, Morgan is back in the list and can sign in again.
    await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Practitioners' }).click();
    await admin.getByRole('button', { name: 'Reactivate Morgan Massage' }).click();
    await table.getByText('Morgan Massage').waitFor();
    await t.http.post('/api/v1/auth/login').send({ email: lmt.email, password: NEWER_PASSWORD }).expect(200);
  });

  it('the new-referral form passes axe: empty, with errors, and with a red flag', async () => {
    const page = await newPage('new-referral');
    await signIn(page, colleague.email, PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    await check(page, 'new-referral-empty');
    await page.getByRole('button', { name: /^Send/ }).first().click();
    await check(page, 'new-referral-errors');
    await page.getByLabel(/night/i).check();
    await check(page, 'new-referral-red-flag');
  });

  it('notices a CSP violation when one happens (the watch is live)', async () => {
    const page = await (await run.newContext()).newPage();
    const seen = { pageErrors: [] as string[], cspViolations: [] as string[] };
    watchPage(page, 'csp-probe', seen);
    await page.goto('/sign-in');
    await atSignIn(page);
    await page.evaluate(
      "document.head.append(Object.assign(document.createElement('style'), { textContent: 'body { outline: 1px solid red; }' }))",
    );
    await eventually(() => seen.cspViolations.length > 0, 'a reported CSP violation');
    expect(seen.cspViolations[0]).toMatch(/style-src/);
  });

  it('Swagger UI at /api/docs runs under its own policy without a CSP violation', async () => {
    const page = await newPage('swagger-ui');
    await page.goto('/api/docs');
    await page.getByRole('heading', { name: /ReferLoop API/ }).waitFor();
    await page.locator('.opblock').first().waitFor();
  });

  it('saw no uncaught error and no CSP violation in any page', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
  });

  it('finds no WCAG 2.1 A/AA violation (axe-core) on any account screen, at desktop and phone size', () => {
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
