import { licenceLapsed, type Role } from '@referloop/common';
import type { ClinicEntity } from './entities/clinic.entity';
import type { UserEntity } from './entities/user.entity';

export interface AddressView {
  line1: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
}

export interface ClinicView {
  id: string;
  name: string;
  address: AddressView;
  phone: string;
  timezone: string;
  createdAt: string;
  updatedAt: string;
}

export interface LicenceView {
  number: string;
  region: string;
  expiresOn: string;
  /** When a clinic admin last attested the licence, and who (null for a licence verified before that was recorded). */
  verifiedAt: string | null;
  verifiedBy: LicenceVerifierView | null;
}

export interface LicenceVerifierView {
  id: string;
  fullName: string;
}

export interface UserView {
  id: string;
  clinicId: string;
  /** Only shown to the user themself and to their own clinic. */
  email?: string;
  fullName: string;
  role: Role;
  /** Admin rights over the clinic (a practitioner may have them too). */
  isAdmin: boolean;
  /** `invited` until the invitation is accepted. */
  status: 'invited' | 'active';
  /** False once a clinic admin deactivated the account. */
  active: boolean;
  licence: LicenceView | null;
  licenceExpired: boolean;
  specialties: string[];
  languages: string[];
  acceptingReferrals: boolean;
  bio: string | null;
  clinic?: { id: string; name: string; city: string; region: string; postalCode: string; country: string };
  createdAt: string;
  updatedAt: string;
}

export function clinicView(c: ClinicEntity): ClinicView {
  return {
    id: c.id,
    name: c.name,
    address: {
      line1: c.addressLine1,
      city: c.addressCity,
      region: c.addressRegion,
      postalCode: c.addressPostalCode,
      country: c.addressCountry,
    },
    phone: c.phone,
    timezone: c.timezone,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

/** A practitioner's licence has lapsed on their clinic's calendar (see licenceLapsed); a plain admin has none to lapse. */
export function licenceExpired(u: Pick<UserFields, 'role' | 'licenceExpiresOn' | 'clinicTimezone'>, now: Date): boolean {
  return u.role !== 'clinic_admin' && licenceLapsed(u.licenceExpiresOn, u.clinicTimezone, now);
}

/**
 * A user's columns as a view needs them: a row aliased to the entity's property names, with their
 * clinic's IANA zone (the calendar their licence expires on) and the name of the admin who
 * attested the licence when the read joined it.
 */
export type UserFields = Omit<UserEntity, 'passwordHash'> & { clinicTimezone: string; licenceVerifierName?: string | null };
export type ClinicSummaryFields = Pick<
  ClinicEntity,
  'id' | 'name' | 'addressCity' | 'addressRegion' | 'addressPostalCode' | 'addressCountry'
>;

export function userView(u: UserFields, options: { now: Date; withEmail: boolean; clinic?: ClinicSummaryFields }): UserView {
  const { now, withEmail, clinic } = options;
  return {
    id: u.id,
    clinicId: u.clinicId,
    ...(withEmail ? { email: u.email } : {}),
    fullName: u.fullName,
    role: u.role,
    isAdmin: u.isAdmin,
    status: u.activatedAt ? 'active' : 'invited',
    active: !u.deactivatedAt,
    licence:
      u.licenceNumber && u.licenceRegion && u.licenceExpiresOn
        ? {
            number: u.licenceNumber,
            region: u.licenceRegion,
            expiresOn: u.licenceExpiresOn,
            verifiedAt: u.licenceVerifiedAt?.toISOString() ?? null,
            // Every read of a user joins the attesting admin (a foreign key: never missing).
            verifiedBy:
              u.licenceVerifiedBy && u.licenceVerifierName ? { id: u.licenceVerifiedBy, fullName: u.licenceVerifierName } : null,
          }
        : null,
    licenceExpired: licenceExpired(u, now),
    specialties: u.specialties,
    languages: u.languages,
    acceptingReferrals: u.acceptingReferrals,
    bio: u.bio,
    ...(clinic
      ? {
          clinic: {
            id: clinic.id,
            name: clinic.name,
            city: clinic.addressCity,
            region: clinic.addressRegion,
            postalCode: clinic.addressPostalCode,
            country: clinic.addressCountry,
          },
        }
      : {}),
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}
