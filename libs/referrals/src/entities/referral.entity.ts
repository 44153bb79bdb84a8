import type { Pressure, Priority, ReferralKind } from '@referloop/common';
import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ReferralStatus } from '../state-machine/referral-state-machine';

/** A maintenance plan: exactly one of frequencyWeeks (every N weeks) or sessionsPerWeek. */
export interface MaintenancePlan {
  frequencyWeeks: number | null;
  sessionsPerWeek: number | null;
  sessions: number | null;
  durationWeeks: number | null;
  reviewBy: string | null;
  goals: string[];
  focusAreas: string[];
  /** Null only on plans stored before pressure was asked for. */
  pressure: Pressure | null;
  contraindications: string[];
  precautions: string;
  reportEveryWeeks: number | null;
}

export interface ReferralOutcome {
  summary: string;
  recommendations: string | null;
  /** 0–10 at discharge. */
  painLevel: number | null;
  /** 0–10, Patient-Specific Functional Scale average. */
  psfs: number | null;
  visits: number | null;
  recommendMaintenance: boolean;
  sentAt: string;
}

@Index('referrals_patient_idx', ['patientId'])
@Index('referrals_sender_box_idx', ['senderId', 'updatedAt', 'id'])
@Index('referrals_sender_clinic_idx', ['senderClinicId', 'updatedAt', 'id'])
@Index('referrals_recipient_box_idx', { synchronize: false })
@Index('referrals_recipient_clinic_idx', { synchronize: false })
@Index('referrals_replaces_idx', { synchronize: false })
@Index('referrals_previous_idx', { synchronize: false })
@Index('referrals_open_status_idx', { synchronize: false })
@Index('referrals_sender_clinic_created_idx', { synchronize: false })
@Index('referrals_recipient_clinic_created_idx', { synchronize: false })
@Index('referrals_open_sender_clinic_idx', { synchronize: false })
@Index('referrals_open_recipient_clinic_idx', { synchronize: false })
@Check('referrals_kind_check', `kind IN ('injury_care', 'maintenance_massage')`)
@Check('referrals_priority_check', `priority IN ('routine', 'urgent')`)
@Check('referrals_pain_level_check', `pain_level BETWEEN 0 AND 10`)
@Check('red_flags_need_urgent', `cardinality(red_flags) = 0 OR priority = 'urgent'`)
@Check('plan_only_for_maintenance', `kind = 'maintenance_massage' OR plan IS NULL`)
@Index('referrals_recipient_invite_idx', { synchronize: false })
@Index('referrals_response_clock_idx', { synchronize: false })
@Index('referrals_progress_plans_idx', { synchronize: false })
@Check('referrals_recipient_or_invite', `recipient_id IS NOT NULL OR recipient_invite_id IS NOT NULL`)
@Entity({ name: 'referrals' })
export class ReferralEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  kind: ReferralKind;

  @Column({ type: 'text' })
  status: ReferralStatus;

  /** Optimistic concurrency: every action names the version it read. */
  @Column({ type: 'integer', default: 1 })
  version: number;

  @ForeignKey('patients', { name: 'referrals_patient_id_fkey' })
  @Column({ name: 'patient_id', type: 'uuid' })
  patientId: string;

  @ForeignKey('users', { name: 'referrals_sender_id_fkey' })
  @Column({ name: 'sender_id', type: 'uuid' })
  senderId: string;

  @ForeignKey('clinics', { name: 'referrals_sender_clinic_id_fkey' })
  @Column({ name: 'sender_clinic_id', type: 'uuid' })
  senderClinicId: string;

  @ForeignKey('users', { name: 'referrals_recipient_id_fkey' })
  @Column({ name: 'recipient_id', type: 'uuid', nullable: true })
  recipientId: string | null;

  @ForeignKey('clinics', { name: 'referrals_recipient_clinic_id_fkey' })
  @Column({ name: 'recipient_clinic_id', type: 'uuid', nullable: true })
  recipientClinicId: string | null;

  /** A recipient not on ReferLoop yet: set instead of the recipient until someone joins through the invite. */
  @ForeignKey('referral_invites', { name: 'referrals_recipient_invite_id_fkey' })
  @Column({ name: 'recipient_invite_id', type: 'uuid', nullable: true })
  recipientInviteId: string | null;

  /** The user who created it: the sender, or an admin of the sender's clinic on their behalf. */
  @ForeignKey('users', { name: 'referrals_created_by_fkey' })
  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  @Column({ type: 'text' })
  priority: Priority;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'body_regions', type: 'text', array: true, default: () => "'{}'" })
  bodyRegions: string[];

  @Column({ type: 'text', nullable: true })
  observations: string | null;

  @Column({ name: 'pain_level', type: 'smallint', nullable: true })
  painLevel: number | null;

  @Column({ name: 'onset_date', type: 'date', nullable: true })
  onsetDate: string | null;

  @Column({ name: 'needed_by', type: 'date', nullable: true })
  neededBy: string | null;

  @Column({ name: 'red_flags', type: 'text', array: true, default: () => "'{}'" })
  redFlags: string[];

  /** The sender told the client to seek emergency care now (needed to send with an emergency red flag). */
  @Column({ name: 'emergency_advice_given', type: 'boolean', default: false })
  emergencyAdviceGiven: boolean;

  @Column({ type: 'jsonb', nullable: true })
  plan: MaintenancePlan | null;

  @ForeignKey('referrals', { name: 'referrals_replaces_id_fkey' })
  @Column({ name: 'replaces_id', type: 'uuid', nullable: true })
  replacesId: string | null;

  /** The injury referral this maintenance referral follows up. */
  @ForeignKey('referrals', { name: 'referrals_previous_id_fkey' })
  @Column({ name: 'previous_id', type: 'uuid', nullable: true })
  previousId: string | null;

  @Column({ name: 'appointment_at', type: 'timestamptz', nullable: true })
  appointmentAt: Date | null;

  @Column({ type: 'jsonb', nullable: true })
  outcome: ReferralOutcome | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  /** When the recipient accepted or declined. */
  @Column({ name: 'responded_at', type: 'timestamptz', nullable: true })
  respondedAt: Date | null;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt: Date | null;

  /** Time spent in info_requested, which the response SLA does not count. */
  @Column({ name: 'sla_paused_ms', type: 'bigint', default: 0 })
  slaPausedMs: string;

  /** Set while in info_requested. */
  @Column({ name: 'sla_paused_at', type: 'timestamptz', nullable: true })
  slaPausedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
