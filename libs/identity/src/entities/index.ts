export * from './clinic.entity';
export * from './user.entity';
export * from './auth-session.entity';
export * from './refresh-token.entity';
export * from './invitation.entity';
export * from './password-reset.entity';
export * from './rate-limit-counter.entity';

import { AuditEventEntity } from '../audit/audit-event.entity';
import { AuthSessionEntity } from './auth-session.entity';
import { ClinicEntity } from './clinic.entity';
import { InvitationEntity } from './invitation.entity';
import { PasswordResetEntity } from './password-reset.entity';
import { RateLimitCounterEntity } from './rate-limit-counter.entity';
import { RefreshTokenEntity } from './refresh-token.entity';
import { UserEntity } from './user.entity';

export const IDENTITY_ENTITIES = [
  ClinicEntity,
  UserEntity,
  AuthSessionEntity,
  RefreshTokenEntity,
  InvitationEntity,
  PasswordResetEntity,
  RateLimitCounterEntity,
  AuditEventEntity,
];
