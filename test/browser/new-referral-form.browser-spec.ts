import type { Page } from 'playwright-core';
import { BrowserRun, focusIs, listen, signIn } from '../support/browser';
import { createPatient } from '../support/referral-helpers';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

/**
 * The new-referral form in Debian's Chromium against the real API: a patient refused by the API
 * takes focus to the first field to fix. Every screen passes axe-core (WCAG 2.1 A/AA) at desktop
 * and at phone size.
 */

jest.setTimeout(180_000);

describe('web app in the browser: the new-referral form', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;

  /** Signs in as the massage therapist and opens a new injury referral. */
  const newReferral = async (label: string): Promise<Page> => {
    const page = await run.newPage(label);
    await signIn(page, lmt.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    return page;
  };

  beforeAll(async () => {
    t = await startTestApp();
    run = await BrowserRun.start(await listen(t));
    const massage = await registerClinic(t.http, { name: 'Lakeside Massage', city: 'Austin', postalCode: '78702' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Lena Morales' });
    await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('a new patient the API refuses takes focus to the first field to fix, by click or by Enter', async () => {
    const page = await newReferral('add-patient');
    await page.getByRole('button', { name: 'Add a new patient' }).click();
    const form = page.getByRole('form', { name: 'New patient' });

    await form.getByRole('button', { name: 'Add patient' }).click();
    await form.locator('.field-error').first().waitFor();
    await focusIs(page, 'input', /First name/);

    // Enter in the first name, the only field filled: on to the last name, the first still wrong.
    await form.getByLabel('First name').fill('Noor');
    await form.getByLabel('First name').press('Enter');
    await focusIs(page, 'input', /Last name/);
    expect(await form.getByLabel('First name').getAttribute('aria-invalid')).toBeNull();
    await run.shot(page, 'new-referral-01-patient-refused');
  });

  it('has no page errors, CSP violations, accessibility violations or sideways scroll', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
