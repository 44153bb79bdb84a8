import { Client } from 'pg';
import { uniqueEmail } from '@referloop/testing';
import {
  actionBody,
  actOk,
  createPatient,
  createReferral,
  injuryReferralBody,
  invitedReferralBody,
  joinAsPhysio,
  tokenOf,
} from './support/referral-helpers';
import { type CapturedEmail, eventually, startSmtpSink } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

/** A captured email made readable: headers unfolded, quoted-printable undone. */
interface ReadableEmail {
  raw: string;
  headers: string;
  body: string;
}

function readable(mail: CapturedEmail): ReadableEmail {
  const [head, ...rest] = mail.raw.split(/\r?\n\r?\n/);
  const body = rest
    .join('\n\n')
    .replace(/\r\n/g, '\n')
    .replace(/=\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return { raw: mail.raw, headers: head.replace(/\r?\n[ \t]+/g, ' '), body };
}

const header = (mail: ReadableEmail, name: string) =>
  new RegExp(`^${name}: (.*)$`, 'im').exec(mail.headers.replace(/\r/g, ''))?.[1]?.trim();

/** The patient is told through the real worker and a real SMTP server, and can unsubscribe in one click. */
describe('patient emails', () => {
  let t: TestApp;
  let sql: Client;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let massage: TestClinic;
  let physio: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let counter = 0;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp(
      // The timers run often: a referral's expiry is brought on by moving its sending back in time.
      {
        SMTP_URL: smtp.url,
        NOTIFICATION_RETRY_BASE_DELAY: '20ms',
        OUTBOX_SWEEP_INTERVAL: '500ms',
        TIMER_SWEEP_INTERVAL: '250ms',
      },
      { worker: true, captureLogs: true },
    );
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Pat Physio' });
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
    await smtp.close();
  });

  /** A patient with a unique name and address; told by email unless `notifications` is false. */
  async function patientWith(options: { notifications?: boolean; email?: boolean } = {}) {
    counter += 1;
    const canary = `Qxzv${Date.now()}n${counter}`;
    const email = `patient-${counter}-${Date.now()}@example.test`;
    const consents = [{ scope: 'referral_sharing' }];
    if (options.notifications !== false) consents.push({ scope: 'patient_notifications' });
    const patient = await createPatient(t.http, lmt, {
      firstName: canary,
      lastName: `${canary}son`,
      consents,
      ...(options.email === false ? { email: null, preferredContact: 'phone' } : { email }),
    });
    return { ...patient, email, canary };
  }

  /** A sent referral with clinical content of its own, to look for in the emails. */
  async function sentReferral(patientId: string) {
    const stamp = `${Date.now()}-${counter}`;
    const clinical = {
      reason: `Reason-${stamp} left shoulder after a fall`,
      observations: `Observed-${stamp} guarding on abduction`,
      bodyRegions: ['shoulder_left', 'lower_back'],
      redFlags: ['night_pain'],
      priority: 'urgent',
    };
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id, clinical));
    return { referral: await actOk(t.http, lmt, draft, 'send'), clinical };
  }

  const mailsTo = (address: string) => smtp.messages.filter((m) => m.to.includes(address)).map(readable);

  /** The patient's emails once `count` of them have arrived. */
  const awaitMails = (address: string, count: number) =>
    eventually(() => mailsTo(address).length >= count && mailsTo(address), `${count} email(s) to the patient`);

  /** Waits until the event's fan-out ran (the sender's in-app notification is in the same batch). */
  async function awaitFanOut(referralId: string, event: string, userId: string): Promise<void> {
    await eventually(async () => {
      const { rowCount } = await sql.query(`SELECT 1 FROM notifications WHERE referral_id = $1 AND type = $2 AND user_id = $3`, [
        referralId,
        event,
        userId,
      ]);
      return rowCount! > 0;
    }, `the ${event} fan-out`);
  }

  function expectNoClinicalText(mail: ReadableEmail, clinical: { reason: string; observations: string }, canary: string) {
    const words = [
      clinical.reason,
      clinical.reason.split(' ')[0],
      clinical.observations.split(' ')[0],
      'shoulder_left',
      'lower_back',
      'Shoulder',
      'Lower back',
      'night_pain',
      'Night pain',
      canary,
    ];
    for (const word of words) {
      expect(mail.raw).not.toContain(word);
      expect(mail.body).not.toContain(word);
    }
  }

  function expectOneClick(mail: ReadableEmail): string {
    const listUnsubscribe = header(mail, 'List-Unsubscribe');
    expect(listUnsubscribe).toMatch(/^<http:\/\/[^>]+\/api\/v1\/unsubscribe\/[A-Za-z0-9_-]{64}>$/);
    expect(header(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const url = listUnsubscribe!.slice(1, -1);
    // The same link in the body, in both parts.
    expect(mail.body).toContain(`Stop these emails:\n${url}`);
    expect(mail.body).toContain(`href="${url}"`);
    expect(mail.raw).toMatch(/multipart\/alternative/);
    return new URL(url).pathname;
  }

  it('tells the patient when referred and of each appointment change, once each, with no clinical text', async () => {
    const patient = await patientWith();
    const { referral: sent, clinical } = await sentReferral(patient.id);

    const [referred] = await awaitMails(patient.email, 1);
    // The referral is urgent: every text says so (not why).
    expect(header(referred, 'Subject')).toBe('Urgent: You have been referred to Capitol Physio');
    expect(referred.body).toContain('Your referral is marked urgent: please call to book as soon as you can.');
    expect(referred.body).toContain('Sunrise Massage has referred you to Pat Physio at Capitol Physio.');
    expect(referred.body).toContain('To book an appointment, call +1 512 555 0100.');
    expect(referred.body).toContain('Hello,');
    const delivery = await sql.query(
      `SELECT id, recipient_key, user_id FROM notification_deliveries WHERE referral_id = $1 AND channel = 'patient_email'`,
      [sent.id],
    );
    expect(delivery.rows).toEqual([{ id: expect.any(String), recipient_key: `patient:${patient.id}`, user_id: null }]);
    expect(header(referred, 'Message-ID')).toBe(`<${delivery.rows[0].id}@referloop>`);

    let referral = await actOk(t.http, pt, sent, 'accept', actionBody('accept'));
    const appointmentAt = new Date(Date.now() + 3 * 86_400_000);
    appointmentAt.setUTCHours(17, 0, 0, 0);
    referral = await actOk(t.http, pt, referral, 'schedule', { appointmentAt: appointmentAt.toISOString() });
    const booked = (await awaitMails(patient.email, 2))[1];
    expect(header(booked, 'Subject')).toBe('Urgent: Your appointment at Capitol Physio');
    expect(booked.body).toContain('Your referral is marked urgent.');
    // 17:00 UTC is 11:00 in the clinic's Chicago (CST) or 12:00 (CDT), named with its weekday and zone.
    expect(booked.body).toMatch(
      /booked for (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), [A-Z][a-z]+ \d{1,2}, \d{4} at (11:00 AM CST|12:00 PM CDT)\./,
    );

    referral = await actOk(t.http, pt, referral, 'unschedule', actionBody('unschedule'));
    const removed = (await awaitMails(patient.email, 3))[2];
    expect(header(removed, 'Subject')).toBe('Urgent: Your appointment at Capitol Physio was removed');
    // Which appointment, and where to call.
    expect(removed.body).toMatch(
      /at Capitol Physio on [A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4} at (11:00 AM CST|12:00 PM CDT) was removed\./,
    );
    expect(removed.body).toContain('100 Congress Ave');
    referral = await actOk(t.http, pt, referral, 'schedule', { appointmentAt: appointmentAt.toISOString() });
    await awaitMails(patient.email, 4);

    // Accepting told the sender only; all four patient deliveries went out, each exactly once.
    await eventually(async () => {
      const { rows } = await sql.query(
        `SELECT count(*)::int AS n FROM notification_deliveries WHERE referral_id = $1 AND channel = 'patient_email' AND status = 'delivered'`,
        [referral.id],
      );
      return rows[0].n === 4;
    }, 'four patient deliveries');
    const mails = mailsTo(patient.email);
    expect(mails).toHaveLength(4);
    expect(new Set(mails.map((m) => header(m, 'Message-ID'))).size).toBe(4);
    for (const mail of mails) {
      expectNoClinicalText(mail, clinical, patient.canary);
      expectOneClick(mail);
    }
    // Nor is the patient's own name, nor their address, in the logs.
    const logs = t.logs.join('');
    expect(logs).toContain(referral.id);
    expect(logs).not.toContain(patient.canary);
    expect(logs).not.toContain(patient.email);
  });

  it('tells the patient of a referral to someone not on ReferLoop when they join: only then is there a clinic to name', async () => {
    const patient = await patientWith();
    const invitee = uniqueEmail('outside-pt');
    const draft = await createReferral(t.http, lmt, invitedReferralBody(patient.id, invitee));
    const sent = await actOk(t.http, lmt, draft, 'send');
    // Sending emails the invitee; the patient hears nothing of a practitioner with no clinic yet.
    await eventually(() => mailsTo(invitee).length === 1, 'the invitation to the invitee');
    expect(mailsTo(patient.email)).toEqual([]);

    const { url } = (await t.http.get(`/api/v1/referrals/${sent.id}`).set(lmt.auth).expect(200)).body.recipientInvite;
    await joinAsPhysio(t.http, uniqueEmail('joined-pt'), tokenOf(url)).expect(201);
    const [referred] = await awaitMails(patient.email, 1);
    expect(header(referred, 'Subject')).toBe('You have been referred to Okafor Physiotherapy');
    expect(referred.body).toContain('Sunrise Massage has referred you to Sam Okafor at Okafor Physiotherapy.');
    expectOneClick(referred);
  });

  it('tells the patient that their therapist will follow up when their referral expired unanswered', async () => {
    const patient = await patientWith();
    const { referral, clinical } = await sentReferral(patient.id);
    await awaitMails(patient.email, 1);
    // Sent fifteen days ago, past every response window (urgent or routine): the next sweep expires it.
    await sql.query(`UPDATE referrals SET sent_at = sent_at - interval '15 days' WHERE id = $1`, [referral.id]);
    const expired = (await awaitMails(patient.email, 2))[1];
    expect(header(expired, 'Subject')).toBe('Urgent: About your referral to Capitol Physio');
    expect(expired.body).toContain(
      'Your referral to Capitol Physio was not taken up in time. Your therapist at Sunrise Massage will follow up',
    );
    expectNoClinicalText(expired, clinical, patient.canary);
    expectOneClick(expired);
    const { body } = await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200);
    expect(body.status).toBe('expired');
  });

  it('tells the patient that their therapist will follow up when declined or cancelled after sending', async () => {
    const patient = await patientWith();
    const { referral: first, clinical } = await sentReferral(patient.id);
    await awaitMails(patient.email, 1);
    await actOk(t.http, pt, first, 'decline', actionBody('decline'));
    const declined = (await awaitMails(patient.email, 2))[1];
    expect(declined.body).toContain('Capitol Physio cannot take your referral. Your therapist at Sunrise Massage will follow up');

    const { referral: second } = await sentReferral(patient.id);
    await awaitMails(patient.email, 3);
    await actOk(t.http, lmt, second, 'cancel', actionBody('cancel'));
    const cancelled = (await awaitMails(patient.email, 4))[3];
    expect(cancelled.body).toContain(
      'Your referral to Capitol Physio was cancelled. Your therapist at Sunrise Massage will follow up',
    );
    for (const mail of [declined, cancelled]) {
      expectNoClinicalText(mail, clinical, patient.canary);
      expect(mail.body).not.toContain(actionBody('decline').reason as string);
      expect(mail.body).not.toContain(actionBody('cancel').reason as string);
    }

    // A draft cancelled before sending concerns nobody outside the sender's clinic.
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    await actOk(t.http, lmt, draft, 'cancel', actionBody('cancel'));
    const { referral: third } = await sentReferral(patient.id);
    await awaitMails(patient.email, 5);
    expect(mailsTo(patient.email)[4].body).toContain('has referred you');
    const { rows } = await sql.query(
      `SELECT 1 FROM notification_deliveries WHERE referral_id = $1 AND channel = 'patient_email'`,
      [draft.id],
    );
    expect(rows).toEqual([]);
    expect(third.status).toBe('sent');

    // A cancellation the sender asks for after acceptance, confirmed by the recipient, is a cancellation too.
    const accepted = await actOk(t.http, pt, third, 'accept', actionBody('accept'));
    const asked = await actOk(t.http, lmt, accepted, 'request-cancel', actionBody('request-cancel'));
    await actOk(t.http, pt, asked, 'confirm-cancel', actionBody('confirm-cancel'));
    const confirmed = (await awaitMails(patient.email, 6))[5];
    expect(confirmed.body).toContain(
      'Your referral to Capitol Physio was cancelled. Your therapist at Sunrise Massage will follow up',
    );
    expectNoClinicalText(confirmed, clinical, patient.canary);
  });

  it('one-click unsubscribe: a GET only asks, a POST revokes the consent (audited, once) and stops the next email', async () => {
    const patient = await patientWith();
    const { referral: sent } = await sentReferral(patient.id);
    const [referred] = await awaitMails(patient.email, 1);
    const path = expectOneClick(referred);
    const token = path.split('/').pop()!;

    const page = await t.http.get(path).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    // A mail system that appends tracking parameters to the link does not break it.
    await t.http.get(`${path}?utm_source=newsletter&utm_medium=email`).expect(200);
    expect(page.text).toContain('<form method="post"');
    expect(page.text).toContain('name="List-Unsubscribe" value="One-Click"');
    const consentsOf = async () =>
      (await t.http.get(`/api/v1/patients/${patient.id}`).set(lmt.auth).expect(200)).body.consents as {
        scope: string;
        revokedAt: string | null;
        revokedBy: string | null;
      }[];
    expect((await consentsOf()).find((c) => c.scope === 'patient_notifications')?.revokedAt).toBeNull();

    // A field given twice is refused by name, in either form: which value counted would depend on their order.
    const twice = await t.http.post(path).type('form').send('List-Unsubscribe=nope&List-Unsubscribe=One-Click').expect(400);
    expect(twice.body.errors).toEqual([{ field: 'List-Unsubscribe', message: 'must be given once' }]);
    await t.http.post(path).field('List-Unsubscribe', 'nope').field('List-Unsubscribe', 'One-Click').expect(400);
    expect((await consentsOf()).find((c) => c.scope === 'patient_notifications')?.revokedAt).toBeNull();

    // RFC 8058: a POST of the form List-Unsubscribe=One-Click, which mail systems send as
    // multipart/form-data (as the RFC prefers) or form-encoded; a repeat changes nothing, and a
    // tracking parameter a mail system added to the link changes nothing either.
    const multipart = await t.http.post(path).field('List-Unsubscribe', 'One-Click').expect(200);
    expect(multipart.text).toContain('You are unsubscribed');
    const repeat = await t.http.post(`${path}?utm_source=mail`).type('form').send('List-Unsubscribe=One-Click').expect(200);
    expect(repeat.text).toContain('You are unsubscribed');
    // The link opened again says so, with nothing left to click.
    const reopened = await t.http.get(path).expect(200);
    expect(reopened.text).toContain('You are unsubscribed');
    expect(reopened.text).not.toContain('<form');
    const revoked = (await consentsOf()).find((c) => c.scope === 'patient_notifications')!;
    expect(revoked.revokedAt).not.toBeNull();
    expect(revoked.revokedBy).toBeNull();
    expect((await consentsOf()).find((c) => c.scope === 'referral_sharing')?.revokedAt).toBeNull();
    const audit = await sql.query(
      `SELECT actor_id, clinic_id, details FROM audit_events WHERE action = 'consent.revoke' AND resource_id = $1`,
      [patient.id],
    );
    expect(audit.rows).toEqual([
      { actor_id: null, clinic_id: massage.clinicId, details: { scope: 'patient_notifications', via: 'unsubscribe' } },
    ]);

    // The next event tells the sender but not the patient.
    await actOk(t.http, pt, sent, 'decline', actionBody('decline'));
    await awaitFanOut(sent.id, 'declined', lmt.id);
    const { rows } = await sql.query(
      `SELECT notification_type FROM notification_deliveries WHERE referral_id = $1 AND channel = 'patient_email'`,
      [sent.id],
    );
    expect(rows).toEqual([{ notification_type: 'referral.sent' }]);
    expect(mailsTo(patient.email)).toHaveLength(1);

    // The token is never logged; the request lines are (redacted).
    const logs = t.logs.join('');
    expect(logs).toContain('/api/v1/unsubscribe/[redacted]');
    expect(logs).not.toContain(token);
  });

  it('an older email’s link still unsubscribes after the clinic recorded the consent again', async () => {
    const patient = await patientWith();
    const { referral: sent } = await sentReferral(patient.id);
    const [referred] = await awaitMails(patient.email, 1);
    const path = expectOneClick(referred);
    const notificationConsent = async () =>
      (
        (await t.http.get(`/api/v1/patients/${patient.id}`).set(lmt.auth).expect(200)).body.consents as {
          id: string;
          scope: string;
          revokedAt: string | null;
        }[]
      ).filter((c) => c.scope === 'patient_notifications');
    await t.http.post(path).type('form').send('List-Unsubscribe=One-Click').expect(200);
    // The patient asks the clinic to email them again; later they use the old email's link.
    await t.http
      .post(`/api/v1/patients/${patient.id}/consents`)
      .set(lmt.auth)
      .send({ scope: 'patient_notifications' })
      .expect(201);
    expect((await notificationConsent()).filter((c) => c.revokedAt === null)).toHaveLength(1);
    // It said "You are unsubscribed" and changed nothing: the consent recorded since stayed in effect.
    const again = await Promise.all([1, 2, 3].map(() => t.http.post(path).type('form').send('List-Unsubscribe=One-Click')));
    for (const res of again)
      expect({ status: res.status, unsubscribed: res.text.includes('You are unsubscribed') }).toEqual({
        status: 200,
        unsubscribed: true,
      });
    expect((await notificationConsent()).filter((c) => c.revokedAt === null)).toEqual([]);
    const audit = await sql.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE action = 'consent.revoke' AND resource_id = $1`,
      [patient.id],
    );
    expect(audit.rows[0].n).toBe(2);
    // And the next event emails the patient no more.
    await actOk(t.http, pt, sent, 'decline', actionBody('decline'));
    await awaitFanOut(sent.id, 'declined', lmt.id);
    expect(mailsTo(patient.email)).toHaveLength(1);
  });

  it('answers a bad unsubscribe link or body with a problem, and other routes take no form bodies', async () => {
    expectProblem(await t.http.get('/api/v1/unsubscribe/not-a-token'), 404, 'not_found');
    // The patient's browser gets the 404 as a page in words, not a problem document.
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    for (const res of [
      await t.http.get(`/api/v1/unsubscribe/${'A'.repeat(64)}`).set('accept', browser),
      await t.http
        .post(`/api/v1/unsubscribe/${'A'.repeat(64)}`)
        .set('accept', browser)
        .type('form')
        .send('List-Unsubscribe=One-Click'),
    ]) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.text).toContain('<h1>This link does not work</h1>');
      expect(res.text).not.toContain('not_found');
    }
    expectProblem(
      await t.http
        .post(`/api/v1/unsubscribe/${'A'.repeat(64)}`)
        .type('form')
        .send('List-Unsubscribe=One-Click'),
      404,
      'not_found',
    );
    const patient = await patientWith();
    await sentReferral(patient.id);
    const path = expectOneClick((await awaitMails(patient.email, 1))[0]);
    expectProblem(await t.http.post(path).type('form').send('List-Unsubscribe=Two-Clicks'), 400, 'validation_failed');
    expectProblem(await t.http.post(path).field('List-Unsubscribe', 'Two-Clicks'), 400, 'validation_failed');
    const withFile = await t.http
      .post(path)
      .field('List-Unsubscribe', 'One-Click')
      .attach('file', Buffer.from('%PDF-1.4'), 'a.pdf');
    expectProblem(withFile, 400, 'validation_failed');
    expect(withFile.body.errors).toEqual([expect.objectContaining({ field: 'body' })]);
    expectProblem(await t.http.post(path).type('form').send('x=1'), 400, 'validation_failed');
    expectProblem(
      await t.http.post('/api/v1/patients').set(lmt.auth).type('form').send('firstName=A'),
      415,
      'unsupported_media_type',
    );
  });

  it('sends nothing to a patient without the consent or without an email address', async () => {
    const noConsent = await patientWith({ notifications: false });
    const noEmail = await patientWith({ email: false });
    const referrals = [(await sentReferral(noConsent.id)).referral, (await sentReferral(noEmail.id)).referral];
    for (const referral of referrals) await awaitFanOut(referral.id, 'sent', pt.id);
    const { rows } = await sql.query(
      `SELECT 1 FROM notification_deliveries WHERE referral_id = ANY($1::uuid[]) AND channel = 'patient_email'`,
      [referrals.map((r) => r.id)],
    );
    expect(rows).toEqual([]);
    expect(mailsTo(noConsent.email)).toEqual([]);
  });

  it('skips an email whose consent was revoked after the fan-out (the deliverer re-checks)', async () => {
    const patient = await patientWith();
    const { referral } = await sentReferral(patient.id);
    await awaitMails(patient.email, 1);
    const [delivery] = (
      await sql.query(
        `SELECT id, outbox_event_id FROM notification_deliveries WHERE referral_id = $1 AND channel = 'patient_email'`,
        [referral.id],
      )
    ).rows;
    // The consent goes, then the same delivery is sent again (as an admin's retry would).
    await sql.query(`UPDATE patient_consents SET revoked_at = now() WHERE patient_id = $1 AND scope = 'patient_notifications'`, [
      patient.id,
    ]);
    await sql.query(`UPDATE notification_deliveries SET status = 'failed', failed_at = now() WHERE id = $1`, [delivery.id]);
    // The admins' failed list (the patient's clinic's) names the channel, never the address.
    const failed = await t.http.get('/api/v1/admin/notifications/failed').set(massage.admin.auth).expect(200);
    expect(failed.body.items).toEqual([expect.objectContaining({ id: delivery.id, channel: 'patient_email' })]);
    expect(JSON.stringify(failed.body)).not.toContain(patient.email);
    await t.http.post(`/api/v1/admin/notifications/${delivery.id}/retry`).set(massage.admin.auth).expect(202);
    const skipped = await eventually(async () => {
      const { rows } = await sql.query(`SELECT status, last_error FROM notification_deliveries WHERE id = $1`, [delivery.id]);
      return rows[0].status === 'skipped' && rows[0];
    }, 'the skipped delivery');
    expect(skipped.last_error).toBe('consent revoked');
    expect(mailsTo(patient.email)).toHaveLength(1);
  });

  /**
   * Sends the referral's patient email of `type` again, as a retry after a mail server's "try again
   * later" would, and answers the delivery's status and last error once the worker is done with it.
   */
  async function resendPatientEmail(referralId: string, type: string): Promise<{ status: string; last_error: string | null }> {
    const [delivery] = (
      await sql.query(
        `SELECT id FROM notification_deliveries WHERE referral_id = $1 AND channel = 'patient_email' AND notification_type = $2`,
        [referralId, `referral.${type}`],
      )
    ).rows;
    await sql.query(`UPDATE notification_deliveries SET status = 'failed', failed_at = now() WHERE id = $1`, [delivery.id]);
    await t.http.post(`/api/v1/admin/notifications/${delivery.id}/retry`).set(massage.admin.auth).expect(202);
    return eventually(async () => {
      const { rows } = await sql.query(`SELECT status, last_error FROM notification_deliveries WHERE id = $1`, [delivery.id]);
      return ['delivered', 'skipped'].includes(rows[0].status) && rows[0];
    }, `the ${type} email sent again or skipped`);
  }

  it('does not send an appointment email late, after the referral was cancelled (a retry skips it)', async () => {
    const patient = await patientWith();
    const { referral: sent } = await sentReferral(patient.id);
    await awaitMails(patient.email, 1);
    let referral = await actOk(t.http, pt, sent, 'accept', actionBody('accept'));
    referral = await actOk(t.http, pt, referral, 'schedule', actionBody('schedule'));
    await awaitMails(patient.email, 2);
    referral = await actOk(t.http, lmt, referral, 'request-cancel', actionBody('request-cancel'));
    await actOk(t.http, pt, referral, 'confirm-cancel', actionBody('confirm-cancel'));
    const cancelled = (await awaitMails(patient.email, 3))[2];
    expect(cancelled.body).toContain('was cancelled');

    // Sent now, "your appointment is booked" would contradict the cancellation the patient has.
    expect(await resendPatientEmail(sent.id, 'scheduled')).toEqual({
      status: 'skipped',
      last_error: 'superseded by a later email',
    });
    // "You have been referred" is made wrong by the referral's end too.
    expect(await resendPatientEmail(sent.id, 'sent')).toEqual({ status: 'skipped', last_error: 'superseded by a later email' });
    expect(mailsTo(patient.email)).toHaveLength(3);
  });

  it('sends the referral email late when only an appointment came after it', async () => {
    const patient = await patientWith();
    const { referral: sent } = await sentReferral(patient.id);
    await awaitMails(patient.email, 1);
    const accepted = await actOk(t.http, pt, sent, 'accept', actionBody('accept'));
    await actOk(t.http, pt, accepted, 'schedule', actionBody('schedule'));
    await awaitMails(patient.email, 2);
    expect(await resendPatientEmail(sent.id, 'sent')).toMatchObject({ status: 'delivered' });
    await awaitMails(patient.email, 3);
    expect(mailsTo(patient.email)[2].body).toContain('has referred you');
  });

  it('previews every email for admins: what each event sends, to whom, on which channel', async () => {
    expectProblem(await t.http.get('/api/v1/admin/notifications/preview').set(lmt.auth), 403, 'forbidden');
    const { body } = await t.http.get('/api/v1/admin/notifications/preview').set(massage.admin.auth).expect(200);
    expect(body.nextCursor).toBeNull();
    const find = (event: string, audience: string) =>
      body.items.find((i: { event: string; audience: string }) => i.event === event && i.audience === audience);
    expect(find('sent', 'recipient')).toMatchObject({
      channels: ['in_app', 'email'],
      subject: 'New referral from Sunrise Massage',
    });
    expect(find('sent', 'recipient').html).toContain('Open the referral</a>');
    const patient = find('scheduled', 'patient');
    expect(patient).toMatchObject({ channels: ['patient_email'], subject: 'Your appointment at Capitol Physio' });
    expect(patient.text).toContain('Tuesday, December 1, 2026 at 10:00 AM MST');
    for (const event of ['sent', 'scheduled', 'rescheduled', 'unscheduled', 'declined', 'cancelled'])
      expect(find(event, 'patient')?.text).toContain('Stop these emails');
    expect(find('invitation', 'invited_practitioner').channels).toEqual(['email']);
  });
});
