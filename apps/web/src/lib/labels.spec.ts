/// <reference types="jest" />
import { AUDIT_ACTIONS } from '@referloop/common/audit-actions';
import {
  BODY_REGIONS,
  CONSENT_SCOPES,
  PREFERRED_CONTACTS,
  PRIORITIES,
  RED_FLAGS,
  REFERRAL_KINDS,
  SPECIALTIES,
  UNSCHEDULE_REASONS,
} from '@referloop/common/reference-data';
import {
  auditActionLabel,
  bodyRegionLabel,
  channelLabel,
  consentExplanation,
  consentLabel,
  contactLabel,
  kindLabel,
  languageLabel,
  priorityLabel,
  redFlagLabel,
  roleLabel,
  specialtyLabel,
  statusLabel,
  unscheduleReasonLabel,
} from './labels';

const STATUSES = [
  'draft',
  'sent',
  'received',
  'info_requested',
  'accepted',
  'declined',
  'scheduled',
  'in_care',
  'outcome_sent',
  'closed',
  'cancel_requested',
  'cancelled',
  'expired',
];

// Each curated vocabulary with the label function that names its codes.
const VOCABULARIES: [string, readonly string[], (code: string) => string][] = [
  ['specialties', SPECIALTIES, specialtyLabel],
  ['body regions', BODY_REGIONS, bodyRegionLabel],
  ['red flags', RED_FLAGS, redFlagLabel],
  ['consent scopes', CONSENT_SCOPES, consentLabel],
  ['preferred contacts', PREFERRED_CONTACTS, contactLabel],
  ['unschedule reasons', UNSCHEDULE_REASONS, unscheduleReasonLabel],
  ['referral kinds', REFERRAL_KINDS, kindLabel],
  ['priorities', PRIORITIES, priorityLabel],
  ['statuses', STATUSES, statusLabel],
  ['roles', ['massage_therapist', 'physical_therapist', 'clinic_admin'], roleLabel],
  ['channels', ['in_app', 'email'], channelLabel],
  ['audit actions', AUDIT_ACTIONS, auditActionLabel],
];

describe('the label table', () => {
  it.each(VOCABULARIES)('names every one of the %s in words, never as a code', (_name, codes, label) => {
    for (const code of codes) {
      const text = label(code);
      expect(text).not.toMatch(/_/);
      // Abbreviations stay upper case ("TMJ", never "Tmj").
      expect(text).not.toMatch(/\b(Tmj|Sms|Lmt|Pt|In app)\b/);
      expect(text).toMatch(/^[A-Z]/);
    }
  });

  it('keeps abbreviations and joins as a therapist writes them', () => {
    expect(specialtyLabel('tmj')).toMatch(/^TMJ/);
    expect(specialtyLabel('back_neck')).toBe('Back and neck');
    expect(bodyRegionLabel('wrist_hand_left')).toBe('Left wrist and hand');
    expect(bodyRegionLabel('lower_back')).toBe('Lower back');
    expect(contactLabel('sms')).toContain('SMS');
  });

  it('names audit actions in words, the awkward ones from the table, any other from its code', () => {
    expect(auditActionLabel('referral.outcome_pdf')).toBe('Referral: outcome PDF');
    expect(auditActionLabel('referral.request-info')).toBe('Referral: request info');
    expect(auditActionLabel('auth.password_change_failed')).toBe('Account: password change failed');
    expect(auditActionLabel('referral.list_unowned')).toBe('Unowned referrals: read');
    expect(auditActionLabel('auth.logout_all')).toBe('Account: signed out everywhere');
    expect(auditActionLabel('practitioner.reactivate')).toBe('Practitioner: reactivate');
    expect(auditActionLabel('something_new')).toBe('Something new');
    // The audit filter offers them by these words: no two may read alike.
    expect(new Set(AUDIT_ACTIONS.map(auditActionLabel)).size).toBe(AUDIT_ACTIONS.length);
  });

  it('explains both consent scopes in plain language', () => {
    for (const scope of CONSENT_SCOPES) expect(consentExplanation(scope).length).toBeGreaterThan(40);
  });
});

describe('languageLabel', () => {
  it('names a language code in words, and leaves what it cannot name as written', () => {
    expect(['en', 'es', 'pt-BR'].map(languageLabel)).toEqual(['English', 'Spanish', 'Brazilian Portuguese']);
    expect(languageLabel('not a code')).toBe('not a code');
  });
});
