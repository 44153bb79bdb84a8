import { Identity1764190000000 } from './1764190000000-Identity';
import { PatientsReferrals1764200000000 } from './1764200000000-PatientsReferrals';
import { Notifications1764210000000 } from './1764210000000-Notifications';
import { AdminMetrics1764220000000 } from './1764220000000-AdminMetrics';
import { DeliveryLease1764230000000 } from './1764230000000-DeliveryLease';
import { SkippedDeliveries1764245000000 } from './1764245000000-SkippedDeliveries';

/** Every migration, in order. Listed explicitly: glob paths break in a Nest monorepo build. */
export const MIGRATIONS = [
  Identity1764190000000,
  PatientsReferrals1764200000000,
  Notifications1764210000000,
  AdminMetrics1764220000000,
  DeliveryLease1764230000000,
  SkippedDeliveries1764245000000,
];
