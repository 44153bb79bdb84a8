import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/** A practitioner's saved partner: someone they refer to often. */
@Index('user_partners_practitioner_idx', ['practitionerId'])
@Check('user_partners_check', 'user_id <> practitioner_id')
@Entity({ name: 'user_partners' })
export class UserPartnerEntity {
  @ForeignKey('users', { name: 'user_partners_user_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ForeignKey('users', { name: 'user_partners_practitioner_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'practitioner_id', type: 'uuid' })
  practitionerId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** A clinic's preferred partner, chosen by its admins, shown to everyone in the clinic. */
@Index('clinic_partners_practitioner_idx', ['practitionerId'])
@Entity({ name: 'clinic_partners' })
export class ClinicPartnerEntity {
  @ForeignKey('clinics', { name: 'clinic_partners_clinic_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  @ForeignKey('users', { name: 'clinic_partners_practitioner_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'practitioner_id', type: 'uuid' })
  practitionerId: string;

  @ForeignKey('users', { name: 'clinic_partners_added_by_fkey', onDelete: 'SET NULL' })
  @Column({ name: 'added_by', type: 'uuid', nullable: true })
  addedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** The centroid of a US ZIP code or Canadian forward sortation area, seeded from the `zipcodes` package. */
@Check('postal_centroids_country_check', `country IN ('US', 'CA')`)
@Entity({ name: 'postal_centroids' })
export class PostalCentroidEntity {
  @PrimaryColumn({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  country: 'US' | 'CA';

  @Column({ type: 'double precision' })
  latitude: number;

  @Column({ type: 'double precision' })
  longitude: number;
}
