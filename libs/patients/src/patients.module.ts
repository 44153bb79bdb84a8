import { Module } from '@nestjs/common';
import { IdentityModule } from '@referloop/identity';
import { PatientsService } from './patients.service';
import { PatientsStore } from './store/patients.store';

@Module({
  imports: [IdentityModule],
  providers: [PatientsService, PatientsStore],
  exports: [PatientsService],
})
export class PatientsModule {}
