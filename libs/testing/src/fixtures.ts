import { randomBytes } from 'node:crypto';

export const PASSWORD = 'correct horse battery staple';

export const uniqueEmail = (label = 'user') => `${label}.${randomBytes(5).toString('hex')}@example.test`;

/** Dates relative to `now`, never absolute, so fixtures do not go stale. */
export function isoDateFrom(now: Date, days: number): string {
  return new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A licence expiry date that has passed on every clinic's calendar. UTC's yesterday will not do: a
 * licence runs to the end of its day where the clinic is, and from midnight UTC until 6 AM it is
 * still yesterday in the fixtures' Chicago.
 */
export const lapsedLicenceDate = (now = new Date()): string => isoDateFrom(now, -2);

/** A clinic row's columns for store-level tests (the API's registration takes `clinicPayload`). */
export function clinicFields(name: string) {
  const { address, ...rest } = clinicPayload({ name });
  return {
    ...rest,
    addressLine1: address.line1,
    addressCity: address.city,
    addressRegion: address.region,
    addressPostalCode: address.postalCode,
    addressCountry: address.country,
  };
}

export function clinicPayload(overrides: Partial<{ name: string; city: string; postalCode: string }> = {}) {
  return {
    name: overrides.name ?? `Clinic ${randomBytes(3).toString('hex')}`,
    address: {
      line1: '100 Congress Ave',
      city: overrides.city ?? 'Austin',
      region: 'TX',
      postalCode: overrides.postalCode ?? '78701',
      country: 'US',
    },
    phone: '+1 512 555 0100',
    timezone: 'America/Chicago',
  };
}

export function practitionerPayload(
  role: 'massage_therapist' | 'physical_therapist',
  now: Date,
  overrides: Record<string, unknown> = {},
) {
  return {
    email: uniqueEmail(role === 'physical_therapist' ? 'pt' : 'lmt'),
    fullName: role === 'physical_therapist' ? 'Pat Physio' : 'Morgan Massage',
    role,
    licence: { number: `L-${randomBytes(3).toString('hex')}`, region: 'TX', expiresOn: isoDateFrom(now, 365) },
    specialties: role === 'physical_therapist' ? ['sports_injury', 'back_neck'] : ['deep_tissue'],
    languages: ['en'],
    ...overrides,
  };
}
