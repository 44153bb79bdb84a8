import { BrowserRun, focused, focusIs, listen, signIn } from '../support/browser';
import { actionBody, actOk, createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

/**
 * A change the other side makes while a referral is open arrives live: a keyboard or screen-reader
 * user is told what changed in the status slot (not only by the status chip), and focus on an
 * action the change took away (Cancel, once the PT accepted) goes to that message, not to <body>
 * (which would start them over at the top of the page). Focus on a control that stays, stays.
 */
describe('web app in the browser: live changes keep focus and are told', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let patientId: string;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    const massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist', { fullName: 'Morgan Massage' });
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist', { fullName: 'Priya Physio' });
    patientId = (await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' })).id;
  });
  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('an action taken away under focus hands focus to the announced change; focus elsewhere stays', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    let referral = await actOk(t.http, lmt, draft, 'send');
    const page = await run.newPage('lmt');
    await signIn(page, lmt.email);
    await page.goto(`/referrals/${referral.id}`);
    const cancel = page.getByRole('button', { name: 'Cancel referral' });
    await cancel.focus();
    await focusIs(page, 'button', /Cancel referral/);

    // The PT accepts: Cancel is no longer offered (Request cancellation is).
    referral = await actOk(t.http, pt, referral, 'accept', actionBody('accept'));
    const told = page.getByRole('status').filter({ hasText: 'This referral was updated: it is now Accepted.' });
    await told.waitFor({ timeout: 10_000 });
    await cancel.waitFor({ state: 'detached' });
    await focusIs(page, 'div', /This referral was updated: it is now Accepted\./);
    await run.shot(page, 'live-focus-accepted');

    // Focus on a control the change leaves alone stays there; the change is still told.
    const print = page.getByRole('button', { name: 'Print this page' });
    await print.focus();
    await actOk(t.http, pt, referral, 'schedule', actionBody('schedule'));
    await page
      .getByRole('status')
      .filter({ hasText: 'This referral was updated: it is now Scheduled.' })
      .waitFor({ timeout: 10_000 });
    expect(await focused(page)).toMatchObject({ tag: 'button', text: 'Print this page' });
  });

  it('met no page error, CSP violation, accessibility violation or sideways scrolling', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
