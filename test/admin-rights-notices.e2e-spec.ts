import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { openLiveStream, type LiveStreamClient } from './support/live-stream';
import { startSmtpSink } from './support/sinks';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

interface Notification {
  id: string;
  userId: string;
  type: string;
  referralId: string | null;
  title: string;
  body: string;
}

/**
 * Admin rights granted or removed through the API tell the user whose rights changed: one in-app
 * notification (through the outbox and the worker's fan-out), which reaches their live stream as
 * `notification.created`, the open web app's cue to re-read what they may do.
 */
describe('admin rights notices', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let url: string;
  let db: Client;
  let clinic: TestClinic;
  let lmt: SignedInUser;
  let colleague: SignedInUser;
  const streams: LiveStreamClient[] = [];
  const open = async (user: SignedInUser) => {
    const stream = await openLiveStream(url, user.accessToken);
    expect(stream.status).toBe(200);
    streams.push(stream);
    return stream;
  };
  const inbox = async (user: SignedInUser): Promise<Notification[]> =>
    (await t.http.get('/api/v1/notifications').set(user.auth).expect(200)).body.items;
  const setAdmin = (by: SignedInUser, user: SignedInUser, isAdmin: boolean) =>
    t.http.patch(`/api/v1/practitioners/${user.id}`).set(by.auth).send({ isAdmin }).expect(200);

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestApp({ SMTP_URL: smtp.url, OUTBOX_SWEEP_INTERVAL: '500ms' }, { worker: true });
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    db = new Client({ connectionString: t.database.url });
    await db.connect();
    clinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    lmt = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Lena Morales' });
    colleague = await addPractitioner(t.http, clinic, 'physical_therapist', { fullName: 'Priya Physio' });
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await db.end();
    await t.close();
    await smtp.close();
  });

  it('tells the user, and only them, in-app when another admin grants or removes their rights; their stream hears of it', async () => {
    const lmtStream = await open(lmt);
    const adminStream = await open(clinic.admin);
    const colleagueStream = await open(colleague);

    await setAdmin(clinic.admin, lmt, true);
    const granted = await lmtStream.next((e) => e.event === 'notification.created', 15_000);
    let notices = await inbox(lmt);
    expect(notices).toEqual([
      expect.objectContaining({
        id: granted.data.id,
        userId: lmt.id,
        type: 'admin_rights_granted',
        referralId: null,
        title: 'You are now a clinic admin',
        body: 'Avery Admin made you a clinic admin. The Admin screens are in your menu.',
      }),
    ]);

    await setAdmin(clinic.admin, lmt, false);
    const removed = await lmtStream.next((e) => e.event === 'notification.created' && e.id > granted.id, 15_000);
    notices = await inbox(lmt);
    expect(notices.map((n) => [n.id, n.type, n.title, n.body])).toEqual([
      [removed.data.id, 'admin_rights_removed', 'Clinic admin rights removed', 'Avery Admin removed your clinic admin rights.'],
      [granted.data.id, 'admin_rights_granted', 'You are now a clinic admin', expect.any(String)],
    ]);

    // Nobody else was told, and the stream carried ids only.
    expect(await inbox(clinic.admin)).toEqual([]);
    expect(await inbox(colleague)).toEqual([]);
    for (const s of [adminStream, colleagueStream])
      expect(s.events.filter((e) => e.event === 'notification.created')).toEqual([]);
    expect(lmtStream.events.filter((e) => e.event === 'notification.created').map((e) => e.data)).toEqual([
      { id: granted.data.id },
      { id: removed.data.id },
    ]);
    expect(lmtStream.raw()).not.toContain('Avery');

    // The outbox carries ids and the new value only; the one delivery is in-app (no email goes out).
    const { rows: outbox } = await db.query<{ id: string; payload: Record<string, unknown>; referral_id: string | null }>(
      `SELECT id, payload, referral_id FROM outbox_events WHERE type = 'admin_rights.changed' ORDER BY created_at`,
    );
    expect(outbox.map((o) => o.payload)).toEqual([
      { userId: lmt.id, actorId: clinic.admin.id, isAdmin: true },
      { userId: lmt.id, actorId: clinic.admin.id, isAdmin: false },
    ]);
    const { rows: deliveries } = await db.query<{ channel: string; user_id: string }>(
      `SELECT channel, user_id FROM notification_deliveries WHERE outbox_event_id = ANY($1::uuid[])`,
      [outbox.map((o) => o.id)],
    );
    expect(deliveries).toEqual([
      { channel: 'in_app', user_id: lmt.id },
      { channel: 'in_app', user_id: lmt.id },
    ]);
    // Their invitation is the one email they got.
    expect(smtp.messages.filter((m) => m.to.includes(lmt.email) && !/invited you to ReferLoop/.test(m.raw))).toEqual([]);

    // The clinic's audit log says who granted and who removed them.
    const audit = await t.http
      .get('/api/v1/admin/audit-events')
      .query({ action: 'practitioner.admin_rights' })
      .set(clinic.admin.auth)
      .expect(200);
    expect(
      audit.body.items.map((e: { actorId: string; resourceId: string; details: object }) => [e.actorId, e.resourceId, e.details]),
    ).toEqual([
      [clinic.admin.id, lmt.id, { isAdmin: false }],
      [clinic.admin.id, lmt.id, { isAdmin: true }],
    ]);
  });

  it('tells nobody of a change that changes nothing, of a profile edit, or of someone stepping down themself', async () => {
    const before = (await inbox(lmt)).length;
    const lmtStream = await open(lmt);
    // Already not an admin; a profile edit without isAdmin.
    await setAdmin(clinic.admin, lmt, false);
    await t.http.patch(`/api/v1/practitioners/${lmt.id}`).set(clinic.admin.auth).send({ bio: 'Sports massage' }).expect(200);
    // The colleague becomes an admin (told), then steps down on their own (not told: they did it).
    const colleagueStream = await open(colleague);
    await setAdmin(clinic.admin, colleague, true);
    const told = await colleagueStream.next((e) => e.event === 'notification.created', 15_000);
    await setAdmin(colleague, colleague, false);
    // A last change, told: once it has arrived, anything the changes before it told would have too.
    await setAdmin(clinic.admin, lmt, true);
    const marker = await lmtStream.next((e) => e.event === 'notification.created', 15_000);

    const lmtNotices = await inbox(lmt);
    expect(lmtNotices).toHaveLength(before + 1);
    expect(lmtNotices[0]).toMatchObject({ id: marker.data.id, type: 'admin_rights_granted' });
    expect((await inbox(colleague)).map((n) => [n.id, n.type])).toEqual([[told.data.id, 'admin_rights_granted']]);
    const { rows } = await db.query<{ count: string }>(
      `SELECT count(*) FROM outbox_events WHERE type = 'admin_rights.changed' AND payload->>'userId' = $1`,
      [colleague.id],
    );
    expect(Number(rows[0].count)).toBe(1);

    // Each profile edit is on the audit log, naming the fields it set, newest first: the grant just
    // now, the bio, and the grant and removal of the first test. The change to rights as they were is not.
    const updates = await t.http
      .get('/api/v1/admin/audit-events')
      .query({ action: 'practitioner.update', resourceId: lmt.id })
      .set(clinic.admin.auth)
      .expect(200);
    expect(updates.body.items.map((e: { details: object }) => e.details)).toEqual([
      { fields: ['isAdmin'] },
      { fields: ['bio'] },
      { fields: ['isAdmin'] },
      { fields: ['isAdmin'] },
    ]);
  });
});
