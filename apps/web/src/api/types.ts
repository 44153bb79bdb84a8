import type { components, operations } from './schema';

type Schemas = components['schemas'];

export type User = Schemas['UserResponseDto'];
export type Practitioner = Schemas['UserResponseDto'];
/** A directory item: a practitioner with `partner` and, when searched near a postal code, `distanceKm`. */
export type DirectoryEntry = Schemas['DirectoryItemDto'];
export type Patient = Schemas['PatientResponseDto'];
export type Referral = Schemas['ReferralResponseDto'];
export type ReferralEvent = Schemas['ReferralEventDto'];
export type Attachment = Schemas['AttachmentDto'];
export type ReferralMessage = Schemas['ReferralMessageDto'];
export type CreateReferral = Schemas['CreateReferralDto'];
export type UpdateReferral = Schemas['UpdateReferralDto'];
export type ReferralActionBody = Schemas['ReferralActionDto'];
export type ReferralAction = Referral['allowedActions'][number];
export type Notification = Schemas['NotificationDto'];
export type FailedDelivery = Schemas['FailedDeliveryDto'];
export type EmailPreview = Schemas['EmailPreviewDto'];
export type AdminMetrics = Schemas['AdminMetricsDto'];
export type ReferralMetrics = Schemas['ReferralMetricsDto'];
export type OverdueReferral = Schemas['OverdueReferralDto'];
export type AuditEvent = Schemas['AuditEventDto'];
export type CreatePractitioner = Schemas['CreatePractitionerDto'];
export type UpdatePractitioner = Schemas['UpdatePractitionerDto'];
export type Role = User['role'];

export type CreatePatient = Schemas['CreatePatientDto'];
export type BodyRegion = NonNullable<CreateReferral['bodyRegions']>[number];
export type RedFlag = NonNullable<CreateReferral['redFlags']>[number];
export type Priority = CreateReferral['priority'];
export type MaintenancePlan = NonNullable<CreateReferral['plan']>;
export type Pressure = MaintenancePlan['pressure'];
export type Contraindication = NonNullable<MaintenancePlan['contraindications']>[number];
export type ReferralKind = CreateReferral['kind'];
export type Specialty = NonNullable<CreatePractitioner['specialties']>[number];
export type PreferredContact = CreatePatient['preferredContact'];
export type ConsentScope = Schemas['ConsentDto']['scope'];
export type ReferralStatus = NonNullable<
  NonNullable<operations['ReferralsController_list']['parameters']['query']>['status']
>[number];
export type PractitionerRole = CreatePractitioner['role'];
export type AuditAction = NonNullable<NonNullable<operations['AdminController_audit']['parameters']['query']>['action']>;

export type ActionField = 'note' | 'reason' | 'appointmentAt' | 'outcome' | 'progress';

/**
 * GET /reference-data: the curated vocabularies and the referral state machine. The API does not
 * describe this answer in its OpenAPI document, so its shape is written out here.
 */
export interface ReferenceData {
  specialties: Specialty[];
  bodyRegions: BodyRegion[];
  redFlags: RedFlag[];
  redFlagGuidance: string;
  /** The red flags that are emergency signs: sending needs `emergencyAdviceGiven`. */
  emergencyRedFlags: RedFlag[];
  emergencyAdvice: string;
  contraindications: Contraindication[];
  pressures: Pressure[];
  consentScopes: ConsentScope[];
  preferredContacts: PreferredContact[];
  unscheduleReasons: string[];
  referralKinds: ReferralKind[];
  priorities: Priority[];
  referralStatuses: ReferralStatus[];
  terminalStatuses: ReferralStatus[];
  /** What the audit log records: the choices of its action filter. */
  auditActions: AuditAction[];
  referralActions: Record<
    ReferralAction,
    {
      from: string[];
      to: string | null;
      by: 'sender' | 'recipient' | 'either';
      fields: Partial<Record<ActionField, 'required' | 'optional'>>;
    }
  >;
}
