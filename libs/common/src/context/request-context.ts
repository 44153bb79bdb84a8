import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError } from '../errors';

export type Role = 'massage_therapist' | 'physical_therapist' | 'clinic_admin';
export const ROLES: readonly Role[] = ['massage_therapist', 'physical_therapist', 'clinic_admin'];
export const PRACTITIONER_ROLES = ['massage_therapist', 'physical_therapist'] as const;
export type PractitionerRole = (typeof PRACTITIONER_ROLES)[number];

/** The authenticated caller. Set by the auth guard, read by tenant scoping. */
export interface Principal {
  userId: string;
  clinicId: string;
  role: Role;
  /** Admin rights over the clinic (every `clinic_admin`, and practitioners granted them). */
  isAdmin: boolean;
  sessionId: string;
}

/** The one admin check: rights come from the flag, not the role (a practitioner may be an admin too). */
export function isClinicAdmin(principal: Pick<Principal, 'isAdmin'>): boolean {
  return principal.isAdmin;
}

/** Throws 403 `forbidden` unless the caller has admin rights over their clinic. */
export function assertClinicAdmin(principal: Pick<Principal, 'isAdmin'>): void {
  if (!isClinicAdmin(principal)) throw new AppError('forbidden', 'Only an admin of the clinic may do this');
}

export interface RequestStore {
  requestId: string;
  /** The client's address as Fastify sees it through TRUST_PROXY. */
  ip?: string;
  userAgent?: string;
  principal?: Principal;
}

const storage = new AsyncLocalStorage<RequestStore>();

/** Per-request state (request id, caller) carried through async calls without threading arguments. */
export const RequestContext = {
  run<T>(store: RequestStore, fn: () => T): T {
    return storage.run(store, fn);
  },
  current(): RequestStore | undefined {
    return storage.getStore();
  },
  requestId(): string | undefined {
    return storage.getStore()?.requestId;
  },
  setPrincipal(principal: Principal): void {
    const store = storage.getStore();
    if (!store) throw new Error('RequestContext.setPrincipal outside a request');
    store.principal = principal;
  },
  /** The caller, or throws: code that needs a tenant must never run without one. */
  principal(): Principal {
    const principal = storage.getStore()?.principal;
    if (!principal) throw new Error('No authenticated principal in the request context');
    return principal;
  },
};
