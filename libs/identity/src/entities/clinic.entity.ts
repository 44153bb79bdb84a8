import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'clinics' })
export class ClinicEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'address_line1', type: 'text' })
  addressLine1: string;

  @Column({ name: 'address_city', type: 'text' })
  addressCity: string;

  @Column({ name: 'address_region', type: 'text' })
  addressRegion: string;

  @Column({ name: 'address_postal_code', type: 'text' })
  addressPostalCode: string;

  @Column({ name: 'address_country', type: 'text' })
  addressCountry: string;

  @Column({ type: 'text' })
  phone: string;

  @Column({ type: 'text' })
  timezone: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
