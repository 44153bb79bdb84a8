import type { Role } from '@referloop/common';

export class LicenceResponseDto {
  number: string;
  region: string;
  /** YYYY-MM-DD */
  expiresOn: string;
  verifiedAt: string | null;
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
