import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { unsubscribeToken } from '@referloop/notifications';
import type { Page } from 'playwright-core';
import { actOk, createPatient, createReferral, dateInDays, injuryReferralBody } from '../support/referral-helpers';
import { BrowserRun, DESKTOP, focused, focusIs, listen, PHONE, SCREENSHOTS, scrollsSideways, signIn } from '../support/browser';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

/**
 * The screens a therapist lives in, in Debian's Chromium against the real API: her profile and settings (switching
 * "accepting referrals" off takes her out of the accepting directory), the Patients page (withdrawing a consent), and
 * every list page at 390 × 844 as cards with no sideways scroll. Every screen passes axe-core at both sizes.
 */

jest.setTimeout(240_000);

const README_SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'screenshots');

describe('web app in the browser: profile, patients and phone size', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;
  let admin: SignedInUser;
  const newPage = (label: string, viewport = DESKTOP) => run.newPage(label, { viewport });
  const shot = (page: Page, name: string) => run.shot(page, name);

  const visit = async (page: Page, path: string, heading: string | RegExp) => {
    await page.goto(path);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    const clinic = await registerClinic(t.http, { name: 'Riverside Massage', city: 'Austin', postalCode: '78702' });
    admin = clinic.admin;
    lmt = await addPractitioner(t.http, clinic, 'massage_therapist', {
      fullName: 'Lena Morales',
      specialties: ['tmj', 'back_neck'],
    });
    const physio = await registerClinic(t.http, { name: 'Summit PT', city: 'Austin', postalCode: '78701' });
    const pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Sam Ortiz' });
    const patient = await createPatient(t.http, lmt, { firstName: 'Ana', lastName: 'Silva' });
    // A sent referral in her list, so the list page has a row to turn into a card.
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    await actOk(t.http, lmt, draft, 'send');
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('a therapist switches accepting referrals off on her profile, and the directory says so', async () => {
    const page = await newPage('profile');
    await signIn(page, lmt.email);
    await page.goto('/?box=sent');
    await page.getByText('Ana Silva').first().waitFor();
    await shot(page, 'polish-01-inbox');
    await page.setViewportSize(PHONE);
    // At phone size the header is one line: the navigation is behind the menu button.
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Profile and settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Profile and settings' }).waitFor();
    await page.setViewportSize(DESKTOP);

    await page.getByRole('checkbox', { name: 'TMJ (jaw)' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Back and neck' }).isChecked()).toBe(true);
    await page.getByText('Only a clinic admin can change your licence').waitFor();
    await shot(page, 'polish-02-profile');

    await page.getByRole('checkbox', { name: 'I am accepting new referrals' }).uncheck();
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Your profile is saved.').waitFor();

    const directory = await t.http.get('/api/v1/practitioners').query({ q: 'Lena Morales' }).set(admin.auth).expect(200);
    const listed = (directory.body.items as { id: string; acceptingReferrals: boolean }[]).find((p) => p.id === lmt.id);
    expect(listed?.acceptingReferrals).toBe(false);

    // Plain field errors next to the field: an impossible language tag.
    await page.getByLabel('Languages you treat in').fill('english!');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.locator('.field-error').first().waitFor();
    expect(await page.locator('.field-error').first().textContent()).not.toMatch(/languages\.|regular expression/);
  });

  it('the Patients page finds a patient, and withdrawing a consent shows at once', async () => {
    const page = await newPage('patients');
    // A patient's name is searched for in request bodies, never in an address a proxy writes down.
    const addresses: string[] = [];
    page.on('request', (request) => addresses.push(request.url()));
    await signIn(page, lmt.email);
    await visit(page, '/patients', 'Patients');
    await page.getByLabel('Find a patient').fill('Silva');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Open Ana Silva' }).click();
    await page.getByText('Share with other practitioners').first().waitFor();
    await shot(page, 'polish-03-patients');

    await page.getByRole('button', { name: 'Withdraw consent: share with other practitioners' }).click();
    await page.getByText('Consent withdrawn: Share with other practitioners.').waitFor();
    await page.getByRole('button', { name: 'Record consent: share with other practitioners' }).waitFor();
    const patient = await t.http.get('/api/v1/patients').query({ q: 'Silva' }).set(lmt.auth).expect(200);
    const consents = patient.body.items[0].consents as { scope: string; active: boolean }[];
    expect(consents.some((c) => c.scope === 'referral_sharing' && c.active)).toBe(false);

    await visit(page, '/referrals/new', 'New injury referral');
    await page.getByLabel("Search your clinic's patients").fill('Silva');
    await page.getByText('Ana Silva').first().waitFor();
    expect(addresses.filter((address) => /silva/i.test(decodeURIComponent(address)))).toEqual([]);
    expect(addresses.filter((address) => address.includes('/api/v1/patients/search'))).not.toEqual([]);
  });

  it('the Patients page says when the patient withdrew a consent themselves (an unsubscribe link)', async () => {
    const patient = await createPatient(t.http, lmt, {
      firstName: 'Noor',
      lastName: 'Haddad',
      consents: [{ scope: 'referral_sharing' }, { scope: 'patient_notifications' }],
    });
    const read = await t.http.get(`/api/v1/patients/${patient.id}`).set(lmt.auth).expect(200);
    const messages = (read.body.consents as { id: string; scope: string }[]).find((c) => c.scope === 'patient_notifications')!;
    await t.http
      .post(`/api/v1/unsubscribe/${unsubscribeToken(t.config.jwt.secret, messages.id)}`)
      .type('form')
      .send('List-Unsubscribe=One-Click')
      .expect(200);

    const page = await newPage('patient-unsubscribed');
    await signIn(page, lmt.email);
    await visit(page, '/patients', 'Patients');
    await page.getByLabel('Find a patient').fill('Haddad');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Open Noor Haddad' }).click();
    const consent = page.locator('.consent').filter({ hasText: 'Messages to the patient' });
    expect(await consent.locator('.consent-title').innerText()).toMatch(
      /^Messages to the patient · withdrawn by the patient .+ \(they unsubscribed from a message\)$/,
    );
    // Withdrawn by staff reads as theirs.
    await page.getByRole('button', { name: 'Withdraw consent: share with other practitioners' }).click();
    await page.getByText('Consent withdrawn: Share with other practitioners.').waitFor();
    const sharing = page.locator('.consent').filter({ hasText: 'Share with other practitioners' });
    expect(await sharing.locator('.consent-title').innerText()).toMatch(/^Share with other practitioners · withdrawn [^(]+$/);
  });

  it('the Patients page adds a patient, naming what is missing next to its field', async () => {
    const page = await newPage('add-patient');
    await signIn(page, lmt.email);
    await visit(page, '/patients', 'Patients');
    await page.getByRole('button', { name: 'Add patient' }).click();
    const form = page.getByRole('form', { name: 'Add patient' });
    await form.getByLabel('Last name').fill('Okafor');
    await form.getByLabel('Date of birth').fill('1984-02-29');
    await form.getByRole('button', { name: 'Add patient' }).click();
    // Refused by the API (first name missing): said next to the field, not as raw API text.
    await form.locator('.field-error').first().waitFor();
    expect(await form.getByLabel('First name').getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'polish-03a-add-patient-errors');

    await form.getByLabel('First name').fill('Chidi');
    await form.getByLabel('Email').fill('chidi.okafor@example.test');
    await form.getByLabel('Preferred contact').selectOption('phone');
    await form.getByRole('checkbox', { name: 'Share with other practitioners' }).check();
    await form.getByRole('button', { name: 'Add patient' }).click();
    await page.getByText('Chidi Okafor added.').waitFor();
    // Opened at once, with the consent given on the form.
    await page.getByRole('form', { name: 'Details of Chidi Okafor' }).waitFor();
    await page.getByRole('button', { name: 'Withdraw consent: share with other practitioners' }).waitFor();
    await shot(page, 'polish-03b-patient-added');
    const found = await t.http.get('/api/v1/patients').query({ q: 'Okafor' }).set(lmt.auth).expect(200);
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0]).toMatchObject({ firstName: 'Chidi', preferredContact: 'phone', dateOfBirth: '1984-02-29' });

    // Editing the details: a refused save takes focus to the field to fix, a saved one to what happened.
    const details = page.getByRole('form', { name: 'Details of Chidi Okafor' });
    await details.getByLabel('Date of birth').fill(dateInDays(365));
    await details.getByRole('button', { name: 'Save details' }).click();
    await details.locator('.field-error').first().waitFor();
    await focusIs(page, 'input', /Date of birth/);
    expect((await focused(page)).invalid).toBe('true');
    await shot(page, 'polish-03c-patient-edit-errors');
    await details.getByLabel('Date of birth').fill('1984-03-01');
    await details.getByRole('button', { name: 'Save details' }).click();
    await focusIs(page, 'div', /Details of Chidi Okafor saved\./);
    const edited = await t.http.get('/api/v1/patients').query({ q: 'Okafor' }).set(lmt.auth).expect(200);
    expect(edited.body.items[0]).toMatchObject({ dateOfBirth: '1984-03-01' });
  });

  it('list pages fit a phone, and the notification popup stays on screen', async () => {
    const page = await newPage('phone', PHONE);
    await signIn(page, admin.email);
    for (const [path, heading, name] of [
      ['/admin/practitioners', /Practitioners/, 'polish-04-practitioners'],
      ['/admin/audit', /Audit/, 'polish-05-audit'],
      ['/admin/notifications', /notifications/i, 'polish-06-failed-notifications'],
      ['/admin/overdue', /Overdue/, 'polish-07-overdue'],
    ] as const) {
      await visit(page, path, heading);
      await shot(page, name);
    }
    await page.setViewportSize(PHONE);
    await page.locator('.bell-button').click();
    const panel = await page.getByRole('region', { name: 'Notifications' }).boundingBox();
    expect(panel).not.toBeNull();
    expect(panel!.x).toBeGreaterThanOrEqual(0);
    expect(panel!.x + panel!.width).toBeLessThanOrEqual(PHONE.width);
  });

  it('a surname of one long word fits a phone on the Patients page: the card does not widen the page', async () => {
    // A real Hawaiian surname of 35 letters: no space to wrap at.
    await createPatient(t.http, lmt, { firstName: 'Janice', lastName: 'Keihanaikukauakahihuliheekahaunaele' });
    const page = await newPage('long-surname-phone', PHONE);
    await signIn(page, lmt.email);
    await visit(page, '/patients', 'Patients');
    await page.getByRole('button', { name: 'Open Janice Keihanaikukauakahihuliheekahaunaele' }).waitFor();
    expect(await scrollsSideways(page)).toBe(false);
  });

  it('no page errors, no accessibility violations, nothing wider than a phone', () => {
    mkdirSync(README_SCREENSHOTS, { recursive: true });
    for (const name of ['polish-01-inbox-phone', 'polish-02-profile-phone'])
      copyFileSync(join(SCREENSHOTS, `${name}.png`), join(README_SCREENSHOTS, `${name}.png`));
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
