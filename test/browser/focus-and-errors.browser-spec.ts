import type { Page } from 'playwright-core';
import { BrowserRun, listen, signIn } from '../support/browser';
import { actOk, createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import { eventually } from '../support/sinks';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

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
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let referralId: string;

  /** What has keyboard focus: its tag, accessible text or label, and aria-invalid. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      const doc = (
        globalThis as unknown as {
          document: {
            activeElement: {
              tagName: string;
              textContent: string | null;
              getAttribute(name: string): string | null;
              labels?: { textContent: string | null }[];
            } | null;
          };
        }
      ).document;
      const active = doc.activeElement;
      if (!active) return { tag: 'none', text: '', invalid: null };
      const label = active.labels?.[0]?.textContent ?? '';
      return {
        tag: active.tagName.toLowerCase(),
        text: `${label} ${active.getAttribute('name') ?? ''} ${active.textContent ?? ''}`.trim(),
        invalid: active.getAttribute('aria-invalid'),
      };
    });

  /** Waits until focus is on an element matching `tag` whose text matches `text`. */
  const focusIs = (page: Page, tag: string, text: RegExp) =>
    eventually(async () => {
      const now = await focused(page);
      return now.tag === tag && text.test(now.text);
    }, `focus on ${tag} ${text}`);

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    const massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
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
    const summary = page.getByRole('alert').filter({ hasText: 'The referral cannot be saved yet' });
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

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
