export * from './entities';
export * from './inputs';
export * from './views';
export * from './auth/auth.service';
export { LiveSessions } from './auth/live-sessions';
export { PASSWORD_MAX, PASSWORD_MIN, PASSWORD_REFUSALS } from './auth/password-policy';
export {
  derivedKey,
  invitationToken,
  invitationUrl,
  passwordResetToken,
  passwordResetUrl,
  referralInviteToken,
  referralInviteUrl,
  sha256,
} from './auth/secret-token';
export * from './clinics/clinics.service';
export * from './practitioners/practitioners.service';
export * from './practitioners/partners.service';
export * from './invitations/invitations.service';
export { UsersStore } from './store/users.store';
export * from './tenancy/clinic-scope';
export * from './identity.module';
export * from './audit/audit-log';
export * from './audit/audit-event.entity';
export * from './audit/audit-event-clinic.entity';
