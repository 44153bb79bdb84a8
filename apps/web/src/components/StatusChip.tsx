import { statusLabel, statusTone } from '../lib/labels';

export function StatusChip({ status }: { status: string }) {
  return (
    <span className={`chip chip-${statusTone(status)}`} data-status={status}>
      {statusLabel(status)}
    </span>
  );
}

export function PriorityBadge({ priority }: { priority: string }) {
  if (priority !== 'urgent') return null;
  return <span className="chip chip-urgent">Urgent</span>;
}
