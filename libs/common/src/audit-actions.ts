import { REFERRAL_ACTIONS } from './reference-data';

/**
 * Every action the audit log records, named `<what>.<what happened>`. The audit log takes nothing
 * else (its entries are typed by this list), the audit filter answers 400 for a name not in it, and
 * clients get it with the reference data to offer as a choice.
 */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout_all',
  'auth.session_ended',
  'auth.password_changed',
  'auth.password_change_failed',
  'auth.password_reset_requested',
  'auth.password_reset',
  'invitation.create',
  'invitation.resend',
  'invitation.revoke',
  'practitioner.update',
  'practitioner.admin_rights',
  'practitioner.deactivate',
  'practitioner.reactivate',
  'patient.create',
  'patient.list',
  'patient.read',
  'patient.update',
  'patient.import',
  'consent.grant',
  'consent.revoke',
  'referral.create',
  'referral.update',
  'referral.list',
  'referral.list_unowned',
  'referral.list_overdue',
  'referral.export',
  'referral.read',
  'referral.read_events',
  'referral.read_progress',
  'referral.read_messages',
  'referral.mark_read',
  'referral.message',
  'referral.letter_pdf',
  'referral.outcome_pdf',
  'referral.follow_up',
  'referral.reassign',
  'referral.resend_invite',
  ...REFERRAL_ACTIONS.map((action) => `referral.${action}` as const),
  // The system's transitions, named by their timeline event.
  'referral.expired',
  'referral.auto_closed',
  'attachment.upload',
  'attachment.remove',
  'attachment.download',
  'webhook.create',
  'webhook.delete',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
