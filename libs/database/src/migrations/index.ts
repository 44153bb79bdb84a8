import { Identity1764190000000 } from './1764190000000-Identity';
import { PatientsReferrals1764200000000 } from './1764200000000-PatientsReferrals';
import { Notifications1764210000000 } from './1764210000000-Notifications';
import { AdminMetrics1764220000000 } from './1764220000000-AdminMetrics';
import { DeliveryLease1764230000000 } from './1764230000000-DeliveryLease';
import { RecipientSeesSent1764240000000 } from './1764240000000-RecipientSeesSent';
import { AuditPartyClinics1764240100000 } from './1764240100000-AuditPartyClinics';
import { LicenceVerifiedBy1764240200000 } from './1764240200000-LicenceVerifiedBy';
import { IdempotencyKeyExpiry1764240300000 } from './1764240300000-IdempotencyKeyExpiry';
import { Accounts1764242000000 } from './1764242000000-Accounts';
import { SkippedDeliveries1764245000000 } from './1764245000000-SkippedDeliveries';
import { AdminsInvitations1764246000000 } from './1764246000000-AdminsInvitations';
import { DirectoryPartners1764247000000 } from './1764247000000-DirectoryPartners';
import { ReferralReads1764251000000 } from './1764251000000-ReferralReads';
import { FollowUp1764252000000 } from './1764252000000-FollowUp';
import { PatientEmails1764254000000 } from './1764254000000-PatientEmails';
import { ReferralInvites1764255000000 } from './1764255000000-ReferralInvites';
import { OutboxWakeIdleRelay1764258000000 } from './1764258000000-OutboxWakeIdleRelay';
import { LiveEvents1764259000000 } from './1764259000000-LiveEvents';
import { ReferralProgress1764260000000 } from './1764260000000-ReferralProgress';
import { EmergencyAdvice1764261000000 } from './1764261000000-EmergencyAdvice';
import { SessionAccessChanges1764262000000 } from './1764262000000-SessionAccessChanges';
import { TimerSweepIndexes1764263000000 } from './1764263000000-TimerSweepIndexes';
import { RelayFansOut1764264000000 } from './1764264000000-RelayFansOut';
import { AttachmentAddedAfterSend1764265000000 } from './1764265000000-AttachmentAddedAfterSend';
import { AuditPartyRowsUnchecked1764266000000 } from './1764266000000-AuditPartyRowsUnchecked';
import { AuditEventUids1764267000000 } from './1764267000000-AuditEventUids';
import { PatientOrigins1764268000000 } from './1764268000000-PatientOrigins';
import { RefreshRetryKeys1764269000000 } from './1764269000000-RefreshRetryKeys';
import { UnaccentSearch1764270000000 } from './1764270000000-UnaccentSearch';
import { LiveFollowUps1764271000000 } from './1764271000000-LiveFollowUps';
import { NameOrder1764272000000 } from './1764272000000-NameOrder';
import { LiveFollowUpAudience1764273000000 } from './1764273000000-LiveFollowUpAudience';
import { InviteEmailIndex1764274000000 } from './1764274000000-InviteEmailIndex';
import { CanonicalEmails1764275000000 } from './1764275000000-CanonicalEmails';
import { StrayPatientSourceKey1764276000000 } from './1764276000000-StrayPatientSourceKey';
import { ConsentsByPatient1764277000000 } from './1764277000000-ConsentsByPatient';
import { AuditPartyFilters1764278000000 } from './1764278000000-AuditPartyFilters';
import { PatientNameSearch1764279000000 } from './1764279000000-PatientNameSearch';

/** Every migration, in order. Listed explicitly: glob paths break in a Nest monorepo build. */
export const MIGRATIONS = [
  Identity1764190000000,
  PatientsReferrals1764200000000,
  Notifications1764210000000,
  AdminMetrics1764220000000,
  DeliveryLease1764230000000,
  RecipientSeesSent1764240000000,
  AuditPartyClinics1764240100000,
  LicenceVerifiedBy1764240200000,
  IdempotencyKeyExpiry1764240300000,
  Accounts1764242000000,
  SkippedDeliveries1764245000000,
  AdminsInvitations1764246000000,
  DirectoryPartners1764247000000,
  ReferralReads1764251000000,
  FollowUp1764252000000,
  PatientEmails1764254000000,
  ReferralInvites1764255000000,
  OutboxWakeIdleRelay1764258000000,
  LiveEvents1764259000000,
  ReferralProgress1764260000000,
  EmergencyAdvice1764261000000,
  SessionAccessChanges1764262000000,
  TimerSweepIndexes1764263000000,
  RelayFansOut1764264000000,
  AttachmentAddedAfterSend1764265000000,
  AuditPartyRowsUnchecked1764266000000,
  AuditEventUids1764267000000,
  PatientOrigins1764268000000,
  RefreshRetryKeys1764269000000,
  UnaccentSearch1764270000000,
  LiveFollowUps1764271000000,
  NameOrder1764272000000,
  LiveFollowUpAudience1764273000000,
  InviteEmailIndex1764274000000,
  CanonicalEmails1764275000000,
  StrayPatientSourceKey1764276000000,
  ConsentsByPatient1764277000000,
  AuditPartyFilters1764278000000,
  PatientNameSearch1764279000000,
];
