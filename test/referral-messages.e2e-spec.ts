import { Client } from 'pg';
import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import { eventually } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

/** The conversation of a referral: who may read and write it, the timeline, and the other side's notification. */
describe('referral messages', () => {
  let t: TestApp;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let outsiderClinic: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let outsiderPt: SignedInUser;
  let patientId: string;
  let referral: { id: string; version: number };
  let draft: { id: string; version: number };

  const messagesOf = (user: SignedInUser, id: string, query: Record<string, unknown> = {}) =>
    t.http.get(`/api/v1/referrals/${id}/messages`).query(query).set(user.auth);
  const post = (user: SignedInUser, id: string, body: unknown) =>
    t.http
      .post(`/api/v1/referrals/${id}/messages`)
      .set(user.auth)
      .send(body as object);

  /** A referral's `unreadCount` for `user`, as their `box` list shows it. */
  const unreadOf = async (user: SignedInUser, box: 'sent' | 'received', id: string) => {
    const items = (await t.http.get('/api/v1/referrals').query({ box }).set(user.auth).expect(200)).body.items as {
      id: string;
      unreadCount: number;
    }[];
    return items.find((r) => r.id === id)?.unreadCount;
  };

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    outsiderClinic = await registerClinic(t.http, { name: 'Elsewhere Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    outsiderPt = await addPractitioner(t.http, outsiderClinic, 'physical_therapist');
    patientId = (await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' })).id;
    referral = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
  });
  afterAll(async () => {
    await t.close();
  });

  it('both parties and the admins of both clinics read and write the same conversation, oldest first', async () => {
    const authors = [lmt, pt, massageClinic.admin, ptClinic.admin];
    for (const [i, author] of authors.entries()) {
      const res = await post(author, referral.id, { body: `message ${i}` }).expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        referralId: referral.id,
        authorId: author.id,
        authorName: expect.any(String),
        body: `message ${i}`,
        createdAt: expect.any(String),
      });
    }
    for (const reader of authors) {
      const page = (await messagesOf(reader, referral.id).expect(200)).body;
      expect(page.items.map((m: { body: string }) => m.body)).toEqual(['message 0', 'message 1', 'message 2', 'message 3']);
      // Each names its author, an admin's too, whoever reads it.
      expect(page.items[0].authorName).toBe('Morgan Massage');
      expect(page.items.every((m: { authorName: unknown }) => typeof m.authorName === 'string')).toBe(true);
      expect(page.nextCursor).toBeNull();
    }
  });

  it('pages with a cursor', async () => {
    const first = (await messagesOf(lmt, referral.id, { limit: 3 }).expect(200)).body;
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await messagesOf(lmt, referral.id, { limit: 3, cursor: first.nextCursor }).expect(200)).body;
    expect(second.items.map((m: { body: string }) => m.body)).toEqual(['message 3']);
    expect(second.nextCursor).toBeNull();
  });

  it("refuses a cursor of another referral's messages or events (400 naming cursor)", async () => {
    const other = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    const messagesCursor: string = (await messagesOf(lmt, referral.id, { limit: 1 }).expect(200)).body.nextCursor;
    const refusedMessages = await messagesOf(lmt, other.id, { cursor: messagesCursor });
    expectProblem(refusedMessages, 400, 'validation_failed');
    expect(refusedMessages.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    const eventsOf = (id: string, query: Record<string, unknown>) =>
      t.http.get(`/api/v1/referrals/${id}/events`).query(query).set(lmt.auth);
    const eventsCursor: string = (await eventsOf(referral.id, { limit: 1 }).expect(200)).body.nextCursor;
    const refusedEvents = await eventsOf(other.id, { cursor: eventsCursor });
    expectProblem(refusedEvents, 400, 'validation_failed');
    expect(refusedEvents.body.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
    // Each still pages its own referral.
    await eventsOf(referral.id, { cursor: eventsCursor }).expect(200);
  });

  it('messages are timeline events, and they do not change the version', async () => {
    const detail = (await t.http.get(`/api/v1/referrals/${referral.id}`).set(lmt.auth).expect(200)).body;
    const messages = detail.timeline.filter((e: { type: string }) => e.type === 'message');
    expect(messages.map((e: { note: string }) => e.note)).toEqual(['message 0', 'message 1', 'message 2', 'message 3']);
    expect(messages[1]).toMatchObject({ actorId: pt.id, fromStatus: detail.status, toStatus: detail.status });
    // Messages add nothing to the version (the sender's read does not acknowledge).
    expect(detail.version).toBe(referral.version);
  });

  it('a third clinic gets 404 on both routes, and nothing is written', async () => {
    for (const outsider of [outsiderPt, outsiderClinic.admin]) {
      expectProblem(await messagesOf(outsider, referral.id), 404, 'not_found');
      expectProblem(await post(outsider, referral.id, { body: 'hello' }), 404, 'not_found');
    }
    const page = (await messagesOf(lmt, referral.id).expect(200)).body;
    expect(page.items).toHaveLength(4);
  });

  it("a draft's recipient side gets 404; its sender side gets 409 invalid_transition", async () => {
    for (const recipientSide of [pt, ptClinic.admin]) {
      expectProblem(await messagesOf(recipientSide, draft.id), 404, 'not_found');
      expectProblem(await post(recipientSide, draft.id, { body: 'hello' }), 404, 'not_found');
    }
    const res = await post(lmt, draft.id, { body: 'hello' });
    expectProblem(res, 409, 'invalid_transition');
    expect(res.body.currentStatus).toBe('draft');
    expectProblem(await messagesOf(lmt, draft.id), 409, 'invalid_transition');
  });

  it('refuses a blank, too long or unknown-field body with 400', async () => {
    for (const body of [{}, { body: '   ' }, { body: 'x'.repeat(5001) }, { body: 'hi', extra: 1 }, { body: 42 }]) {
      expectProblem(await post(lmt, referral.id, body), 400, 'validation_failed');
    }
    await post(lmt, referral.id, { body: 'x'.repeat(5000) }).expect(201);
  });

  it('notifies the other side, not the author, without the text of the message', async () => {
    const inboxOf = async (user: SignedInUser) =>
      (
        (await t.http.get('/api/v1/notifications').set(user.auth).expect(200)).body.items as { type: string; body: string }[]
      ).filter((n) => n.type === 'message');
    await post(pt, referral.id, { body: 'Please send the X-ray report' }).expect(201);
    // The LMT hears of the recipient side's messages: "message 1", "message 3" and this one.
    const lmtInbox = await eventually(async () => {
      const items = await inboxOf(lmt);
      return items.length === 3 ? items : undefined;
    }, 'the message notifications of the LMT');
    expect(lmtInbox.map((n) => n.body)).toContain('New message on a referral from Capitol Physio.');
    expect(JSON.stringify(lmtInbox)).not.toMatch(/X-ray|message \d/);
    // The PT hears of the sender side's messages: "message 0", "message 2" and the 5000-character one.
    const ptInbox = await eventually(async () => {
      const items = await inboxOf(pt);
      return items.length === 3 ? items : undefined;
    }, 'the message notifications of the PT');
    expect(ptInbox.every((n) => n.body === 'New message on a referral from Sunrise Massage.')).toBe(true);
  });

  it("unreadCount counts the others' events and messages, and drops to 0 once read", async () => {
    const fresh = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    // The PT has a new referral (its "sent" event); the LMT's own actions are not unread for them.
    expect(await unreadOf(pt, 'received', fresh.id)).toBe(1);
    expect(await unreadOf(lmt, 'sent', fresh.id)).toBe(0);
    await post(pt, fresh.id, { body: 'one' }).expect(201);
    await post(ptClinic.admin, fresh.id, { body: 'two' }).expect(201);
    expect(await unreadOf(lmt, 'sent', fresh.id)).toBe(2);
    // Someone else is anyone but the caller: the PT's own clinic admin too.
    expect(await unreadOf(pt, 'received', fresh.id)).toBe(2);
    await t.http.post(`/api/v1/referrals/${fresh.id}/read`).set(lmt.auth).expect(204);
    expect(await unreadOf(lmt, 'sent', fresh.id)).toBe(0);
    await post(pt, fresh.id, { body: 'three' }).expect(201);
    expect(await unreadOf(lmt, 'sent', fresh.id)).toBe(1);
    // A marker is per user: the LMT's read does not read it for the PT, nor for a third clinic (404).
    await t.http.post(`/api/v1/referrals/${fresh.id}/read`).set(pt.auth).expect(204);
    expect(await unreadOf(pt, 'received', fresh.id)).toBe(0);
    expect(await unreadOf(lmt, 'sent', fresh.id)).toBe(1);
    expectProblem(await t.http.post(`/api/v1/referrals/${fresh.id}/read`).set(outsiderPt.auth), 404, 'not_found');
    expectProblem(await t.http.post(`/api/v1/referrals/${draft.id}/read`).set(pt.auth), 404, 'not_found');
  });

  it('a message still being written while the caller marks the referral read stays unread', async () => {
    const fresh = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    // The PT's message, stamped (as the timeline stamps events) but not yet committed when the LMT marks read.
    const writer = new Client({ connectionString: t.database.url });
    await writer.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(
        `INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, note) VALUES ($1, 'message', 'sent', 'sent', $2, 'in flight')`,
        [fresh.id, pt.id],
      );
      await t.http.post(`/api/v1/referrals/${fresh.id}/read`).set(lmt.auth).expect(204);
      await writer.query('COMMIT');
    } finally {
      await writer.end();
    }
    // The LMT never saw it: marking read covered what was there, not everything stamped before the request.
    expect(await unreadOf(lmt, 'sent', fresh.id)).toBe(1);
  });

  it("embeds a long conversation's latest 100 events, says earlier ones exist, and /events pages through them all", async () => {
    const long = await actOk(t.http, lmt, await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id)), 'send');
    const timelineOf = async () => (await t.http.get(`/api/v1/referrals/${long.id}`).set(lmt.auth).expect(200)).body;
    // created + sent + 98 messages: exactly the window.
    for (let i = 1; i <= 98; i++) await post(i % 2 ? lmt : pt, long.id, { body: `long ${i}` }).expect(201);
    const full = await timelineOf();
    expect(full.timeline).toHaveLength(100);
    expect(full.timeline[0].type).toBe('created');
    expect(full.timelineTruncated).toBe(false);

    await post(lmt, long.id, { body: 'long 99' }).expect(201);
    const windowed = await timelineOf();
    expect(windowed.timelineTruncated).toBe(true);
    expect(windowed.timeline).toHaveLength(100);
    expect(windowed.timeline.map((e: { type: string }) => e.type).slice(0, 2)).toEqual(['sent', 'message']);
    expect(windowed.timeline[99].note).toBe('long 99');

    // An action's answer is the same window, its own event last.
    const declined = await actOk(t.http, pt, windowed, 'decline', { reason: 'Not a fit for this clinic' });
    expect(declined.timeline).toHaveLength(100);
    expect(declined.timelineTruncated).toBe(true);
    expect(declined.timeline.map((e: { type: string }) => e.type).slice(-2)).toEqual(['message', 'declined']);

    // Every event, in pages.
    const types: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { type: string }[]; nextCursor: string | null } = (
        await t.http
          .get(`/api/v1/referrals/${long.id}/events`)
          .query(cursor ? { cursor, limit: 100 } : { limit: 100 })
          .set(lmt.auth)
          .expect(200)
      ).body;
      types.push(...page.items.map((e) => e.type));
      cursor = page.nextCursor;
    } while (cursor);
    expect(types).toHaveLength(102);
    expect(types.slice(0, 2)).toEqual(['created', 'sent']);
    expect(types.at(-1)).toBe('declined');
  });
});
