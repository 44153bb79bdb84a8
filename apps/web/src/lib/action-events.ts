import type { ReferralAction, ReferralEvent } from '../api/types';

/**
 * The timeline event each action writes, as the API's state machine has it (lib/action-events.spec
 * holds the two together): the action forms recognise their own action in the timeline by it.
 */
export const ACTION_EVENTS: Record<ReferralAction, ReferralEvent['type']> = {
  send: 'sent',
  acknowledge: 'acknowledged',
  accept: 'accepted',
  decline: 'declined',
  'request-info': 'info_requested',
  'provide-info': 'info_provided',
  schedule: 'scheduled',
  unschedule: 'unscheduled',
  reschedule: 'rescheduled',
  'start-care': 'care_started',
  'report-progress': 'progress_reported',
  'add-note': 'note_added',
  'send-outcome': 'outcome_sent',
  close: 'closed',
  cancel: 'cancelled',
  'request-cancel': 'cancel_requested',
  'confirm-cancel': 'cancel_confirmed',
};
