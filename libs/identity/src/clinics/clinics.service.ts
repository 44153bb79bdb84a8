import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ClinicEntity } from '../entities/clinic.entity';
import type { ClinicPatch } from '../inputs';
import { ClinicScopedRepository } from '../tenancy/clinic-scoped-repository';
import { type ClinicView, clinicView } from '../views';

@Injectable()
export class ClinicsService {
  private readonly clinics: ClinicScopedRepository<ClinicEntity>;

  constructor(@InjectRepository(ClinicEntity) repository: Repository<ClinicEntity>) {
    // A clinic's tenant column is its own id.
    this.clinics = new ClinicScopedRepository(repository, 'clinic', 'id');
  }

  async getOwn(clinicId: string): Promise<ClinicView> {
    return clinicView(await this.clinics.get(clinicId));
  }

  async updateOwn(clinicId: string, patch: ClinicPatch): Promise<ClinicView> {
    const columns: Partial<ClinicEntity> = {
      name: patch.name,
      phone: patch.phone,
      timezone: patch.timezone,
      addressLine1: patch.address?.line1,
      addressCity: patch.address?.city,
      addressRegion: patch.address?.region,
      addressPostalCode: patch.address?.postalCode,
      addressCountry: patch.address?.country,
    };
    const changes = Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length === 0) return this.getOwn(clinicId);
    return clinicView(await this.clinics.update(clinicId, changes));
  }
}
