import { OutboxEventEntity } from '@referloop/database';
import { IDENTITY_ENTITIES } from '@referloop/identity/entities';
import { NOTIFICATION_ENTITIES } from '@referloop/notifications/entities';
import { PATIENT_ENTITIES } from '@referloop/patients/entities';
import { REFERRAL_ENTITIES } from '@referloop/referrals/entities';
import { LiveEventEntity } from '../live/live-event.entity';

/**
 * Every table's entity class: the declaration of the whole schema, for the API's DataSource,
 * `migration:generate` and the check that entities and migrations agree (schema.int-spec.ts).
 * Indexes TypeORM cannot describe (partial, descending, INCLUDE, expression, GIN) are declared by name
 * with `synchronize: false`: the check still fails when one is missing or extra; the migration holds its definition.
 */
export const SCHEMA_ENTITIES = [
  ...IDENTITY_ENTITIES,
  ...PATIENT_ENTITIES,
  ...REFERRAL_ENTITIES,
  ...NOTIFICATION_ENTITIES,
  OutboxEventEntity,
  LiveEventEntity,
];
