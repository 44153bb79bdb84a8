import type { Role } from '@referloop/common';

export class LicenceVerifierDto {
  id: string;
  /** The admin's name (in every answer, the sign-in answers included). */
  fullName: string;
}

export class LicenceResponseDto {
  number: string;
  region: string;
  /** YYYY-MM-DD */
  expiresOn: string;
  /** When a clinic admin last attested the licence (null: not attested). */
  verifiedAt: string | null;
  /** The clinic admin who attested it (null when unknown: attested before this was recorded). */
  verifiedBy: LicenceVerifierDto | null;
}

export class ClinicSummaryDto {
  id: string;
  name: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
}

export class UserResponseDto {
  id: string;
  clinicId: string;
  /** Shown to the user and to their own clinic only. */
  email?: string;
  fullName: string;
  role: Role;
  /** Admin rights over the clinic: always true for a clinic_admin; a practitioner may have them too. */
  isAdmin: boolean;
  /** Whether the person has joined: `invited` until they take their invitation. A deactivated account keeps its status: see `active`. */
  status: 'invited' | 'active';
  /** False once a clinic admin deactivated the account (it cannot sign in and is not in the directory). */
  active: boolean;
  licence: LicenceResponseDto | null;
  licenceExpired: boolean;
  specialties: string[];
  languages: string[];
  acceptingReferrals: boolean;
  bio: string | null;
  clinic?: ClinicSummaryDto;
  createdAt: string;
  updatedAt: string;
}
