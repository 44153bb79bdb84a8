import type { PreferredContact } from '@referloop/common';
import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

/** A client of a clinic (PHI). Only the own clinic sees it through /patients; a referral's recipient sees a summary. */
// On (clinic_id, name_order(last_name), name_order(first_name), id): see the NameOrder migration.
@Index('patients_clinic_name_idx', { synchronize: false })
// GIN trigram indexes on name_order(first_name) and name_order(last_name): see the PatientNameSearch migration.
@Index('patients_first_name_trgm_idx', { synchronize: false })
@Index('patients_last_name_trgm_idx', { synchronize: false })
@Unique('patients_clinic_origin_key', ['clinicId', 'originPatientId'])
@Entity({ name: 'patients' })
export class PatientEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('clinics', { name: 'patients_clinic_id_fkey' })
  @Column({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  @Column({ name: 'first_name', type: 'text' })
  firstName: string;

  @Column({ name: 'last_name', type: 'text' })
  lastName: string;

  /** YYYY-MM-DD */
  @Column({ name: 'date_of_birth', type: 'date' })
  dateOfBirth: string;

  @Column({ type: 'text', nullable: true })
  email: string | null;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ name: 'preferred_contact', type: 'text' })
  preferredContact: PreferredContact;

  /** The referral whose patient summary this patient was copied from (POST /patients/import, follow-up). */
  @ForeignKey('referrals', { name: 'patients_source_referral_id_fkey' })
  @Column({ name: 'source_referral_id', type: 'uuid', nullable: true })
  sourceReferralId: string | null;

  /**
   * The first record of this person, in the clinic that made it, when this one is a copy; a
   * clinic holds at most one copy of each person.
   */
  @ForeignKey('patients', { name: 'patients_origin_patient_id_fkey' })
  @Column({ name: 'origin_patient_id', type: 'uuid', nullable: true })
  originPatientId: string | null;

  @ForeignKey('users', { name: 'patients_created_by_fkey' })
  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
