import { clinicPayload, isoDateFrom, PASSWORD } from '@referloop/testing';
import type TestAgent from 'supertest/lib/agent';
import type { SignedInUser } from './test-app';

/** A patient of the user's clinic, with referral_sharing consent unless told otherwise. */
export async function createPatient(
  http: TestAgent,
  user: SignedInUser,
  overrides: Record<string, unknown> = {},
  consent = true,
): Promise<{ id: string; firstName: string; lastName: string }> {
  const res = await http
    .post('/api/v1/patients')
    .set(user.auth)
    .send({
      firstName: 'Jamie',
      lastName: 'Rivera',
      dateOfBirth: isoDateFrom(new Date(), -35 * 365),
      email: 'jamie.rivera@example.test',
      phone: '+1 512 555 0199',
      preferredContact: 'email',
      consents: consent ? [{ scope: 'referral_sharing' }] : [],
      ...overrides,
    })
    .expect(201);
  return res.body;
}

export function injuryReferralBody(patientId: string, recipientId: string, overrides: Record<string, unknown> = {}) {
  return {
    kind: 'injury_care',
    patientId,
    recipientId,
    priority: 'routine',
    reason: 'Shoulder pain after a fall',
    bodyRegions: ['shoulder_left', 'upper_back'],
    observations: 'Guarding on left shoulder abduction above 90 degrees; tender infraspinatus.',
    painLevel: 6,
    onsetDate: isoDateFrom(new Date(), -10),
    ...overrides,
  };
}

export function maintenanceReferralBody(patientId: string, recipientId: string, overrides: Record<string, unknown> = {}) {
  return {
    kind: 'maintenance_massage',
    patientId,
    recipientId,
    priority: 'routine',
    reason: 'Discharged from PT; maintenance massage recommended',
    bodyRegions: ['shoulder_left'],
    plan: {
      frequencyWeeks: 2,
      sessions: 6,
      focusAreas: ['shoulder_left', 'neck'],
      pressure: 'moderate',
      precautions: 'No deep pressure over the AC joint',
    },
    ...overrides,
  };
}

/** A referral body to someone not on ReferLoop (instead of a recipientId). */
export function invitedReferralBody(patientId: string, email: string, overrides: Record<string, unknown> = {}) {
  const { recipientId: _none, ...body } = injuryReferralBody(patientId, '', overrides);
  return { ...body, recipientInvite: { email, fullName: 'Dr Sam Okafor', role: 'physical_therapist' } };
}

/** The token of a referral invite's join link (`…#invitation=<token>`). */
export const tokenOf = (url: string) => decodeURIComponent(/#invitation=([A-Za-z0-9_%-]+)/.exec(url)![1]);

/** Signs up a new clinic whose admin is a physical therapist, with or without an invite's token. */
export function joinAsPhysio(http: TestAgent, email: string, invitationToken?: string, overrides: Record<string, unknown> = {}) {
  return http.post('/api/v1/auth/register-clinic').send({
    clinic: clinicPayload({ name: 'Okafor Physiotherapy' }),
    admin: {
      email,
      password: PASSWORD,
      fullName: 'Sam Okafor',
      practitioner: {
        role: 'physical_therapist',
        licence: { number: 'PT-5521', region: 'TX', expiresOn: isoDateFrom(new Date(), 365) },
        specialties: ['sports_injury'],
        ...overrides,
      },
    },
    ...(invitationToken !== undefined && { invitationToken }),
  });
}

/** Creates a referral as `user` and returns its body. */
export async function createReferral(http: TestAgent, user: SignedInUser, body: Record<string, unknown>) {
  const res = await http.post('/api/v1/referrals').set(user.auth).send(body).expect(201);
  return res.body;
}

/** Performs an action with the given version and returns the raw response (not asserted). */
export function act(
  http: TestAgent,
  user: SignedInUser,
  referralId: string,
  action: string,
  version: number,
  body: Record<string, unknown> = {},
) {
  return http
    .post(`/api/v1/referrals/${referralId}/${action}`)
    .set(user.auth)
    .send({ version, ...body });
}

/** Performs an action that must succeed; returns the updated referral. */
export async function actOk(
  http: TestAgent,
  user: SignedInUser,
  referral: { id: string; version: number },
  action: string,
  body: Record<string, unknown> = {},
) {
  const res = await act(http, user, referral.id, action, referral.version, body);
  if (res.status !== 200) throw new Error(`${action} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/** A calendar date (YYYY-MM-DD, UTC) `days` from today. */
export const dateInDays = (days: number) => isoDateFrom(new Date(), days);

/**
 * A body that satisfies each action's required fields (SPEC "Referral lifecycle"), so a refusal
 * in a test is about state, party or version, never about a missing field.
 */
export function actionBody(action: string): Record<string, unknown> {
  switch (action) {
    case 'accept':
      return { note: 'Happy to take this one' };
    case 'decline':
      return { reason: 'Not my specialty' };
    case 'request-info':
      return { reason: 'Please send the imaging report' };
    case 'provide-info':
      return { note: 'Imaging report attached to the chart' };
    case 'schedule':
      return { appointmentAt: inDays(3) };
    case 'unschedule':
      return { reason: 'patient_cancelled' };
    case 'reschedule':
      return { appointmentAt: inDays(5), reason: 'The client asked for a later day' };
    case 'add-note':
      return { note: 'Progress note' };
    case 'report-progress':
      return { progress: { sessionsCompleted: 2, painLevel: 3, psfs: 6.5, tolerance: 'well' } };
    case 'send-outcome':
      return { outcome: { summary: 'Full range of motion restored', recommendations: 'Maintenance massage every 2 weeks' } };
    case 'cancel':
      return { reason: 'Patient moved away' };
    case 'request-cancel':
      return { reason: 'Patient changed their mind' };
    default:
      return {};
  }
}

/** The timeline event each action appends (the event types of GET /referrals/:id). */
export const ACTION_EVENT: Record<string, string> = {
  send: 'sent',
  acknowledge: 'acknowledged',
  accept: 'accepted',
  decline: 'declined',
  'request-info': 'info_requested',
  'provide-info': 'info_provided',
  schedule: 'scheduled',
  unschedule: 'unscheduled',
  reschedule: 'rescheduled',
  'start-care': 'care_started',
  'report-progress': 'progress_reported',
  'add-note': 'note_added',
  'send-outcome': 'outcome_sent',
  close: 'closed',
  cancel: 'cancelled',
  'request-cancel': 'cancel_requested',
  'confirm-cancel': 'cancel_confirmed',
};

/** Which party takes each step on the way to a state. */
const PATHS: Record<string, [party: 'sender' | 'recipient', action: string][]> = {
  draft: [],
  sent: [['sender', 'send']],
  received: [
    ['sender', 'send'],
    ['recipient', 'acknowledge'],
  ],
  info_requested: [
    ['sender', 'send'],
    ['recipient', 'request-info'],
  ],
  accepted: [
    ['sender', 'send'],
    ['recipient', 'accept'],
  ],
  scheduled: [
    ['sender', 'send'],
    ['recipient', 'accept'],
    ['recipient', 'schedule'],
  ],
  in_care: [
    ['sender', 'send'],
    ['recipient', 'accept'],
    ['recipient', 'schedule'],
    ['recipient', 'start-care'],
  ],
  outcome_sent: [
    ['sender', 'send'],
    ['recipient', 'accept'],
    ['recipient', 'schedule'],
    ['recipient', 'start-care'],
    ['recipient', 'send-outcome'],
  ],
  closed: [
    ['sender', 'send'],
    ['recipient', 'accept'],
    ['recipient', 'schedule'],
    ['recipient', 'start-care'],
    ['recipient', 'send-outcome'],
    ['sender', 'close'],
  ],
  declined: [
    ['sender', 'send'],
    ['recipient', 'decline'],
  ],
  cancel_requested: [
    ['sender', 'send'],
    ['recipient', 'accept'],
    ['sender', 'request-cancel'],
  ],
  // Sent first: a draft cancelled before sending is never the recipient side's to see.
  cancelled: [
    ['sender', 'send'],
    ['sender', 'cancel'],
  ],
};

/** A referral as the API answers it (the members tests read; the rest unchecked). */
export interface ReferralBody {
  id: string;
  version: number;
  status: string;
  kind: string;
  patientId: string;
  senderId: string;
  recipientId: string;
  updatedAt: string;
  appointmentAt: string | null;
  replacesId: string | null;
  outcome: { summary: string; recommendations: string | null; sentAt: string } | null;
  allowedActions: string[];
  timeline: {
    type: string;
    fromStatus: string | null;
    toStatus: string;
    actorId: string | null;
    reason: string | null;
    note: string | null;
  }[];
  [member: string]: unknown;
}

export interface Sql {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** Resolves once a session of the test database waits on a lock (a request queued behind one the test holds). */
export async function someoneWaitsOnALock(sql: Sql, what: string): Promise<void> {
  for (let i = 0; i <= 300; i += 1) {
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if ((rows[0].n as number) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${what} never waited on the lock`);
}

/**
 * Creates an injury referral from `sender` to `recipient` and drives it through the API into
 * `status`. `expired` is only reached by the system timer (not built yet), so that one is set with
 * a direct UPDATE through `sql` (the test database), from `sent`, the way the timer would.
 */
export async function referralIn(
  http: TestAgent,
  parties: { sender: SignedInUser; recipient: SignedInUser },
  patientId: string,
  status: string,
  sql?: Sql,
): Promise<ReferralBody> {
  let referral = await createReferral(http, parties.sender, injuryReferralBody(patientId, parties.recipient.id));
  if (status === 'expired') {
    if (!sql) throw new Error('expired needs the test database');
    referral = await actOk(http, parties.sender, referral, 'send');
    await sql.query(
      `UPDATE referrals SET status = 'expired', version = version + 1, updated_at = now() WHERE id = $1 AND status = 'sent'`,
      [referral.id],
    );
    const read = await http.get(`/api/v1/referrals/${referral.id}`).set(parties.sender.auth).expect(200);
    return read.body;
  }
  const path = PATHS[status];
  if (!path) throw new Error(`no path to ${status}`);
  for (const [party, action] of path) referral = await actOk(http, parties[party], referral, action, actionBody(action));
  if (referral.status !== status) throw new Error(`wanted ${status}, got ${referral.status}`);
  return referral;
}

/** Counts rows of a table (optionally filtered) in the test database. */
export async function countRows(sql: Sql, table: string, where = 'true', values: unknown[] = []): Promise<number> {
  const { rows } = await sql.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, values);
  return rows[0].n as number;
}
