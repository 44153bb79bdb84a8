import { isoDateFrom } from '@referloop/testing';
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
    plan: { frequencyWeeks: 2, sessions: 6, focusAreas: ['shoulder_left', 'neck'], precautions: 'No deep pressure over the AC joint' },
    ...overrides,
  };
}

/** Creates a referral as `user` and returns its body. */
export async function createReferral(http: TestAgent, user: SignedInUser, body: Record<string, unknown>) {
  const res = await http.post('/api/v1/referrals').set(user.auth).send(body).expect(201);
  return res.body;
}

/** Performs an action with the given version and returns the raw response (not asserted). */
export function act(http: TestAgent, user: SignedInUser, referralId: string, action: string, version: number, body: Record<string, unknown> = {}) {
  return http.post(`/api/v1/referrals/${referralId}/${action}`).set(user.auth).send({ version, ...body });
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
