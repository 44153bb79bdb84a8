import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AdminModule } from '@referloop/admin';
import { APP_CONFIG, type AppConfig, ConfigModule } from '@referloop/config';
import { DatabaseModule } from '@referloop/database';
import { IdentityModule } from '@referloop/identity';
import { NotificationsModule } from '@referloop/notifications';
import { PatientsModule } from '@referloop/patients';
import { QueueModule } from '@referloop/queue';
import { ReferralsModule } from '@referloop/referrals';
import { AdminController } from './admin/admin.controller';
import { AuthController } from './auth/auth.controller';
import { WebSession } from './auth/web-session';
import { AuthGuard } from './auth/auth.guard';
import { RateLimitGuard } from './auth/rate-limit.guard';
import { ClinicsController } from './clinics/clinics.controller';
import { HealthController } from './health/health.controller';
import { InvitationsController } from './invitations/invitations.controller';
import { LiveModule } from './live/live.module';
import { ProblemFilter } from './http/problem.filter';
import { createRateLimitStore, RateLimitStore } from './http/rate-limit.store';
import { DeclaredInputGuard } from './http/declared-input.guard';
import { createValidationPipe } from './http/validation';
import { UploadSlots } from './http/uploaded-file';
import { SCHEMA_ENTITIES } from './schema/schema-entities';
import { MeController } from './me/me.controller';
import { NotificationsController } from './notifications/notifications.controller';
import { UnsubscribeController } from './notifications/unsubscribe.controller';
import { PartnersController } from './partners/partners.controller';
import { PatientsController } from './patients/patients.controller';
import { PractitionersController } from './practitioners/practitioners.controller';
import { ReferenceDataController } from './reference-data/reference-data.controller';
import { ReferralInvitesController } from './referrals/referral-invites.controller';
import { ReferralLettersController } from './referrals/referral-letters.controller';
import { ReferralsController } from './referrals/referrals.controller';

/**
 * How long a request waits for a database connection before it is answered 503 with Retry-After.
 * Shorter than the worker's wait: when the pool is saturated, a quick "retry shortly" serves
 * callers better than seconds in a queue, and it bounds how much work piles up.
 */
const HTTP_POOL_WAIT_MS = 2_000;

/** The HTTP application: controllers, guards, validation and the problem+json filter over the libs. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(config, {
          applicationName: 'referloop-api',
          entities: SCHEMA_ENTITIES,
          defaultPoolWaitMs: HTTP_POOL_WAIT_MS,
        }),
        // Producers only: the API never consumes jobs.
        QueueModule.forRoot(config, 'producer'),
        IdentityModule,
        PatientsModule,
        ReferralsModule,
        NotificationsModule,
        AdminModule,
        LiveModule,
      ],
      controllers: [
        AuthController,
        MeController,
        ClinicsController,
        PractitionersController,
        PartnersController,
        InvitationsController,
        PatientsController,
        ReferralsController,
        ReferralInvitesController,
        ReferralLettersController,
        ReferenceDataController,
        NotificationsController,
        UnsubscribeController,
        AdminController,
        HealthController,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: DeclaredInputGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        WebSession,
        UploadSlots,
        { provide: RateLimitStore, inject: [APP_CONFIG, getDataSourceToken()], useFactory: createRateLimitStore },
        RateLimitGuard,
      ],
    };
  }
}
