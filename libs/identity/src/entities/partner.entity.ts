import { CreateDateColumn, Column, Entity, PrimaryColumn } from 'typeorm';

/** A practitioner's saved partner: someone they refer to often. */
@Entity({ name: 'user_partners' })
export class UserPartnerEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @PrimaryColumn({ name: 'practitioner_id', type: 'uuid' })
  practitionerId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** A clinic's preferred partner, chosen by its admins, shown to everyone in the clinic. */
@Entity({ name: 'clinic_partners' })
export class ClinicPartnerEntity {
  @PrimaryColumn({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  @PrimaryColumn({ name: 'practitioner_id', type: 'uuid' })
  practitionerId: string;

  @Column({ name: 'added_by', type: 'uuid', nullable: true })
  addedBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** The centroid of a US ZIP code or Canadian forward sortation area, seeded from the `zipcodes` package. */
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
