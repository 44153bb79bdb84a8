import { Client } from 'pg';
import type { Dialog, Page } from 'playwright-core';
import { BrowserRun, focusIs, listen, signIn } from '../support/browser';
import { createPatient, referralIn } from '../support/referral-helpers';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from '../support/test-app';

/**
 * The new-referral form in Debian's Chromium against the real API: a patient refused by the API
 * takes focus to the first field to fix; attaching or removing a file leaves focus on what happened;
 * the summary of errors names each field and links to it, and says whether sending or saving was
 * refused; the redirect form says what became of the referral it replaces; leaving the form (or the
 * progress and outcome forms of a referral) with what was typed not saved asks first, a reload too.
 * And the dashboard's closed-loop rate says what it is a share of. Every screen passes axe-core
 * (WCAG 2.1 A/AA) at desktop and at phone size.
 */

jest.setTimeout(180_000);

/** The API recognises attachments by content (magic bytes), not by name. */
const SCAN_PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0', 'latin1'),
]);
const REPORT_PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe('web app in the browser: the new-referral form', () => {
  let t: TestApp;
  let run: BrowserRun;
  let massage: TestClinic;
  let lmt: SignedInUser;
  let nora: SignedInUser;
  let patientId: string;

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
    massage = await registerClinic(t.http, { name: 'Lakeside Massage', city: 'Austin', postalCode: '78702' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Lena Morales' });
    const physio = await registerClinic(t.http, { name: 'Summit PT', city: 'Austin', postalCode: '78701' });
    await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Sam Ortiz' });
    patientId = (await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' })).id;
    const newpt = await registerClinic(t.http, { name: 'Newpt Physio' });
    nora = await addPractitioner(t.http, newpt, 'physical_therapist', { fullName: 'Nora Newpt' });
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

  it('attaching or removing a file, on the form or on the draft, leaves focus on what happened, not on <body>', async () => {
    const page = await newReferral('attachments');
    await page.getByRole('button', { name: /^Jamie Rivera/ }).click();
    await page.getByTestId('selected-patient').waitFor();
    await page.getByRole('button', { name: /^Choose Sam Ortiz, Summit PT/ }).click();
    await page.getByTestId('selected-recipient').waitFor();
    await page.getByLabel('Reason for referral').fill('Shoulder pain after a fall');

    const file = page.getByLabel('Add a file');
    const attach = page.getByRole('button', { name: 'Attach', exact: true });
    await file.setInputFiles({ name: 'shoulder-scan.png', mimeType: 'image/png', buffer: SCAN_PNG });
    await attach.click();
    await focusIs(page, 'div', /shoulder-scan\.png attached to the draft\./);
    // By keyboard too.
    await file.setInputFiles({ name: 'gp-letter.pdf', mimeType: 'application/pdf', buffer: REPORT_PDF });
    await attach.press('Enter');
    await focusIs(page, 'div', /gp-letter\.pdf attached to the draft\./);
    await page.getByRole('button', { name: 'Remove gp-letter.pdf' }).click();
    await focusIs(page, 'div', /gp-letter\.pdf removed from the draft\./);
    await run.shot(page, 'new-referral-02-attachment-removed');

    // The draft's own page does the same.
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
    const attachments = page.locator('.detail-attachments');
    await attachments.getByText('shoulder-scan.png').waitFor();
    await attachments
      .getByLabel(/Add a file/)
      .setInputFiles({ name: 'gp-letter.pdf', mimeType: 'application/pdf', buffer: REPORT_PDF });
    await attachments.getByRole('button', { name: 'Upload' }).click();
    await focusIs(page, 'div', /gp-letter\.pdf attached\./);
    await attachments.getByRole('button', { name: 'Remove gp-letter.pdf' }).press('Enter');
    await focusIs(page, 'div', /gp-letter\.pdf removed\./);
    // The same content again, under another name, is not added twice, and the message says so.
    await attachments.getByLabel(/Add a file/).setInputFiles({ name: 'scan-again.png', mimeType: 'image/png', buffer: SCAN_PNG });
    await attachments.getByRole('button', { name: 'Upload' }).click();
    await focusIs(page, 'div', /^scan-again\.png is the same file as shoulder-scan\.png, attached already: nothing was added\.$/);
    expect(await attachments.getByRole('button', { name: 'Remove scan-again.png' }).count()).toBe(0);
  });

  it('the summary of what is wrong names each field and links to it, and says whether sending or saving was refused', async () => {
    const page = await newReferral('summary');
    /** Checks that a summary item links to the field labelled `label` (by its id), and that a click focuses it. */
    const linksTo = async (item: string, label: string, tag: string) => {
      const link = page.getByRole('alert').getByRole('link', { name: item });
      const field = page.getByLabel(label);
      expect(await link.getAttribute('href')).toBe(`#${await field.getAttribute('id')}`);
      await link.click();
      await focusIs(page, tag, new RegExp(label.replace(/[()]/g, '\\$&')));
    };

    await page.getByRole('button', { name: 'Send referral' }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'The referral cannot be sent yet' });
    await summary.waitFor();
    await linksTo('Patient: Choose or add the patient.', "Search your clinic's patients", 'input');
    await linksTo('Physical therapist: Choose the physical therapist to refer to.', 'Name or clinic', 'input');
    await linksTo('Reason for referral: Say why you are referring the patient.', 'Reason for referral', 'textarea');
    // Followed in the page: the address stays, no new history entry.
    expect(new URL(page.url()).hash).toBe('');
    await run.shot(page, 'new-referral-03-summary-sent');

    // Someone not on ReferLoop, their name left out: the message says which field.
    await page.getByRole('button', { name: 'Not on ReferLoop? Invite them' }).click();
    await page.getByLabel('Their email').fill('nora.newpt@example.test');
    await page.getByRole('button', { name: 'Send referral' }).click();
    await linksTo('Their full name: Fill this in.', 'Their full name', 'input');

    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByRole('alert').filter({ hasText: 'The referral cannot be saved yet' }).waitFor();
    expect(await page.getByText('The referral cannot be sent yet').count()).toBe(0);
    await run.shot(page, 'new-referral-04-summary-saved');
  });

  it('an invitation to an address of your own clinic is refused next to the email, saying why', async () => {
    const page = await newReferral('invite-own-address');
    await page.getByLabel("Search your clinic's patients").fill('Rivera');
    await page.getByRole('button', { name: /Jamie Rivera/ }).click();
    await page.getByTestId('selected-patient').waitFor();
    await page.getByRole('button', { name: 'Not on ReferLoop? Invite them' }).click();
    await page.getByLabel('Their email').fill(lmt.email);
    await page.getByLabel('Their full name').fill('Lena Morales');
    await page.getByLabel('Reason for referral').fill('Shoulder pain after a fall');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page
      .getByRole('alert')
      .getByRole('link', { name: 'Their email: Belongs to someone at your clinic: a join link is for a colleague outside it' })
      .waitFor();
    expect(await page.getByLabel('Their email').getAttribute('aria-invalid')).toBe('true');
    await run.shot(page, 'new-referral-05-invite-own-address');
  });

  it('redirecting says what became of the referral, not that it goes to the practitioner it went to', async () => {
    const db = new Client({ connectionString: t.database.url });
    await db.connect();
    const page = await run.newPage('redirect');
    await signIn(page, lmt.email);
    try {
      for (const [status, banner] of [
        ['declined', 'Redirecting the referral Nora Newpt declined: choose another recipient.'],
        ['cancelled', 'Redirecting the cancelled referral that was addressed to Nora Newpt: choose another recipient.'],
        ['expired', 'Redirecting the referral that expired before Nora Newpt accepted it: choose another recipient.'],
      ]) {
        const old = await referralIn(t.http, { sender: lmt, recipient: nora }, patientId, status, db);
        await page.goto(`/referrals/${old.id}`);
        await page.getByRole('link', { name: 'Redirect to another practitioner' }).click();
        await page.getByText(banner, { exact: true }).waitFor();
        if (status === 'declined') await run.shot(page, 'new-referral-05-redirect-declined');
      }
    } finally {
      await db.end();
    }
  });

  /** What the page's address is now, path and query. */
  const at = (page: Page) => {
    const url = new URL(page.url());
    return url.pathname + url.search;
  };
  /** The browser's back button, as the page's history sees it (a move inside the app, no new page load). */
  const back = (page: Page) => page.evaluate(() => (globalThis as unknown as { history: { back(): void } }).history.back());

  it('leaving the form with what was typed asks first: Stay keeps it and gives focus back, Leave goes', async () => {
    const page = await newReferral('leave-asks');
    const reason = page.getByLabel('Reason for referral');
    await reason.fill('Tight upper trapezius, worse after desk work');
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Neck' }).check();
    const main = page.getByRole('navigation', { name: 'Main' });
    const asked = page.getByRole('dialog', { name: 'Leave without saving?' });

    // A link of the header: the question, focus on its safe answer.
    await main.getByRole('link', { name: 'Patients' }).click();
    await asked.waitFor();
    await focusIs(page, 'button', /^Stay on this page$/);
    await asked.getByText('What you entered on this page is not saved. If you leave, it is lost.').waitFor();
    expect(at(page)).toBe('/referrals/new');
    await run.shot(page, 'new-referral-07-leave-asked');
    await asked.getByRole('button', { name: 'Stay on this page' }).click();
    await asked.waitFor({ state: 'detached' });
    await focusIs(page, 'a', /^Patients$/);
    expect(await reason.inputValue()).toBe('Tight upper trapezius, worse after desk work');
    expect(at(page)).toBe('/referrals/new');

    // By keyboard: Enter on a link asks, Escape stays, focus back on the link.
    await page.getByRole('link', { name: 'Back to referrals' }).focus();
    await page.keyboard.press('Enter');
    await asked.waitFor();
    await focusIs(page, 'button', /^Stay on this page$/);
    await page.keyboard.press('Escape');
    await asked.waitFor({ state: 'detached' });
    await focusIs(page, 'a', /^Back to referrals$/);
    expect(at(page)).toBe('/referrals/new');

    // The back button: the address stays on the form while asked; Stay keeps everything.
    await back(page);
    await asked.waitFor();
    expect(at(page)).toBe('/referrals/new');
    await asked.getByRole('button', { name: 'Stay on this page' }).click();
    await asked.waitFor({ state: 'detached' });
    expect(await reason.inputValue()).toBe('Tight upper trapezius, worse after desk work');
    expect(await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Neck' }).isChecked()).toBe(
      true,
    );

    // Leave without saving: the link is followed, nothing is asked on the way back.
    await main.getByRole('link', { name: 'Patients' }).click();
    await asked.getByRole('button', { name: 'Leave without saving' }).click();
    await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor();
    expect(await asked.count()).toBe(0);
    await main.getByRole('link', { name: 'New referral' }).click();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    expect(await reason.inputValue()).toBe('');

    // And by the back button: to the referrals it was opened from.
    await reason.fill('Shoulder stiffness');
    await back(page);
    await asked.getByRole('button', { name: 'Leave without saving' }).click();
    await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor();
    expect(at(page)).toBe('/patients');
    expect(await asked.count()).toBe(0);
  });

  it('once saved as a draft nothing is asked; a reload asks (the browser) only while something is not saved', async () => {
    const page = await newReferral('leave-saved');
    const reloads: string[] = [];
    const onDialog = (dialog: Dialog) => {
      reloads.push(dialog.type());
      void dialog.accept();
    };
    page.on('dialog', onDialog);
    const reason = page.getByLabel('Reason for referral');
    const fillIn = async (text: string) => {
      await page.getByRole('button', { name: /^Jamie Rivera/ }).click();
      await page.getByTestId('selected-patient').waitFor();
      await page.getByRole('button', { name: /^Choose Sam Ortiz, Summit PT/ }).click();
      await page.getByTestId('selected-recipient').waitFor();
      await reason.fill(text);
    };

    // Nothing typed: a reload is not stopped.
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Neck' }).check();
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Neck' }).uncheck();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    expect(reloads).toEqual([]);

    // Typed: the browser asks before reloading (answered: leave).
    await fillIn('Hip pain on stairs');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    expect(reloads).toEqual(['beforeunload']);
    expect(await reason.inputValue()).toBe('');

    // Saved as a draft: on to its page, nothing asked.
    await fillIn('Hip pain on stairs, since a fall in March');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
    const draftPage = at(page);
    await page.getByTestId('draft-panel').getByRole('link', { name: 'Edit draft' }).click();
    await page.getByRole('heading', { level: 1, name: 'Edit draft referral' }).waitFor();
    await page.getByTestId('selected-recipient').getByText('Sam Ortiz').waitFor();
    expect(await reason.inputValue()).toBe('Hip pain on stairs, since a fall in March');

    // The draft as saved, opened again: leaving or reloading asks nothing.
    await page.reload();
    await page.getByTestId('selected-recipient').getByText('Sam Ortiz').waitFor();
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Left hip' }).check();
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Left hip' }).uncheck();
    await page.getByRole('link', { name: 'Back to the draft' }).click();
    await page.waitForURL((url) => url.pathname === draftPage);
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(reloads).toEqual(['beforeunload']);

    // Edited and saved again: the same.
    await page.getByTestId('draft-panel').getByRole('link', { name: 'Edit draft' }).click();
    await page.getByTestId('selected-recipient').getByText('Sam Ortiz').waitFor();
    await page.getByLabel('Observations').fill('Limps after 10 minutes of walking.');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL((url) => url.pathname === draftPage);
    await page.getByText('Limps after 10 minutes of walking.').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Referrals' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    expect(reloads).toEqual(['beforeunload']);
    page.off('dialog', onDialog);
  });

  it("a referral's progress and outcome forms ask too, before what was typed in them is left", async () => {
    const parties = { sender: lmt, recipient: nora };
    const inCare = await referralIn(t.http, parties, patientId, 'in_care');
    const page = await run.newPage('leave-detail');
    await signIn(page, nora.email);
    await page.goto(`/referrals/${inCare.id}`);
    const asked = page.getByRole('dialog', { name: 'Leave without saving?' });
    const referrals = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Referrals' });

    await page.getByRole('button', { name: 'Report progress' }).click();
    const progress = page.getByRole('form', { name: 'Report progress' });
    await progress.getByLabel('Sessions completed').fill('2');
    await progress.getByLabel(/^Note/).fill('Less pain turning the head');
    await referrals.click();
    await asked.waitFor();
    await focusIs(page, 'button', /^Stay on this page$/);
    await run.shot(page, 'new-referral-08-leave-progress-asked');
    await asked.getByRole('button', { name: 'Stay on this page' }).click();
    await asked.waitFor({ state: 'detached' });
    expect(await progress.getByLabel(/^Note/).inputValue()).toBe('Less pain turning the head');
    // Sent: nothing more to ask about it.
    await progress
      .getByRole('group', { name: /Tolerance/ })
      .getByRole('radio')
      .first()
      .check();
    await progress.getByRole('button', { name: 'Send progress report' }).click();
    await progress.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Send outcome' }).click();
    const outcome = page.getByRole('form', { name: 'Send outcome' });
    await outcome.getByLabel('Outcome summary').fill('Pain-free range of motion');
    await outcome.getByLabel('Recommendations').fill('Home stretches twice a day');
    await referrals.click();
    await asked.getByRole('button', { name: 'Leave without saving' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    expect(await asked.count()).toBe(0);
  });

  it("the dashboard's closed-loop rate says it is a share of the decided referrals", async () => {
    const parties = { sender: lmt, recipient: nora };
    await referralIn(t.http, parties, patientId, 'closed');
    await referralIn(t.http, parties, patientId, 'declined');
    const page = await run.newPage('dashboard');
    await signIn(page, massage.admin.email);
    await page.goto('/admin');
    await page.getByRole('heading', { level: 1, name: 'Clinic dashboard' }).waitFor();
    const funnel = page.getByRole('region', { name: 'Closed-loop funnel' });
    const stage = async (label: string) =>
      Number(await funnel.locator('li', { hasText: label }).locator('.bar-value').innerText());
    const [decided, closedLoop] = [await stage('Decided'), await stage('Outcome reported')];
    expect(closedLoop).toBeGreaterThanOrEqual(1);
    expect(decided).toBeGreaterThan(closedLoop);
    const kpi = page.locator('.kpi', { hasText: 'Closed-loop rate' });
    expect(await kpi.locator('.kpi-hint').innerText()).toBe(
      `${closedLoop} of ${decided} decided referrals closed the loop (outcome reported)`,
    );
    await run.shot(page, 'new-referral-06-dashboard-closed-loop');
  });

  it('has no page errors, CSP violations, accessibility violations or sideways scroll', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
