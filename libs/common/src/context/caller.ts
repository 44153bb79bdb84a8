import { AppError } from '../errors';

export type Role = 'massage_therapist' | 'physical_therapist' | 'clinic_admin';
export const ROLES: readonly Role[] = ['massage_therapist', 'physical_therapist', 'clinic_admin'];
export const PRACTITIONER_ROLES = ['massage_therapist', 'physical_therapist'] as const;
export type PractitionerRole = (typeof PRACTITIONER_ROLES)[number];

/**
 * Who sent a request, as the API saw it: stamped on sessions and audit rows. Passed along
 * explicitly, with the caller, rather than kept in an AsyncLocalStorage: on Node 20 its promise
 * hooks cost every request a tenth of its CPU.
 */
export interface RequestClient {
  requestId: string;
  /** The client's address as Fastify sees it through TRUST_PROXY. */
  ip?: string;
  userAgent?: string;
}

/** The authenticated caller: made by the auth guard per request and handed to the services it calls. */
export interface Principal {
  userId: string;
  clinicId: string;
  role: Role;
  /** Admin rights over the clinic (every `clinic_admin`, and practitioners granted them). */
  isAdmin: boolean;
  sessionId: string;
  /** The request it signed in: its id, address and user agent go into the audit rows it causes. */
  client: RequestClient;
}

/** The one admin check: rights come from the flag, not the role (a practitioner may be an admin too). */
export function isClinicAdmin(principal: Pick<Principal, 'isAdmin'>): boolean {
  return principal.isAdmin;
}

/** Throws 403 `forbidden` unless the caller has admin rights over their clinic. */
export function assertClinicAdmin(principal: Pick<Principal, 'isAdmin'>): void {
  if (!isClinicAdmin(principal)) throw new AppError('forbidden', 'Only an admin of the clinic may do this');
}
