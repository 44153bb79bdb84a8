import type { ConsentScope } from '@referloop/common';
import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A patient's consent for one scope. Revoking keeps the row (history) and sets `revokedAt`. */
@Index('patient_consents_active_key', { synchronize: false })
@Index('patient_consents_patient_idx', { synchronize: false })
@Check('patient_consents_scope_check', `scope IN ('referral_sharing', 'patient_notifications')`)
@Entity({ name: 'patient_consents' })
export class ConsentEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('patients', { name: 'patient_consents_patient_id_fkey' })
  @Column({ name: 'patient_id', type: 'uuid' })
  patientId: string;

  @ForeignKey('clinics', { name: 'patient_consents_clinic_id_fkey' })
  @Column({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  @Column({ type: 'text' })
  scope: ConsentScope;

  @Column({ name: 'granted_at', type: 'timestamptz' })
  grantedAt: Date;

  @ForeignKey('users', { name: 'patient_consents_recorded_by_fkey' })
  @Column({ name: 'recorded_by', type: 'uuid' })
  recordedBy: string;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @ForeignKey('users', { name: 'patient_consents_revoked_by_fkey' })
  @Column({ name: 'revoked_by', type: 'uuid', nullable: true })
  revokedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
