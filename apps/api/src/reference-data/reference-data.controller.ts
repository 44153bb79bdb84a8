import { Controller, Get } from '@nestjs/common';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import {
  AUDIT_ACTIONS,
  BODY_REGIONS,
  CONSENT_SCOPES,
  CONTRAINDICATIONS,
  EMERGENCY_ADVICE,
  EMERGENCY_RED_FLAGS,
  PREFERRED_CONTACTS,
  PRESSURES,
  PRIORITIES,
  RED_FLAG_GUIDANCE,
  RED_FLAGS,
  REFERRAL_KINDS,
  SPECIALTIES,
  UNSCHEDULE_REASONS,
} from '@referloop/common';
import { REFERRAL_STATUSES, TERMINAL_STATUSES, TRANSITIONS } from '@referloop/referrals';
import { Public } from '../auth/auth.decorators';

const REFERENCE_DATA = {
  specialties: SPECIALTIES,
  bodyRegions: BODY_REGIONS,
  redFlags: RED_FLAGS,
  redFlagGuidance: RED_FLAG_GUIDANCE,
  /** The red flags whose referral is sent only with `emergencyAdviceGiven: true`. */
  emergencyRedFlags: EMERGENCY_RED_FLAGS,
  emergencyAdvice: EMERGENCY_ADVICE,
  contraindications: CONTRAINDICATIONS,
  pressures: PRESSURES,
  consentScopes: CONSENT_SCOPES,
  preferredContacts: PREFERRED_CONTACTS,
  unscheduleReasons: UNSCHEDULE_REASONS,
  referralKinds: REFERRAL_KINDS,
  priorities: PRIORITIES,
  referralStatuses: REFERRAL_STATUSES,
  terminalStatuses: TERMINAL_STATUSES,
  /** The referral state machine: per action, the states it applies from, the next state, who takes it, its body fields. */
  referralActions: Object.fromEntries(
    Object.entries(TRANSITIONS).map(([action, t]) => [action, { from: t.from, to: t.to, by: t.by, fields: t.fields }]),
  ),
  /** What the audit log records, and what its `action` filter takes. */
  auditActions: AUDIT_ACTIONS,
};

/** The curated vocabularies and the state machine, so clients never hard-code them. */
@ApiTags('reference-data')
@Public()
@Controller('reference-data')
export class ReferenceDataController {
  /** The curated lists (specialties, body regions, red flags, …) and the referral state machine; no sign-in needed. */
  @Get()
  @ApiResponse({
    status: 200,
    description: 'One object: each curated list by name, and `referralActions` (per action: from, to, by, fields)',
    content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
  })
  get(): typeof REFERENCE_DATA {
    return REFERENCE_DATA;
  }
}
