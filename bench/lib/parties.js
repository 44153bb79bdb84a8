'use strict';
// The people a referral needs, created through the real API (the same flows as test/support):
// a clinic with its admin, practitioners who accept their invitation, a patient with consent.
const { randomBytes } = require('node:crypto');

const PASSWORD = 'bench-password-1';

async function registerClinic(apiRequest, label) {
  const tag = randomBytes(4).toString('hex');
  return apiRequest('POST', '/api/v1/auth/register-clinic', {
    expect: 201,
    body: {
      clinic: {
        name: `Bench ${label} ${tag}`,
        address: { line1: '100 Congress Ave', city: 'Austin', region: 'TX', postalCode: '78701', country: 'US' },
        phone: '+1 512 555 0100',
        timezone: 'America/Chicago',
      },
      admin: { email: `bench-admin-${tag}@example.com`, password: PASSWORD, fullName: `Bench Admin ${label}` },
    },
  });
}

/** Invites a practitioner as the clinic's admin and accepts; returns { id, clinicId, email, accessToken }. */
async function addPractitioner(apiRequest, clinic, role) {
  const tag = randomBytes(4).toString('hex');
  const email = `bench-${role}-${tag}@example.com`;
  const invited = await apiRequest('POST', '/api/v1/practitioners', {
    expect: 201,
    token: clinic.accessToken,
    body: { email, fullName: `Bench ${role}`, role, licence: { number: `L-${tag}`, region: 'TX', expiresOn: '2099-12-31' } },
  });
  const accepted = await apiRequest('POST', '/api/v1/auth/accept-invitation', {
    body: { token: invited.invitation.token, password: PASSWORD },
  });
  return { id: invited.id, clinicId: clinic.clinic.id, email, accessToken: accepted.accessToken };
}

/** A fresh access token (they last 15 minutes; seeding can outlast one). */
async function login(apiRequest, email) {
  const { accessToken } = await apiRequest('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  return accessToken;
}

async function createPatient(apiRequest, token) {
  return apiRequest('POST', '/api/v1/patients', {
    expect: 201,
    token,
    body: {
      firstName: 'Jamie',
      lastName: 'Rivera',
      dateOfBirth: '1990-04-12',
      preferredContact: 'email',
      email: 'jamie.rivera@example.test',
      consents: [{ scope: 'referral_sharing' }],
    },
  });
}

const referralBody = (patientId, recipientId) => ({
  kind: 'injury_care',
  patientId,
  recipientId,
  priority: 'routine',
  reason: 'Neck pain after a fall',
  bodyRegions: ['neck'],
});

/** A massage therapist (with a patient) in one clinic, a physical therapist in another. */
async function referralParties(apiRequest) {
  const senderClinic = await registerClinic(apiRequest, 'Massage');
  const recipientClinic = await registerClinic(apiRequest, 'Physio');
  const lmt = await addPractitioner(apiRequest, senderClinic, 'massage_therapist');
  const pt = await addPractitioner(apiRequest, recipientClinic, 'physical_therapist');
  const patient = await createPatient(apiRequest, lmt.accessToken);
  return { senderClinic, recipientClinic, lmt, pt, patient };
}

module.exports = { referralParties, referralBody, login };
