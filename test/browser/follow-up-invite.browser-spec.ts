import { uniqueEmail } from '@referloop/testing';
import { BrowserRun, DESKTOP, listen, signIn } from '../support/browser';
import { actOk, createPatient, maintenanceReferralBody, createReferral, referralIn } from '../support/referral-helpers';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(180_000);

/**
 * A zone whose calendar day differs from UTC's right now (eleven hours behind in UTC's morning,
 * fourteen ahead after it), so a day taken from an ISO timestamp's UTC date shows as wrong.
 */
function zoneOffTheUtcDay(now = new Date()): string {
  return now.getUTCHours() < 11 ? 'Pacific/Pago_Pago' : 'Pacific/Kiritimati';
}
const dayIn = (timeZone: string, at: Date | string) =>
  new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone }).format(new Date(at));

/**
 * The PT's way back to maintenance massage in the browser: a follow-up to a massage therapist not
 * on ReferLoop goes to the invitee (never to the LMT the form offered first), and the days the
 * follow-up and progress were reported are the viewer's days, as the timeline shows them.
 */
describe('web app in the browser: following up with an invite', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;
  let pt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    run = await BrowserRun.start(await listen(t));
    lmt = await addPractitioner(t.http, await registerClinic(t.http, { name: 'Sunrise Massage' }), 'massage_therapist', {
      fullName: 'Mia Solo',
    });
    pt = await addPractitioner(t.http, await registerClinic(t.http, { name: 'Capitol Physio' }), 'physical_therapist');
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('"Not on ReferLoop? Invite them" sends the follow-up to the invitee, and the injury referral says so on the viewer\'s day', async () => {
    const patient = await createPatient(t.http, lmt, { firstName: 'Jordan', lastName: 'Blake' });
    const injury = await referralIn(t.http, { sender: lmt, recipient: pt }, patient.id, 'in_care');
    const timeZone = zoneOffTheUtcDay();
    const page = await run.newPage('pt-follow-up-invite', { viewport: DESKTOP, timezoneId: timeZone });
    await signIn(page, pt.email);
    await page.goto(`/referrals/new?followUp=${injury.id}`);
    await page.getByText('from the injury referral by Mia Solo').waitFor();

    await page.getByRole('button', { name: /Invite them/ }).click();
    const email = uniqueEmail('nora');
    await page.getByLabel(/Their full name/).fill('Nora Newbie');
    await page.getByLabel(/Their email/).fill(email);
    await page.getByRole('spinbutton', { name: 'Every (weeks)', exact: true }).fill('2');
    await page.getByRole('combobox', { name: /^Pressure/ }).selectOption('light');
    await page.getByLabel(/^Precautions/).fill('Gentle pressure over the left shoulder');
    await page.getByLabel('Share with other practitioners').check();
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.getByText('Nora Newbie was emailed an invitation to join ReferLoop').waitFor();

    const followUpId = /\/referrals\/([0-9a-f-]{36})$/.exec(page.url())![1];
    const sent = await t.http.get(`/api/v1/referrals/${followUpId}`).set(pt.auth).expect(200);
    expect(sent.body).toMatchObject({
      status: 'sent',
      previousId: injury.id,
      recipientId: null,
      recipientInvite: { email, fullName: 'Nora Newbie', status: 'pending' },
    });
    // The LMT the form offered first never had it, not even as a draft.
    await t.http.get(`/api/v1/referrals/${followUpId}`).set(lmt.auth).expect(404);
    const box = await t.http.get('/api/v1/referrals?box=received&kind=maintenance_massage').set(lmt.auth).expect(200);
    expect(box.body.items).toEqual([]);

    await page.goto(`/referrals/${injury.id}`);
    await page
      .getByTestId('follow-up-sent')
      .getByText(`sent to Nora Newbie on ${dayIn(timeZone, sent.body.sentAt as string)}.`)
      .waitFor();
  });

  it("records both consents on the PT clinic's copy of the patient, as adding a patient does, so the patient is told", async () => {
    const patient = await createPatient(t.http, lmt, {
      firstName: 'Casey',
      lastName: 'Moss',
      consents: [{ scope: 'referral_sharing' }, { scope: 'patient_notifications' }],
    });
    const injury = await referralIn(t.http, { sender: lmt, recipient: pt }, patient.id, 'in_care');
    const page = await run.newPage('pt-follow-up-consents', { viewport: DESKTOP });
    await signIn(page, pt.email);
    await page.goto(`/referrals/new?followUp=${injury.id}`);
    await page.getByText('from the injury referral by Mia Solo').waitFor();
    await page.getByRole('spinbutton', { name: 'Every (weeks)', exact: true }).fill('2');
    await page.getByRole('combobox', { name: /^Pressure/ }).selectOption('light');
    await page.getByLabel(/^Precautions/).fill('Gentle pressure over the left shoulder');
    const patientSection = page.getByTestId('follow-up-patient');
    await patientSection.getByLabel('Share with other practitioners').check();
    await patientSection.getByLabel('Messages to the patient').check();
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.getByText('Referral sent to Mia Solo.').waitFor();

    const followUpId = /\/referrals\/([0-9a-f-]{36})$/.exec(page.url())![1];
    const sent = await t.http.get(`/api/v1/referrals/${followUpId}`).set(pt.auth).expect(200);
    expect(sent.body).toMatchObject({ status: 'sent', previousId: injury.id });
    // The copy is the PT clinic's own patient, with both consents recorded by the PT.
    const copy = await t.http.get(`/api/v1/patients/${sent.body.patientId}`).set(pt.auth).expect(200);
    const active = (copy.body.consents as { scope: string; active: boolean; recordedBy: string }[]).filter((c) => c.active);
    expect(active.map((c) => [c.scope, c.recordedBy]).sort()).toEqual([
      ['patient_notifications', pt.id],
      ['referral_sharing', pt.id],
    ]);
  });

  it("a PT who is an admin of the clinic recommends maintenance on a colleague's referral, drafted as the treating PT's", async () => {
    const physio = await registerClinic(t.http, { name: 'Riverside Physio' });
    const treating = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Tara Treating' });
    const lead = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Lee Lead' });
    await t.http.patch(`/api/v1/practitioners/${lead.id}`).set(physio.admin.auth).send({ isAdmin: true }).expect(200);
    const patient = await createPatient(t.http, lmt, { firstName: 'Robin', lastName: 'Hart' });
    const injury = await referralIn(t.http, { sender: lmt, recipient: treating }, patient.id, 'outcome_sent');

    const page = await run.newPage('pt-admin-follow-up', { viewport: DESKTOP });
    await signIn(page, lead.email);
    await page.goto(`/referrals/${injury.id}`);
    await page
      .getByTestId('follow-up')
      .getByRole('link', { name: /maintenance/i })
      .click();
    await page.getByText('from the injury referral by Mia Solo').waitFor();
    await page.getByRole('combobox', { name: /^Pressure/ }).selectOption('light');
    await page.getByLabel(/^Precautions/).fill('None');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL((url) => /^\/referrals\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(injury.id));
    const draftId = new URL(page.url()).pathname.split('/').pop()!;
    const draft = await t.http.get(`/api/v1/referrals/${draftId}`).set(lead.auth).expect(200);
    expect(draft.body).toMatchObject({
      kind: 'maintenance_massage',
      status: 'draft',
      senderId: treating.id,
      recipientId: lmt.id,
      previousId: injury.id,
    });
  });

  it("labels a progress report in the chart with the viewer's day", async () => {
    const patient = await createPatient(t.http, pt);
    const draft = await createReferral(t.http, pt, maintenanceReferralBody(patient.id, lmt.id));
    const sent = await actOk(t.http, pt, draft, 'send');
    const received = (await t.http.get(`/api/v1/referrals/${sent.id}`).set(lmt.auth).expect(200)).body;
    const accepted = await actOk(t.http, lmt, received, 'accept');
    const reported = await actOk(t.http, lmt, accepted, 'report-progress', {
      progress: { sessionsCompleted: 2, painLevel: 2, tolerance: 'well' },
    });
    const timeZone = zoneOffTheUtcDay();
    const page = await run.newPage('pt-progress-day', { viewport: DESKTOP, timezoneId: timeZone });
    await signIn(page, pt.email);
    await page.goto(`/referrals/${sent.id}`);
    await page
      .getByTestId('measures-chart')
      .getByText(`Progress ${dayIn(timeZone, reported.progress[0].reportedAt as string)}`)
      .first()
      .waitFor();
  });
});
