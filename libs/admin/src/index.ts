export * from './admin.views';
export * from './admin.module';
export * from './admin-metrics.service';
export * from './audit-events.service';
export * from './csv';
export * from './overdue-referrals.service';
export * from './referral-export.service';
export * from './time-window';
