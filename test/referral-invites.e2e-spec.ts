import { lapsedLicenceDate, uniqueEmail } from '@referloop/testing';
import { Client } from 'pg';
import {
  act,
  actOk,
  createPatient,
  createReferral,
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

// Referring someone not on ReferLoop: the invite, its email, joining through the link, and who sees what.

interface ReferralBody {
  id: string;
  status: string;
  version: number;
  recipientId: string | null;
  recipientInvite?: { email: string; fullName: string; role: string; status: string; url: string | null };
}

/** The decoded text of a captured email (quoted-printable soft breaks and escapes undone). */
const textOf = (mail: CapturedEmail) =>
  mail.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

const signedIn = (body: { user: { id: string; clinicId: string; email: string; role: string }; accessToken: string }) =>
  ({
    id: body.user.id,
    clinicId: body.user.clinicId,
    email: body.user.email,
    role: body.user.role,
    accessToken: body.accessToken,
    refreshToken: '',
    auth: { Authorization: `Bearer ${body.accessToken}` },
  }) satisfies SignedInUser;

async function sql<T>(app: TestApp, text: string, values: unknown[] = []): Promise<T[]> {
  const db = new Client({ connectionString: app.database.url });
  await db.connect();
  try {
    return (await db.query(text, values)).rows as T[];
  } finally {
    await db.end();
  }
}

describe('referring someone not on ReferLoop', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let massage: TestClinic;
  let lmt: SignedInUser;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp(
      { SMTP_URL: smtp.url, OUTBOX_SWEEP_INTERVAL: '250ms', NOTIFICATION_RETRY_BASE_DELAY: '20ms' },
      { worker: true },
    );
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  const inbox = async (user: SignedInUser) =>
    (await t.http.get('/api/v1/notifications').set(user.auth).expect(200)).body.items as {
      type: string;
      referralId: string;
      title: string;
    }[];
  const receivedBox = async (user: SignedInUser) =>
    (await t.http.get('/api/v1/referrals').query({ box: 'received' }).set(user.auth).expect(200)).body.items as ReferralBody[];

  it('invites on send without PHI, and hands both referrals to the person who joins through the link', async () => {
    const email = uniqueEmail('outside-pt');
    const patient = await createPatient(t.http, lmt, { firstName: 'Quinnella', lastName: 'Zabrowski' });
    const first: ReferralBody = await createReferral(t.http, lmt, invitedReferralBody(patient.id, email));
    expect(first).toMatchObject({
      status: 'draft',
      recipientId: null,
      recipient: null,
      recipientInvite: { email, fullName: 'Dr Sam Okafor', role: 'physical_therapist', status: 'pending' },
    });
    // A second referral to the same pending address shares the invite and its link.
    const second: ReferralBody = await createReferral(
      t.http,
      lmt,
      invitedReferralBody(patient.id, email.toUpperCase(), { reason: 'Second concern: knee' }),
    );
    expect(second.recipientInvite!.url).toBe(first.recipientInvite!.url);
    expect(await sql(t, `SELECT id FROM referral_invites WHERE lower(email) = lower($1)`, [email])).toHaveLength(1);

    const sent = await actOk(t.http, lmt, first, 'send');
    expect(sent).toMatchObject({ status: 'sent', recipientId: null });
    await actOk(t.http, lmt, second, 'send');

    const mail = await eventually(() => smtp.messages.find((m) => m.to.includes(email)), 'invitation email');
    const text = textOf(mail);
    expect(text).toContain('Sunrise Massage wants to send you a referral on ReferLoop');
    expect(tokenOf(text)).toBe(tokenOf(first.recipientInvite!.url!));
    for (const phi of ['Quinnella', 'Zabrowski', 'Shoulder pain after a fall', 'Guarding on left shoulder', 'Second concern']) {
      expect(text).not.toContain(phi);
    }

    // The sign-up page learns whom the link invites, and nothing about the referral.
    const lookup = await t.http
      .post('/api/v1/referral-invites/lookup')
      .send({ token: tokenOf(first.recipientInvite!.url!) })
      .expect(200);
    expect(lookup.body).toEqual({ email, fullName: 'Dr Sam Okafor', role: 'physical_therapist' });

    // Someone registering the invited address without the link gets nothing.
    const impostor = signedIn((await joinAsPhysio(t.http, email).expect(201)).body);
    expect(await receivedBox(impostor)).toEqual([]);
    await t.http.get(`/api/v1/referrals/${first.id}`).set(impostor.auth).expect(404);

    // The link works (under another address too: the link is the proof), once.
    const token = tokenOf(first.recipientInvite!.url!);
    const joined = signedIn((await joinAsPhysio(t.http, uniqueEmail('joined-pt'), token).expect(201)).body);
    const box = await receivedBox(joined);
    expect(box.map((r) => r.id).sort()).toEqual([first.id, second.id].sort());
    expect(box.every((r) => r.status === 'sent' && r.recipientId === joined.id)).toBe(true);
    // The recipient side does not see whom the sender invited.
    expect(box[0].recipientInvite).toBeUndefined();
    expectProblem(await joinAsPhysio(t.http, uniqueEmail('again'), token), 400, 'validation_failed');

    const senderView = (await t.http.get(`/api/v1/referrals/${first.id}`).set(lmt.auth).expect(200)).body;
    expect(senderView).toMatchObject({
      status: 'sent',
      recipientId: joined.id,
      recipientInvite: { email, status: 'joined', url: null },
    });
    expect(senderView.sentAt).toBe(sent.sentAt);
    expect(senderView.timeline.map((e: { type: string }) => e.type)).toEqual(['created', 'sent', 'recipient_joined']);

    await eventually(
      async () => (await inbox(joined)).filter((n) => n.type === 'recipient_joined').length === 2,
      'the new recipient hears of both referrals',
    );
    await eventually(
      async () =>
        (await inbox(lmt)).some(
          (n) => n.type === 'recipient_joined' && n.referralId === first.id && n.title === 'Recipient joined ReferLoop',
        ),
      'the sender hears that the recipient joined',
    );
    // The recipient takes it from here like any referral.
    const read = (await t.http.get(`/api/v1/referrals/${first.id}`).set(joined.auth).expect(200)).body;
    await actOk(t.http, joined, read, 'accept');
  });

  it('resend-invite makes a new link and the old one stops working', async () => {
    const patient = await createPatient(t.http, lmt);
    const email = uniqueEmail('resend-pt');
    const draft: ReferralBody = await createReferral(t.http, lmt, invitedReferralBody(patient.id, email));
    const sent = await actOk(t.http, lmt, draft, 'send');
    const resent = await t.http
      .post(`/api/v1/referrals/${draft.id}/resend-invite`)
      .set(lmt.auth)
      .send({ version: sent.version })
      .expect(200);
    const newUrl: string = resent.body.recipientInvite.url;
    expect(newUrl).not.toBe(draft.recipientInvite!.url);
    // The timeline says who made the new link (the sender's colleagues see why the old one died).
    expect(resent.body.version).toBe(draft.version + 2);
    expect(resent.body.timeline.at(-1)).toMatchObject({
      type: 'invite_resent',
      actorId: lmt.id,
      fromStatus: 'sent',
      toStatus: 'sent',
    });
    const dead = await t.http.post('/api/v1/referral-invites/lookup').send({ token: tokenOf(draft.recipientInvite!.url!) });
    expectProblem(dead, 400, 'validation_failed');
    expect(dead.body.errors).toEqual([expect.objectContaining({ field: 'token' })]);
    // The new link is emailed.
    await eventually(
      () => smtp.messages.find((m) => m.to.includes(email) && textOf(m).includes(newUrl)),
      'the new link by email',
    );
    expectProblem(
      await joinAsPhysio(t.http, uniqueEmail('old-link'), tokenOf(draft.recipientInvite!.url!)),
      400,
      'validation_failed',
    );
    const joined = signedIn((await joinAsPhysio(t.http, uniqueEmail('new-link'), tokenOf(newUrl)).expect(201)).body);
    expect((await receivedBox(joined)).map((r) => r.id)).toEqual([draft.id]);
  });

  it('resend-invite takes the version read (body or If-Match): none is 400, a stale one 409, and a double click makes one link', async () => {
    const patient = await createPatient(t.http, lmt);
    const draft: ReferralBody = await createReferral(
      t.http,
      lmt,
      invitedReferralBody(patient.id, uniqueEmail('resend-if-match')),
    );
    const path = `/api/v1/referrals/${draft.id}/resend-invite`;
    const unversioned = await t.http.post(path).set(lmt.auth);
    expectProblem(unversioned, 400, 'validation_failed');
    expect(unversioned.body.errors).toEqual([expect.objectContaining({ field: 'version' })]);
    const stale = await t.http
      .post(path)
      .set(lmt.auth)
      .set('If-Match', `"${draft.version + 5}"`);
    expectProblem(stale, 409, 'stale_version');
    expect(stale.body).toMatchObject({ currentVersion: draft.version, currentStatus: 'draft' });
    const unchanged = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body;
    expect(unchanged).toMatchObject({ version: draft.version, recipientInvite: { url: draft.recipientInvite!.url } });
    const resent = await t.http.post(path).set(lmt.auth).set('If-Match', `"${draft.version}"`).expect(200);
    expect(resent.body.version).toBe(draft.version + 1);
    expect(resent.headers.etag).toBe(`"${draft.version + 1}"`);

    // Six clicks at once on the version read: one new link, one timeline event; the others are stale.
    const clicks = await Promise.all(
      Array.from({ length: 6 }, () => t.http.post(path).set(lmt.auth).send({ version: resent.body.version })),
    );
    expect(clicks.map((click) => click.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
    for (const click of clicks.filter((c) => c.status === 409)) expectProblem(click, 409, 'stale_version');
    const winner = clicks.find((click) => click.status === 200)!.body;
    const after = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body;
    expect(after).toMatchObject({ version: resent.body.version + 1, recipientInvite: { url: winner.recipientInvite.url } });
    expect(after.timeline.filter((event: { type: string }) => event.type === 'invite_resent')).toHaveLength(2);
  });

  it('resend-invite on a draft that shares a sent referral’s link emails the new link (the old one died)', async () => {
    const patient = await createPatient(t.http, lmt);
    const email = uniqueEmail('shared-link');
    const sent = await actOk(t.http, lmt, await createReferral(t.http, lmt, invitedReferralBody(patient.id, email)), 'send');
    const draft: ReferralBody = await createReferral(t.http, lmt, invitedReferralBody(patient.id, email));
    const resent = await t.http
      .post(`/api/v1/referrals/${draft.id}/resend-invite`)
      .set(lmt.auth)
      .send({ version: draft.version })
      .expect(200);
    const newUrl: string = resent.body.recipientInvite.url;
    expect(newUrl).not.toBe(sent.recipientInvite!.url);
    await eventually(
      () => smtp.messages.find((m) => m.to.includes(email) && textOf(m).includes(newUrl)),
      'the new link by email',
    );
    // A draft's own link is not emailed until it is sent: resending it alone only makes a new one.
    const alone = await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail('draft-only')));
    await t.http.post(`/api/v1/referrals/${alone.id}/resend-invite`).set(lmt.auth).send({ version: alone.version }).expect(200);
    expect(
      await sql(t, `SELECT 1 FROM outbox_events WHERE referral_id = $1 AND type = 'referral_invite.resent'`, [alone.id]),
    ).toEqual([]);
  });

  it('joining with an expired licence is refused (422 licence_expired): nothing is registered, the link still works', async () => {
    const patient = await createPatient(t.http, lmt);
    const sent = await actOk(
      t.http,
      lmt,
      await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail('lapsed-join'))),
      'send',
    );
    const token = tokenOf(sent.recipientInvite!.url);
    const email = uniqueEmail('lapsed-joiner');
    const refused = await joinAsPhysio(t.http, email, token, {
      licence: { number: 'PT-9', region: 'TX', expiresOn: '2020-01-01' },
    });
    expectProblem(refused, 422, 'licence_expired');
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'admin.practitioner.licence.expiresOn' })]);
    expect(await sql(t, `SELECT 1 FROM users WHERE lower(email) = lower($1)`, [email])).toEqual([]);
    await t.http.post('/api/v1/referral-invites/lookup').send({ token }).expect(200);
    await joinAsPhysio(t.http, email, token).expect(201);
  });

  it('a practitioner already on ReferLoop takes the referral of a link sent to them, once; nobody else can', async () => {
    const patient = await createPatient(t.http, lmt);
    const draft: ReferralBody = await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail('has-account')));
    const sent = await actOk(t.http, lmt, draft, 'send');
    const token = tokenOf(sent.recipientInvite!.url);
    const claim = (user: SignedInUser, body: object = { token }) =>
      t.http.post('/api/v1/referral-invites/claim').set(user.auth).send(body);

    // The sender's own clinic (the link opened by mistake), a non-practitioner, the other profession: refused, nothing used up.
    expectProblem(await claim(lmt), 403, 'forbidden');
    const physio = await registerClinic(t.http, { name: 'Already Here Physio' });
    expectProblem(await claim(physio.admin), 403, 'forbidden');
    const otherLmt = await addPractitioner(t.http, physio, 'massage_therapist');
    const wrongRole = await claim(otherLmt);
    expectProblem(wrongRole, 422, 'recipient_type_mismatch');
    expect(wrongRole.body.errors).toEqual([expect.objectContaining({ field: 'token' })]);
    expectProblem(await claim(otherLmt, { token: 'x'.repeat(10) }), 400, 'validation_failed');
    await t.http.post('/api/v1/referral-invites/claim').send({ token }).expect(401);

    // A PT whose licence has expired could never accept it: refused, and the link still works.
    const lapsed = await addPractitioner(t.http, physio, 'physical_therapist');
    await t.http
      .patch(`/api/v1/practitioners/${lapsed.id}`)
      .set(physio.admin.auth)
      .send({ licence: { number: 'PT-OLD-1', region: 'TX', expiresOn: lapsedLicenceDate() } })
      .expect(200);
    expectProblem(await claim(lapsed), 422, 'licence_expired');
    await t.http.post('/api/v1/referral-invites/lookup').send({ token }).expect(200);

    // The PT who has an account: the referral is theirs, both sides told, the link used up.
    const pt = await addPractitioner(t.http, physio, 'physical_therapist');
    await claim(pt).expect(204);
    expect((await receivedBox(pt)).map((r) => [r.id, r.status, r.recipientId])).toEqual([[sent.id, 'sent', pt.id]]);
    const read = await t.http.get(`/api/v1/referrals/${sent.id}`).set(lmt.auth).expect(200);
    expect(read.body.recipientInvite).toMatchObject({ status: 'joined' });
    expect(read.body.timeline.map((e: { type: string }) => e.type)).toContain('recipient_joined');
    // They were on ReferLoop already: the sender is told they received it, not that they joined.
    const told = await eventually(
      async () => (await inbox(lmt)).find((n) => n.type === 'recipient_joined' && n.referralId === sent.id),
      'the sender hears the referral was taken',
    );
    expect(told.title).toBe('Invited practitioner received your referral');
    const again = await claim(pt);
    expectProblem(again, 400, 'validation_failed');
    expect(again.body.errors).toEqual([expect.objectContaining({ field: 'token' })]);
    expectProblem(await joinAsPhysio(t.http, uniqueEmail('too-late'), token), 400, 'validation_failed');
  });

  it('a link works while one of its referrals is open: cancelling one keeps it for the other, cancelling both ends it', async () => {
    const email = uniqueEmail('cancelled');
    const patient = await createPatient(t.http, lmt);
    const first = await actOk(t.http, lmt, await createReferral(t.http, lmt, invitedReferralBody(patient.id, email)), 'send');
    const second = await actOk(t.http, lmt, await createReferral(t.http, lmt, invitedReferralBody(patient.id, email)), 'send');
    // One invite per address: both referrals share its link.
    const token = tokenOf(second.recipientInvite.url);
    expect(tokenOf(first.recipientInvite.url)).toBe(token);

    const cancelledFirst = await actOk(t.http, lmt, first, 'cancel', { reason: 'Booked elsewhere' });
    expect(cancelledFirst.recipientInvite).toMatchObject({ status: 'pending', url: null });
    expectProblem(
      await t.http.post(`/api/v1/referrals/${first.id}/resend-invite`).set(lmt.auth).send({ version: cancelledFirst.version }),
      409,
      'invalid_transition',
    );
    await t.http.post('/api/v1/referral-invites/lookup').send({ token }).expect(200);

    await actOk(t.http, lmt, second, 'cancel', { reason: 'Booked elsewhere' });
    expectProblem(await t.http.post('/api/v1/referral-invites/lookup').send({ token }), 400, 'validation_failed');
    // Someone already on ReferLoop cannot take it either, and the sender is not shown a join.
    const pt = await addPractitioner(t.http, await registerClinic(t.http, { name: 'Late Physio' }), 'physical_therapist');
    expectProblem(await t.http.post('/api/v1/referral-invites/claim').set(pt.auth).send({ token }), 400, 'validation_failed');
    const read = await t.http.get(`/api/v1/referrals/${second.id}`).set(lmt.auth).expect(200);
    expect(read.body).toMatchObject({ recipientId: null, recipientInvite: { status: 'pending', url: null } });
  });

  it('a claim and a cancel at the same moment: the referral is taken or cancelled, never a used link with nothing', async () => {
    const pt = await addPractitioner(t.http, await registerClinic(t.http, { name: 'Racing Physio' }), 'physical_therapist');
    const patient = await createPatient(t.http, lmt);
    for (let round = 0; round < 12; round++) {
      const draft: ReferralBody = await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail('race')));
      const sent = await actOk(t.http, lmt, draft, 'send');
      const token = tokenOf(sent.recipientInvite.url);
      const [claimed, cancelled] = await Promise.all([
        t.http.post('/api/v1/referral-invites/claim').set(pt.auth).send({ token }),
        act(t.http, lmt, sent.id, 'cancel', sent.version, { reason: 'Booked elsewhere' }),
      ]);
      const read = (await t.http.get(`/api/v1/referrals/${sent.id}`).set(lmt.auth).expect(200)).body as ReferralBody;
      if (claimed.status === 204) {
        expectProblem(cancelled, 409, 'stale_version');
        expect(read).toMatchObject({ status: 'sent', recipientId: pt.id });
      } else {
        expect([claimed.status, cancelled.status]).toEqual([400, 200]);
        expect(read).toMatchObject({ status: 'cancelled', recipientId: null, recipientInvite: { status: 'pending' } });
      }
    }
  });

  it('checks the invite: exactly one recipient, the right role, sender side only', async () => {
    const patient = await createPatient(t.http, lmt);
    const body = invitedReferralBody(patient.id, uniqueEmail('checks'));
    const both = await t.http
      .post('/api/v1/referrals')
      .set(lmt.auth)
      .send({ ...body, recipientId: lmt.id });
    expectProblem(both, 400, 'validation_failed');
    const { recipientInvite: _invite, ...neither } = body;
    expectProblem(await t.http.post('/api/v1/referrals').set(lmt.auth).send(neither), 400, 'validation_failed');
    const wrongRole = await t.http
      .post('/api/v1/referrals')
      .set(lmt.auth)
      .send({ ...body, recipientInvite: { ...body.recipientInvite, role: 'massage_therapist' } });
    expectProblem(wrongRole, 422, 'recipient_type_mismatch');

    // A join link is for someone outside the clinic: the sender's own address, or a colleague's in the
    // clinic (any case), names someone on ReferLoop here already, who could never take the referral.
    const invitesBefore = await sql(t, `SELECT id FROM referral_invites`);
    const ownDraft: ReferralBody = await createReferral(t.http, lmt, body);
    for (const email of [lmt.email, massage.admin.email.toUpperCase()]) {
      const recipientInvite = { ...body.recipientInvite, email };
      const created = await t.http
        .post('/api/v1/referrals')
        .set(lmt.auth)
        .send({ ...body, recipientInvite });
      expectProblem(created, 400, 'validation_failed');
      expect(created.body.errors).toEqual([{ field: 'recipientInvite.email', message: expect.stringContaining('your clinic') }]);
      const edited = await t.http
        .patch(`/api/v1/referrals/${ownDraft.id}`)
        .set(lmt.auth)
        .send({ version: ownDraft.version, recipientInvite });
      expectProblem(edited, 400, 'validation_failed');
    }
    // Nothing was written for them: no invite, and the draft still invites whom it did.
    expect(await sql(t, `SELECT id FROM referral_invites`)).toHaveLength(invitesBefore.length + 1);
    const kept: ReferralBody = (await t.http.get(`/api/v1/referrals/${ownDraft.id}`).set(lmt.auth).expect(200)).body;
    expect(kept).toMatchObject({ version: ownDraft.version, recipientInvite: { email: body.recipientInvite.email } });

    // Another clinic cannot see the referral, nor resend its invitation.
    const other = await registerClinic(t.http, { name: 'Elsewhere Physio' });
    const draft: ReferralBody = await createReferral(t.http, lmt, body);
    await t.http.get(`/api/v1/referrals/${draft.id}`).set(other.admin.auth).expect(404);
    await t.http.post(`/api/v1/referrals/${draft.id}/resend-invite`).set(other.admin.auth).expect(404);
  });
});

describe('an invite nobody accepts', () => {
  let t: TestApp;
  let lmt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp(
      {
        REMINDER_AFTER: '1h',
        ESCALATE_AFTER: '2h',
        EXPIRE_AFTER: '2s',
        TIMER_SWEEP_INTERVAL: '250ms',
        OUTBOX_SWEEP_INTERVAL: '250ms',
      },
      { worker: true },
    );
    lmt = await addPractitioner(t.http, await registerClinic(t.http, { name: 'Sunrise Massage' }), 'massage_therapist');
  });
  afterAll(() => t.close());

  it('expires after the response SLA like any referral, and its link no longer joins anything', async () => {
    const patient = await createPatient(t.http, lmt);
    const draft: ReferralBody = await createReferral(t.http, lmt, invitedReferralBody(patient.id, uniqueEmail('never')));
    await actOk(t.http, lmt, draft, 'send');
    await eventually(
      async () => (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body.status === 'expired',
      'expiry',
      20_000,
    );
    // The sender is told, naming the invitee as nobody's clinic yet.
    await eventually(async () => {
      const items = (await t.http.get('/api/v1/notifications').set(lmt.auth).expect(200)).body.items as {
        type: string;
        referralId: string;
        body: string;
      }[];
      return items.find((n) => n.type === 'expired' && n.referralId === draft.id)?.body.includes('the practitioner you invited');
    }, 'the sender hears of the expiry');
    // The link leads nowhere now: refused like a used one, offered no more, and not sent again.
    const token = tokenOf(draft.recipientInvite!.url!);
    expectProblem(await t.http.post('/api/v1/referral-invites/lookup').send({ token }), 400, 'validation_failed');
    const late = await joinAsPhysio(t.http, uniqueEmail('late'), token);
    expectProblem(late, 400, 'validation_failed');
    expect(late.body.errors).toEqual([expect.objectContaining({ field: 'invitationToken' })]);
    const read = await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200);
    expect(read.body.recipientInvite).toMatchObject({ status: 'pending', url: null });
    const resend = await t.http
      .post(`/api/v1/referrals/${draft.id}/resend-invite`)
      .set(lmt.auth)
      .send({ version: read.body.version });
    expectProblem(resend, 409, 'invalid_transition');
    expect(resend.body.currentStatus).toBe('expired');
  });
});

describe('an invite nobody answers yet', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let lmt: SignedInUser;

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp(
      {
        SMTP_URL: smtp.url,
        REMINDER_AFTER: '1s',
        ESCALATE_AFTER: '1h',
        EXPIRE_AFTER: '2h',
        TIMER_SWEEP_INTERVAL: '250ms',
        OUTBOX_SWEEP_INTERVAL: '250ms',
      },
      { worker: true },
    );
    lmt = await addPractitioner(t.http, await registerClinic(t.http, { name: 'Sunrise Massage' }), 'massage_therapist');
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('is reminded: the reminder on the timeline is the invitation again, with the link that works', async () => {
    const patient = await createPatient(t.http, lmt);
    const email = uniqueEmail('reminded');
    const draft: ReferralBody = await createReferral(t.http, lmt, invitedReferralBody(patient.id, email));
    await actOk(t.http, lmt, draft, 'send');
    const mails = await eventually(() => {
      const to = smtp.messages.filter((m) => m.to.includes(email));
      return to.length >= 2 && to;
    }, 'the invitation and its reminder');
    const timeline = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body.timeline as {
      type: string;
    }[];
    expect(timeline.map((e) => e.type)).toContain('reminder_sent');
    const link = draft.recipientInvite!.url!;
    for (const mail of mails) expect(textOf(mail)).toContain(link);
    await joinAsPhysio(t.http, uniqueEmail('reminded-pt'), tokenOf(link)).expect(201);
  });

  it('two referrals sharing one link sent together: one invitation email and one reminder, not one of each per referral', async () => {
    const patient = await createPatient(t.http, lmt);
    const email = uniqueEmail('shared-reminder');
    const first = await actOk(t.http, lmt, await createReferral(t.http, lmt, invitedReferralBody(patient.id, email)), 'send');
    const second = await actOk(t.http, lmt, await createReferral(t.http, lmt, invitedReferralBody(patient.id, email)), 'send');
    // Both are reminded on their timelines, and their reminders were fanned out.
    await eventually(async () => {
      const types = await Promise.all(
        [first, second].map(async (r) =>
          ((await t.http.get(`/api/v1/referrals/${r.id}`).set(lmt.auth).expect(200)).body.timeline as { type: string }[]).map(
            (e) => e.type,
          ),
        ),
      );
      return types.every((timeline) => timeline.includes('reminder_sent'));
    }, 'both reminders');
    await eventually(
      async () =>
        (
          await sql(
            t,
            `SELECT 1 FROM outbox_events WHERE referral_id = ANY($1) AND type = 'referral.reminder_sent' AND published_at IS NOT NULL`,
            [[first.id, second.id]],
          )
        ).length === 2,
      'the reminders fanned out',
    );
    const planned = await sql(
      t,
      `SELECT 1 FROM notification_deliveries WHERE notification_type = 'referral_invite.email' AND referral_id = ANY($1)`,
      [[first.id, second.id]],
    );
    expect(planned).toHaveLength(2);
    await eventually(() => smtp.messages.filter((m) => m.to.includes(email)).length === 2, 'the invitation and one reminder');
    // A new link is news: it is emailed however recently the old one was.
    const current = (await t.http.get(`/api/v1/referrals/${second.id}`).set(lmt.auth).expect(200)).body;
    const resent = await t.http
      .post(`/api/v1/referrals/${second.id}/resend-invite`)
      .set(lmt.auth)
      .send({ version: current.version })
      .expect(200);
    await eventually(
      () => smtp.messages.some((m) => m.to.includes(email) && textOf(m).includes(resent.body.recipientInvite.url)),
      'the new link',
    );
  });
});
