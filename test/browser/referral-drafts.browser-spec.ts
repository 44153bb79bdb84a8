import type { Page } from 'playwright-core';
import { BrowserRun, listen, signIn } from '../support/browser';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

/**
 * Composing a referral in Debian's Chromium against the real API: red flags come first, and an
 * emergency sign shows "seek emergency care now" before the rest of the form; a file attached while
 * composing saves the draft; the draft is saved, opened again and edited; its page records the
 * patient's consent and the emergency advice is on record; then it is sent. Every screen passes
 * axe-core (WCAG 2.1 AA) at desktop and phone size.
 */

jest.setTimeout(240_000);

/** A tiny PDF: the API recognises attachments by content (magic bytes), not by name. */
const XRAY_PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe('web app in the browser: drafts, attachments while composing, consent from the draft, emergency advice', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;
  let page: Page;

  /** Screenshots the screen and checks it with axe-core at desktop and at phone size (no sideways scroll). */
  const shot = (name: string) => run.shot(page, name);

  const status = (value: string) => page.locator(`[data-testid=referral-status] [data-status="${value}"]`).waitFor();
  const top = async (selector: ReturnType<Page['locator']>) => (await selector.boundingBox())!.y;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    const massage = await registerClinic(t.http, { name: 'Riverside Massage', city: 'Austin', postalCode: '78702' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Lena Morales' });
    const physio = await registerClinic(t.http, { name: 'Summit PT', city: 'Austin', postalCode: '78701' });
    await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Sam Ortiz', specialties: ['back_neck'] });
    page = await run.newPage('lmt');
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('composes with an attachment before saving, saves, edits the draft, records consent and sends', async () => {
    await signIn(page, lmt.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();

    // Red flags come first: an emergency sign shows the emergency advice before the patient is even asked for.
    const redFlags = page.getByRole('group', { name: 'Red flags' });
    expect(await top(redFlags)).toBeLessThan(await top(page.getByRole('heading', { name: /Patient/ })));
    await redFlags.getByRole('checkbox', { name: /Saddle numbness/ }).check();
    const advice = page.getByTestId('emergency-advice');
    await advice.waitFor();
    expect(await advice.innerText()).toMatch(/Seek emergency care now[\s\S]*seek emergency care now/);
    expect(await top(advice)).toBeLessThan(await top(page.getByRole('heading', { name: /Patient/ })));
    expect(await page.getByRole('group', { name: 'Priority' }).getByRole('radio', { name: 'Urgent' }).isChecked()).toBe(true);
    await shot('drafts-01-emergency-advice-first');

    // A new patient, without the consent to share yet.
    await page.getByRole('button', { name: 'Add a new patient' }).click();
    const patientForm = page.getByRole('form', { name: 'New patient' });
    await patientForm.getByLabel('First name').fill('Noor');
    await patientForm.getByLabel('Last name').fill('Haddad');
    await patientForm.getByLabel('Date of birth').fill('1984-09-02');
    await patientForm.getByLabel('Email').fill('noor.haddad@example.test');
    await patientForm.getByRole('button', { name: 'Add patient' }).click();
    await page.getByTestId('selected-patient').getByText('Noor Haddad').waitFor();

    await page.getByLabel('City').fill('Austin');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: /^Choose Sam Ortiz, Summit PT/ }).click();
    await page.getByTestId('selected-recipient').getByText('Sam Ortiz').waitFor();
    await page.getByLabel('Reason for referral').fill('Low back pain with numbness');

    // Sending without the emergency advice on record is stopped by the form, before anything is saved.
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.getByRole('alert').getByText('Tell the client to seek emergency care now').first().waitFor();
    expect(page.url()).toMatch(/\/referrals\/new$/);

    // The first attachment saves the draft; the form goes on editing it.
    await page.getByLabel('Add a file').setInputFiles({ name: 'lumbar-xray.pdf', mimeType: 'application/pdf', buffer: XRAY_PDF });
    await page.getByRole('button', { name: 'Attach', exact: true }).click();
    await page.getByText('lumbar-xray.pdf attached to the draft.').waitFor();
    await page.waitForURL(/\/referrals\/new\?draft=[0-9a-f-]{36}$/);
    const referralId = new URL(page.url()).searchParams.get('draft')!;
    await page.getByRole('list', { name: 'Attached files' }).getByText('lumbar-xray.pdf').waitFor();
    // A wrong file comes off again before sending.
    await page.getByLabel('Add a file').setInputFiles({
      name: 'wrong-patient.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.concat([XRAY_PDF, Buffer.from('another scan')]),
    });
    await page.getByRole('button', { name: 'Attach', exact: true }).click();
    await page.getByText('wrong-patient.pdf attached to the draft.').waitFor();
    await page.getByRole('button', { name: 'Remove wrong-patient.pdf' }).click();
    await page.getByText('wrong-patient.pdf removed from the draft.').waitFor();
    expect(await page.getByRole('list', { name: 'Attached files' }).getByText('wrong-patient.pdf').count()).toBe(0);
    await shot('drafts-02-attached-while-composing');

    await page.getByLabel('Reason for referral').fill('Low back pain with saddle numbness since Monday');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL(new RegExp(`/referrals/${referralId}$`));
    await status('draft');
    await page.getByText('This referral is a draft: it has not been sent.').waitFor();
    expect(await page.getByText('You sent this referral').count()).toBe(0);
    await page.locator('.detail-attachments').getByText('lumbar-xray.pdf').waitFor();
    await page.getByTestId('draft-consent').waitFor();
    await page.getByTestId('draft-emergency-advice').waitFor();
    await shot('drafts-03-draft-page');

    // Open the draft again and edit it: the same form, filled from the draft.
    await page.getByTestId('draft-panel').getByRole('link', { name: 'Edit draft' }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit draft referral' }).waitFor();
    await page.getByTestId('selected-patient').getByText('Noor Haddad').waitFor();
    await page.getByTestId('selected-recipient').getByText('Sam Ortiz').waitFor();
    expect(await page.getByLabel('Reason for referral').inputValue()).toBe('Low back pain with saddle numbness since Monday');
    expect(
      await page
        .getByRole('group', { name: 'Red flags' })
        .getByRole('checkbox', { name: /Saddle numbness/ })
        .isChecked(),
    ).toBe(true);
    await page.getByRole('list', { name: 'Attached files' }).getByText('lumbar-xray.pdf').waitFor();
    await page.getByLabel('Observations').fill('Reduced sensation over the inner thighs; walked in unaided.');
    await page.getByLabel('I told the client to seek emergency care now').check();
    await shot('drafts-04-edit-draft');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL(new RegExp(`/referrals/${referralId}$`));
    await status('draft');
    await page.getByText('Reduced sensation over the inner thighs').waitFor();
    await page.getByText('The client was told to seek emergency care now').waitFor();
    expect(await page.getByTestId('draft-emergency-advice').count()).toBe(0);
    await page.getByTestId('timeline').getByText('Draft edited').first().waitFor();

    // Consent from the draft, then send.
    const consent = page.getByTestId('draft-consent');
    await consent.getByLabel('The patient has given me this consent.').check();
    await consent.getByRole('button', { name: 'Record consent' }).click();
    await page.getByText('Consent to share referral information recorded').waitFor();
    await shot('drafts-05-consent-recorded');
    await page.locator('[data-action="send"]').click();
    await status('sent');
    await page.getByText('You sent this referral.').waitFor();
    await page.locator('.detail-attachments').getByText('lumbar-xray.pdf').waitFor();
    await shot('drafts-06-sent');

    const sent = await t.http.get(`/api/v1/referrals/${referralId}`).set(lmt.auth).expect(200);
    expect(sent.body).toMatchObject({
      status: 'sent',
      reason: 'Low back pain with saddle numbness since Monday',
      observations: 'Reduced sensation over the inner thighs; walked in unaided.',
      redFlags: ['saddle_numbness'],
      priority: 'urgent',
      emergencyAdviceGiven: true,
      attachments: [expect.objectContaining({ fileName: 'lumbar-xray.pdf', addedAfterSend: false })],
    });
    expect(sent.body.timeline.map((e: { type: string }) => e.type)).toEqual([
      'created',
      'draft_updated',
      'draft_updated',
      'sent',
    ]);

    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
