export * from './patient.entity';
export * from './consent.entity';

import { ConsentEntity } from './consent.entity';
import { PatientEntity } from './patient.entity';

export const PATIENT_ENTITIES = [PatientEntity, ConsentEntity];
