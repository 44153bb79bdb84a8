/** Curated vocabularies, defined once and served to clients. */
export const SPECIALTIES = [
  'sports_injury',
  'back_neck',
  'sciatica',
  'post_surgical',
  'deep_tissue',
  'myofascial_release',
  'prenatal',
  'orthopedic',
  'neurological',
  'geriatric',
  'pediatric',
  'vestibular',
  'tmj',
  'lymphatic_drainage',
  'trigger_point',
  'oncology',
] as const;
export type Specialty = (typeof SPECIALTIES)[number];

/** BCP 47 primary language tag with an optional region, e.g. `en`, `fr`, `pt-BR`. */
export const LANGUAGE_TAG_PATTERN = /^[a-z]{2,3}(-[A-Z]{2})?$/;

export const TIMEZONES: ReadonlySet<string> = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

export const BODY_REGIONS = [
  'head',
  'jaw',
  'neck',
  'upper_back',
  'mid_back',
  'lower_back',
  'chest',
  'abdomen',
  'shoulder_left',
  'shoulder_right',
  'upper_arm_left',
  'upper_arm_right',
  'elbow_left',
  'elbow_right',
  'forearm_left',
  'forearm_right',
  'wrist_hand_left',
  'wrist_hand_right',
  'hip_left',
  'hip_right',
  'glute_left',
  'glute_right',
  'thigh_left',
  'thigh_right',
  'knee_left',
  'knee_right',
  'calf_left',
  'calf_right',
  'ankle_foot_left',
  'ankle_foot_right',
] as const;
export type BodyRegion = (typeof BODY_REGIONS)[number];

/** Signs that need prompt medical attention: a referral carrying any of them must be `urgent`. */
export const RED_FLAGS = [
  'saddle_numbness',
  'bladder_bowel_change',
  'calf_swelling_redness',
  'unexplained_weight_loss',
  'night_pain',
  'fever',
  'recent_trauma',
] as const;
export type RedFlag = (typeof RED_FLAGS)[number];

/**
 * The red flags that are emergency signs (possible cauda equina syndrome or deep vein thrombosis):
 * a referral carrying one is sent only with `emergencyAdviceGiven: true`.
 */
export const EMERGENCY_RED_FLAGS = [
  'saddle_numbness',
  'bladder_bowel_change',
  'calf_swelling_redness',
] as const satisfies readonly RedFlag[];

/** Shown by clients before the rest of the referral form when an emergency sign is ticked. */
export const EMERGENCY_ADVICE =
  'Possible cauda equina syndrome or deep vein thrombosis: tell the client to seek emergency care now ' +
  '(an emergency department or emergency services), not to wait for a physical therapy appointment.';

/** True when any of `redFlags` is an emergency sign. */
export const hasEmergencyRedFlag = (redFlags: readonly string[]): boolean =>
  redFlags.some((flag) => (EMERGENCY_RED_FLAGS as readonly string[]).includes(flag));

export const CONSENT_SCOPES = ['referral_sharing', 'patient_notifications'] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

export const PREFERRED_CONTACTS = ['email', 'phone', 'sms', 'mail'] as const;
export type PreferredContact = (typeof PREFERRED_CONTACTS)[number];

export const UNSCHEDULE_REASONS = ['no_show', 'patient_cancelled', 'clinic_cancelled'] as const;

/** What a party does to a referral: `POST /referrals/:id/<action>` (the state machine says from where and who). */
export const REFERRAL_ACTIONS = [
  'send',
  'acknowledge',
  'accept',
  'decline',
  'request-info',
  'provide-info',
  'schedule',
  'unschedule',
  'reschedule',
  'start-care',
  'report-progress',
  'add-note',
  'send-outcome',
  'close',
  'cancel',
  'request-cancel',
  'confirm-cancel',
] as const;
export type ReferralAction = (typeof REFERRAL_ACTIONS)[number];

export const REFERRAL_KINDS = ['injury_care', 'maintenance_massage'] as const;
export type ReferralKind = (typeof REFERRAL_KINDS)[number];

export const PRIORITIES = ['routine', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Shown by clients next to the red-flag checklist. */
export const RED_FLAG_GUIDANCE =
  'Red flags can signal a condition that needs prompt medical assessment. Send the referral as urgent, ' +
  'and if symptoms are severe or worsening (for example new bladder or bowel changes, saddle numbness, ' +
  'or a hot, swollen calf) tell the client to seek emergency care now.';

/** What a maintenance plan tells the massage therapist to work around. */
export const CONTRAINDICATIONS = [
  'anticoagulants',
  'recent_surgery_site',
  'osteoporosis',
  'pregnancy',
  'dvt_history',
  'open_wounds',
  'recent_fracture',
  'avoid_deep_pressure_site',
] as const;
export type Contraindication = (typeof CONTRAINDICATIONS)[number];

export const PRESSURES = ['light', 'moderate', 'firm'] as const;
export type Pressure = (typeof PRESSURES)[number];
