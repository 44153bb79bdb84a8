// The one list of every table's entity class, read by the app's DataSource and by the migration CLI.
// Entity files are plain decorated classes with no dependencies on their lib's services, so this
// registry is the single, deliberate place where the database lib names the domain libs' tables.
import { IDENTITY_ENTITIES } from '@referloop/identity/entities';
import { NOTIFICATION_ENTITIES } from '@referloop/notifications/entities';
import { PATIENT_ENTITIES } from '@referloop/patients/entities';
import { REFERRAL_ENTITIES } from '@referloop/referrals/entities';
import { OutboxEventEntity } from './outbox/outbox-event.entity';

export const ENTITIES = [
  ...IDENTITY_ENTITIES,
  ...PATIENT_ENTITIES,
  ...REFERRAL_ENTITIES,
  ...NOTIFICATION_ENTITIES,
  OutboxEventEntity,
];
