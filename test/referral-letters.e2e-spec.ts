import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pdfText } from '@referloop/testing/pdf-text';
import { Client } from 'pg';
import {
  actOk,
  createPatient,
  createReferral,
  dateInDays,
  injuryReferralBody,
  invitedReferralBody,
  maintenanceReferralBody,
} from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

const ARTIFACTS = join(__dirname, '..', 'test-artifacts', 'pdf');

/** GET /referrals/:id/letter.pdf and /outcome.pdf: made on the server, same access as the referral, audited. */
describe('referral letter and outcome report PDFs', () => {
  let t: TestApp;
  let sql: Client;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let outsiderClinic: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let outsider: SignedInUser;
  let patient: { id: string; firstName: string; lastName: string };

  /** Reads the answer into a Buffer; a problem+json answer is parsed as JSON. */
  const getPdf = (user: SignedInUser, referralId: string, file: 'letter.pdf' | 'outcome.pdf') =>
    t.http
      .get(`/api/v1/referrals/${referralId}/${file}`)
      .set(user.auth)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          done(null, /json/.test(String(res.headers['content-type'])) ? JSON.parse(raw.toString('utf8')) : raw);
        });
      });

  const auditRows = async (referralId: string, action: string) =>
    (
      await sql.query(
        `SELECT actor_id, clinic_id, outcome FROM audit_events WHERE resource_id = $1 AND action = $2 ORDER BY id`,
        [referralId, action],
      )
    ).rows;

  beforeAll(async () => {
    t = await startTestApp({}, { captureLogs: true });
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage Studio' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio', city: 'Denver', postalCode: '80202' });
    outsiderClinic = await registerClinic(t.http, { name: 'Elsewhere Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist', { fullName: 'Zoë Lindqvist' });
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist', { fullName: 'Dr Ana Ortiz' });
    outsider = await addPractitioner(t.http, outsiderClinic, 'physical_therapist');
    patient = await createPatient(t.http, lmt, { firstName: 'José', lastName: 'Núñez' });
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  it('prints the letter with the parties, patient, referral, red flags, attachments, page numbers and the footer', async () => {
    const draft = await createReferral(
      t.http,
      lmt,
      injuryReferralBody(patient.id, pt.id, {
        priority: 'urgent',
        redFlags: ['night_pain'],
        reason: 'Shoulder pain after a fall',
        neededBy: dateInDays(7),
      }),
    );
    await t.http
      .post(`/api/v1/referrals/${draft.id}/attachments`)
      .set(lmt.auth)
      .attach('file', Buffer.from('%PDF-1.4\n%%EOF\n'), 'imaging-report.pdf')
      .expect(201);
    const sent = await actOk(t.http, lmt, draft, 'send');

    const res = await getPdf(pt, sent.id, 'letter.pdf');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['cache-control']).toMatch(/no-store/);
    const shortId = sent.id.slice(0, 8);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="referral-${shortId}.pdf"; filename*=UTF-8''referral-${shortId}.pdf`,
    );
    const content = res.body as Buffer;
    expect(content.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'referral-letter.pdf'), content);

    const { text, pages } = await pdfText(content);
    for (const expected of [
      'Referral letter',
      'José Núñez',
      'Zoë Lindqvist',
      'Dr Ana Ortiz',
      'Sunrise Massage Studio',
      'Capitol Physio',
      'Denver, TX 80202',
      'Phone +1 512 555 0100',
      '+1 512 555 0199',
      'jamie.rivera@example.test',
      'URGENT',
      'Shoulder pain after a fall',
      'Guarding on left shoulder abduction',
      'Shoulder left, Upper back',
      '6 / 10',
      'Night pain',
      'imaging-report.pdf',
      'application/pdf, 15 bytes',
      'Confidential health information',
      `Page 1 of ${pages}`,
    ]) {
      expect(text).toContain(expected);
    }
    // Printing is a read: it does not acknowledge the referral for the recipient.
    expect((await sql.query(`SELECT status FROM referrals WHERE id = $1`, [sent.id])).rows[0].status).toBe('sent');
  });

  it('prints the maintenance plan of a maintenance referral', async () => {
    const ptPatient = await createPatient(t.http, pt, { firstName: 'Zoë', lastName: 'Ålund' });
    const draft = await createReferral(t.http, pt, maintenanceReferralBody(ptPatient.id, lmt.id));
    const sent = await actOk(t.http, pt, draft, 'send');
    const res = await getPdf(lmt, sent.id, 'letter.pdf');
    expect(res.status).toBe(200);
    const { text } = await pdfText(res.body as Buffer);
    for (const expected of [
      'Zoë Ålund',
      'Maintenance plan',
      'Every 2 weeks',
      'Shoulder left, Neck',
      'No deep pressure over the AC joint',
      'Capitol Physio',
    ]) {
      expect(text).toContain(expected);
    }
  });

  it('names the colleague not on ReferLoop the letter is for (the sender prints it to fax or hand over)', async () => {
    const draft = await createReferral(t.http, lmt, invitedReferralBody(patient.id, 'sam.okafor@newclinic.test'));
    const sent = await actOk(t.http, lmt, draft, 'send');
    const res = await getPdf(lmt, sent.id, 'letter.pdf');
    expect(res.status).toBe(200);
    const { text } = await pdfText(res.body as Buffer);
    for (const expected of ['Dr Sam Okafor', 'sam.okafor@newclinic.test', 'Not yet on ReferLoop']) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('Not named yet');
  });

  it('answers 404 to a third clinic, its admin and the recipient side of a never-sent draft, and audits the refusals', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    for (const user of [outsider, outsiderClinic.admin, pt, ptClinic.admin]) {
      for (const file of ['letter.pdf', 'outcome.pdf'] as const)
        expectProblem(await getPdf(user, draft.id, file), 404, 'not_found');
    }
    // The sender side prints its own draft.
    expect((await getPdf(lmt, draft.id, 'letter.pdf')).status).toBe(200);
    expect((await getPdf(massageClinic.admin, draft.id, 'letter.pdf')).status).toBe(200);
    expect(await auditRows(draft.id, 'referral.letter_pdf')).toEqual([
      { actor_id: outsider.id, clinic_id: outsiderClinic.clinicId, outcome: 'not_found' },
      { actor_id: outsiderClinic.admin.id, clinic_id: outsiderClinic.clinicId, outcome: 'not_found' },
      { actor_id: pt.id, clinic_id: ptClinic.clinicId, outcome: 'not_found' },
      { actor_id: ptClinic.admin.id, clinic_id: ptClinic.clinicId, outcome: 'not_found' },
      { actor_id: lmt.id, clinic_id: massageClinic.clinicId, outcome: 'success' },
      { actor_id: massageClinic.admin.id, clinic_id: massageClinic.clinicId, outcome: 'success' },
    ]);
    // An id that is not a UUID is a 400, not a 500.
    expectProblem(await t.http.get('/api/v1/referrals/not-a-uuid/letter.pdf').set(lmt.auth), 400, 'validation_failed');
  });

  it('audits each print as a PHI read that the other party clinic sees too', async () => {
    const sent = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    expect((await getPdf(pt, sent.id, 'letter.pdf')).status).toBe(200);
    expect(await auditRows(sent.id, 'referral.letter_pdf')).toEqual([
      { actor_id: pt.id, clinic_id: ptClinic.clinicId, outcome: 'success' },
    ]);
    const seenBySender = await t.http
      .get('/api/v1/admin/audit-events')
      .query({ action: 'referral.letter_pdf', resourceId: sent.id })
      .set(massageClinic.admin.auth)
      .expect(200);
    expect(seenBySender.body.items).toEqual([
      expect.objectContaining({ action: 'referral.letter_pdf', actorId: pt.id, resourceId: sent.id }),
    ]);
  });

  it('answers the outcome report with 409 invalid_transition until the outcome is sent, then prints it', async () => {
    let referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id)), 'send');
    const early = await getPdf(lmt, referral.id, 'outcome.pdf');
    expectProblem(early, 409, 'invalid_transition');
    expect(early.body).toMatchObject({ currentStatus: 'sent' });

    referral = await actOk(t.http, pt, referral, 'accept', { note: 'Happy to help' });
    referral = await actOk(t.http, pt, referral, 'schedule', {
      appointmentAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    referral = await actOk(t.http, pt, referral, 'start-care');
    referral = await actOk(t.http, pt, referral, 'send-outcome', {
      outcome: { summary: 'Full range of motion restored', recommendations: 'Maintenance massage every 2 weeks' },
    });

    const res = await getPdf(lmt, referral.id, 'outcome.pdf');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toContain(`filename="outcome-${referral.id.slice(0, 8)}.pdf"`);
    const content = res.body as Buffer;
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'outcome-report.pdf'), content);
    const { text, pages } = await pdfText(content);
    for (const expected of [
      'Outcome report',
      'José Núñez',
      'Full range of motion restored',
      'Maintenance massage every 2 weeks',
      '6 / 10 at referral',
      'Key dates',
      // The booking's line names the appointment it made, not only when it was made.
      ', for ',
      'Care started',
      'Outcome sent',
      'Confidential health information',
      `Page 1 of ${pages}`,
    ]) {
      expect(text).toContain(expected);
    }
    expect(await auditRows(referral.id, 'referral.outcome_pdf')).toEqual([
      { actor_id: lmt.id, clinic_id: massageClinic.clinicId, outcome: 'success' },
    ]);
  });

  it('never logs the PDF bytes or the patient they are about', () => {
    const logs = t.logs.join('');
    expect(logs).toContain('letter.pdf');
    expect(logs).not.toContain('%PDF');
    expect(logs).not.toContain('Núñez');
  });
});
