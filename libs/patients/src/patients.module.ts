import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityModule } from '@referloop/identity';
import { PATIENT_ENTITIES } from './entities';
import { PatientsService } from './patients.service';
import { PatientsStore } from './store/patients.store';

@Module({
  imports: [TypeOrmModule.forFeature(PATIENT_ENTITIES), IdentityModule],
  providers: [PatientsService, PatientsStore],
  exports: [PatientsService],
})
export class PatientsModule {}
