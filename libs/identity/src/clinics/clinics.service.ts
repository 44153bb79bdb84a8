import { Injectable } from '@nestjs/common';
import { AppError, Clock, type Principal } from '@referloop/common';
import type { EntityManager } from 'typeorm';
import type { ClinicPatch } from '../inputs';
import { type ClinicFields, type ClinicRow, ClinicsStore } from '../store/clinics.store';
import { ClinicScope } from '../tenancy/clinic-scope';
import { type ClinicView, clinicView } from '../views';

@Injectable()
export class ClinicsService {
  constructor(
    private readonly clinics: ClinicsStore,
    private readonly clock: Clock,
  ) {}

  /** The caller's own clinic. */
  /** `manager`: a transaction in progress reads it on its own connection. */
  async getOwn(principal: Principal, manager?: EntityManager): Promise<ClinicView> {
    return clinicView(found(await this.clinics.own(ClinicScope.of(principal), manager)));
  }

  async updateOwn(principal: Principal, patch: ClinicPatch): Promise<ClinicView> {
    const changes: Partial<ClinicFields> = {
      name: patch.name,
      phone: patch.phone,
      timezone: patch.timezone,
      addressLine1: patch.address?.line1,
      addressCity: patch.address?.city,
      addressRegion: patch.address?.region,
      addressPostalCode: patch.address?.postalCode,
      addressCountry: patch.address?.country,
    };
    if (Object.values(changes).every((value) => value === undefined)) return this.getOwn(principal);
    return clinicView(found(await this.clinics.updateOwn(ClinicScope.of(principal), changes, this.clock.now())));
  }
}

function found(row: ClinicRow | null): ClinicRow {
  if (!row) throw new AppError('not_found', 'The clinic was not found');
  return row;
}
