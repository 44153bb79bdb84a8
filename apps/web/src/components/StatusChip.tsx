import { statusLabel, statusTone } from '../lib/labels';

function StatusChip({ status }: { status: string }) {
  return (
    <span className={`chip chip-${statusTone(status)}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}

/** A referral's status, and "Urgent" beside it when it is. */
export function ReferralChips({ referral, large = false }: { referral: { status: string; priority: string }; large?: boolean }) {
  return (
    <span className={large ? 'chips chips-large' : 'chips'} data-testid={large ? 'referral-status' : undefined}>
      <StatusChip status={referral.status} />
      {referral.priority === 'urgent' && <span className="chip chip-urgent">Urgent</span>}
    </span>
  );
}
