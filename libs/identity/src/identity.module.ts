import { Module } from '@nestjs/common';
import { Clock } from '@referloop/common';
import { AuditLog } from './audit/audit-log';
import { AuthService } from './auth/auth.service';
import { LiveSessions } from './auth/live-sessions';
import { PasswordHasher } from './auth/password-hasher';
import { PasswordPolicy } from './auth/password-policy';
import { ClinicsService } from './clinics/clinics.service';
import { InvitationsService } from './invitations/invitations.service';
import { PartnersService } from './practitioners/partners.service';
import { PractitionersService } from './practitioners/practitioners.service';
import { ClinicsStore } from './store/clinics.store';
import { InvitationsStore } from './store/invitations.store';
import { PartnersStore } from './store/partners.store';
import { SessionsStore } from './store/sessions.store';
import { UsersStore } from './store/users.store';

@Module({
  providers: [
    AuthService,
    PasswordHasher,
    PasswordPolicy,
    ClinicsService,
    PractitionersService,
    PartnersService,
    InvitationsService,
    AuditLog,
    Clock,
    UsersStore,
    SessionsStore,
    LiveSessions,
    ClinicsStore,
    PartnersStore,
    InvitationsStore,
  ],
  exports: [
    AuthService,
    ClinicsService,
    PractitionersService,
    PartnersService,
    InvitationsService,
    AuditLog,
    Clock,
    UsersStore,
    LiveSessions,
  ],
})
export class IdentityModule {}
