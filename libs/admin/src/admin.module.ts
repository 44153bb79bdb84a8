import { Module } from '@nestjs/common';
import { IdentityModule } from '@referloop/identity';
import { ReferralsModule } from '@referloop/referrals';
import { AdminMetricsService } from './admin-metrics.service';
import { AuditEventsService } from './audit-events.service';
import { OverdueReferralsService } from './overdue-referrals.service';
import { ReferralExportService } from './referral-export.service';
import { AdminStore } from './store/admin.store';
import { TimeWindows } from './time-window';

/** The clinic admin's read side: metrics, overdue list, audit log and the CSV export. */
@Module({
  imports: [IdentityModule, ReferralsModule],
  providers: [AdminStore, TimeWindows, AdminMetricsService, OverdueReferralsService, AuditEventsService, ReferralExportService],
  exports: [AdminMetricsService, OverdueReferralsService, AuditEventsService, ReferralExportService],
})
export class AdminModule {}
