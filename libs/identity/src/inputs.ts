import type { PractitionerRole } from '@referloop/common';

/** Validated inputs of the identity services (the API's DTOs map onto these). */
export interface AddressInput {
  line1: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
}

export interface ClinicInput {
  name: string;
  address: AddressInput;
  phone: string;
  timezone: string;
}

export type ClinicPatch = Partial<Omit<ClinicInput, 'address'>> & { address?: Partial<AddressInput> };

export interface LicenceInput {
  number: string;
  region: string;
  /** YYYY-MM-DD */
  expiresOn: string;
}

export interface PractitionerInput {
  email: string;
  fullName: string;
  role: PractitionerRole;
  licence: LicenceInput;
  specialties?: string[];
  languages?: string[];
  acceptingReferrals?: boolean;
  bio?: string | null;
}

export type PractitionerPatch = Partial<Omit<PractitionerInput, 'email' | 'role'>> & { isAdmin?: boolean };

/** The profile of a person who registers a clinic and also practises in it (a solo practice). */
export type SoloPractitionerInput = Omit<PractitionerInput, 'email' | 'fullName'>;

export interface RegisterClinicInput {
  clinic: ClinicInput;
  admin: { email: string; password: string; fullName: string; practitioner?: SoloPractitionerInput };
}
