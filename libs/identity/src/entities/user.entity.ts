import type { Role } from '@referloop/common';
import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A person who signs in: a clinic admin or a practitioner (who also has a licence and a directory profile). */
// On (clinic_id, name_order(full_name), id): see the NameOrder migration.
@Index('users_clinic_idx', { synchronize: false })
@Index('users_directory_idx', { synchronize: false })
@Index('users_email_lower_key', { synchronize: false })
@Index('users_specialties_idx', { synchronize: false })
@Index('users_admins_idx', { synchronize: false })
@Check('clinic_admin_is_admin', `role <> 'clinic_admin' OR is_admin`)
@Check('users_role_check', `role IN ('massage_therapist', 'physical_therapist', 'clinic_admin')`)
@Check(
  'practitioner_has_licence',
  `role = 'clinic_admin' OR (licence_number IS NOT NULL AND licence_region IS NOT NULL AND licence_expires_on IS NOT NULL)`,
)
@Entity({ name: 'users' })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('clinics', { name: 'users_clinic_id_fkey' })
  @Column({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  /** Stored as given; uniqueness is case-insensitive (index on lower(email)). */
  @Column({ type: 'text' })
  email: string;

  /** Null until an invited practitioner accepts the invitation. */
  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false })
  passwordHash: string | null;

  @Column({ name: 'full_name', type: 'text' })
  fullName: string;

  @Column({ type: 'text' })
  role: Role;

  /** Admin rights over the clinic: always true for a `clinic_admin`; a practitioner may have them too. */
  @Column({ name: 'is_admin', type: 'boolean', default: false })
  isAdmin: boolean;

  @Column({ name: 'licence_number', type: 'text', nullable: true })
  licenceNumber: string | null;

  @Column({ name: 'licence_region', type: 'text', nullable: true })
  licenceRegion: string | null;

  /** ISO date (YYYY-MM-DD). */
  @Column({ name: 'licence_expires_on', type: 'date', nullable: true })
  licenceExpiresOn: string | null;

  /** When a clinic admin last recorded (attested) the licence. */
  @Column({ name: 'licence_verified_at', type: 'timestamptz', nullable: true })
  licenceVerifiedAt: Date | null;

  /** The clinic admin who did. */
  @ForeignKey('users', { name: 'users_licence_verified_by_fkey' })
  @Column({ name: 'licence_verified_by', type: 'uuid', nullable: true })
  licenceVerifiedBy: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  specialties: string[];

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  languages: string[];

  @Column({ name: 'accepting_referrals', type: 'boolean', default: true })
  acceptingReferrals: boolean;

  @Column({ type: 'text', nullable: true })
  bio: string | null;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt: Date | null;

  /** Set by a clinic admin: cannot sign in, out of the directory, cannot receive referrals. */
  @Column({ name: 'deactivated_at', type: 'timestamptz', nullable: true })
  deactivatedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
