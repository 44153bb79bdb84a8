import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { errorMessage } from '../../api/problem';
import type { components } from '../../api/schema';
import { apiFieldError, CheckboxGroup, TextField } from '../../components/Field';
import { ConfirmInRow } from '../../components/ConfirmInRow';
import { ErrorPanel, Notice } from '../../components/Feedback';
import { firstInvalid, screenHeading, useFocusAfterRender } from '../../lib/focus';
import { formatDateTimeInZone } from '../../lib/format';
import { useAsync, useTitle } from '../../lib/hooks';
import { notificationTypeLabel } from '../../lib/labels';
import { TimesTable, useClinicTimeZone } from './ClinicTime';

export const WEBHOOKS_PATH = '/admin/webhooks';

type Webhook = components['schemas']['WebhookDto'];
type EventType = components['schemas']['CreateWebhookDto']['eventTypes'][number];

/** Every event a webhook may ask for, `*` (all of them) first. */
const EVENT_TYPES: readonly EventType[] = [
  '*',
  'referral.created',
  'referral.draft_updated',
  'referral.sent',
  'referral.acknowledged',
  'referral.accepted',
  'referral.declined',
  'referral.info_requested',
  'referral.info_provided',
  'referral.scheduled',
  'referral.unscheduled',
  'referral.rescheduled',
  'referral.care_started',
  'referral.progress_reported',
  'referral.note_added',
  'referral.message',
  'referral.document_added',
  'referral.outcome_sent',
  'referral.closed',
  'referral.cancelled',
  'referral.cancel_requested',
  'referral.cancel_confirmed',
  'referral.expired',
  'referral.auto_closed',
  'referral.reminder_sent',
  'referral.escalated',
  'referral.reassigned',
  'referral.recipient_joined',
  'referral.progress_report_due',
];

const eventName = (type: string) => (type === '*' ? 'All events' : notificationTypeLabel(type));

/**
 * The clinic's webhooks (clinic admins): where ReferLoop posts a signed message when one of its
 * referrals changes. A webhook's signing secret is shown once, when it is added; it is then removed
 * from the screen and can only be replaced by adding the webhook again.
 */
export function WebhooksPage() {
  useTitle('Webhooks');
  const list = useAsync(async () => (await call(api.GET('/api/v1/webhooks'))).items, []);
  // When each was added, on the clinic's clocks, the zone named.
  const zone = useClinicTimeZone();
  const [created, setCreated] = useState<Webhook | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const createdRef = useRef<HTMLDivElement>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const remove = async (hook: Webhook) => {
    setBusy(true);
    setOutcome(null);
    try {
      await call(api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: hook.id } } }));
      setConfirming(null);
      if (created?.id === hook.id) setCreated(null);
      setOutcome({ tone: 'success', text: `The webhook to ${hook.url} is deleted: nothing more is sent to it.` });
      await list.reload();
    } catch (e) {
      setOutcome({ tone: 'error', text: `Could not delete the webhook: ${errorMessage(e)}` });
    } finally {
      setBusy(false);
    }
    // The row and its buttons are gone: say what happened instead.
    focusAfter(() => outcomeRef.current);
  };

  const dismissSecret = () => {
    setCreated(null);
    // The panel and its button are gone: back to the top of the page.
    focusAfter(screenHeading);
  };

  return (
    <>
      <h1 tabIndex={-1}>Webhooks</h1>
      <p className="muted">
        ReferLoop posts a JSON message to each address below when one of your clinic’s referrals changes, signed with the
        webhook’s secret (HMAC-SHA256 in the <code>X-ReferLoop-Signature</code> header). Messages carry ids only, never patient
        details.
      </p>

      {created?.secret && (
        <div ref={createdRef} tabIndex={-1} className="panel panel-success" role="status" data-testid="webhook-secret">
          <p className="panel-title">Webhook added for {created.url}</p>
          <p>
            <strong>Store this signing secret now:</strong> it is shown only this once. Your system checks each message’s
            signature with it.
          </p>
          <label htmlFor="webhook-secret">Signing secret</label>
          <div className="copy-row">
            <input id="webhook-secret" type="text" readOnly value={created.secret} onFocus={(e) => e.currentTarget.select()} />
          </div>
          <p>
            <button type="button" className="button button-secondary button-small" onClick={dismissSecret}>
              I have stored it
            </button>
          </p>
        </div>
      )}

      <AddWebhook
        onAdded={(hook) => {
          setCreated(hook);
          setOutcome(null);
          void list.reload();
          focusAfter(() => createdRef.current);
        }}
      />

      <section className="card" aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Your webhooks</h2>
        <div ref={outcomeRef} tabIndex={-1} className="flash-slot">
          {outcome && <Notice tone={outcome.tone}>{outcome.text}</Notice>}
        </div>
        {list.error !== undefined ? (
          <ErrorPanel error={list.error} title="Could not load the webhooks" onRetry={() => void list.reload()} />
        ) : (
          <TimesTable
            zone={zone}
            rows={list.data}
            loadingLines={3}
            empty="No webhooks yet."
            columns={['Address', 'Events', 'Added', <span className="visually-hidden">Actions</span>]}
            testId="webhooks-table"
            labelledBy="webhooks-heading"
            row={(hook, timeZone) => (
              <tr key={hook.id} data-webhook-url={hook.url}>
                <th scope="row" className="break-all">
                  {hook.url}
                </th>
                <td data-label="Events" className="small">
                  {hook.eventTypes.map(eventName).join(', ')}
                </td>
                <td data-label="Added" className="small">
                  {formatDateTimeInZone(hook.createdAt, timeZone)}
                </td>
                <td>
                  <ConfirmInRow
                    asking={confirming === hook.id}
                    id={hook.id}
                    label={`Delete the webhook to ${hook.url}?`}
                    question="Delete it? Nothing more is sent to this address."
                    yes="Yes, delete"
                    keep="Keep it"
                    busy={busy}
                    onAsk={() => setConfirming(hook.id)}
                    onYes={() => void remove(hook)}
                    onKeep={() => setConfirming(null)}
                  >
                    {(ask) => (
                      <button
                        {...ask}
                        type="button"
                        className="button button-secondary button-small"
                        data-delete={hook.id}
                        aria-label={`Delete the webhook to ${hook.url}`}
                      >
                        Delete
                      </button>
                    )}
                  </ConfirmInRow>
                </td>
              </tr>
            )}
          />
        )}
      </section>
    </>
  );
}

function AddWebhook({ onAdded }: { onAdded: (hook: Webhook) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [errors, setErrors] = useState<{ url?: string; eventTypes?: string }>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: typeof errors = {};
    if (!url.trim()) found.url = 'Enter the address to post to.';
    else if (!/^https?:\/\/\S+$/i.test(url.trim())) found.url = 'Enter a web address starting with https://';
    if (events.length === 0) found.eventTypes = 'Choose at least one event, or all events.';
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length > 0) {
      focusAfter(() => firstInvalid(formRef.current));
      return;
    }
    setBusy(true);
    try {
      // All events: the one `*`, not a list that would miss events added later.
      const eventTypes = (events.includes('*') ? ['*'] : events) as EventType[];
      const hook = await call(api.POST('/api/v1/webhooks', { body: { url: url.trim(), eventTypes } }));
      setUrl('');
      setEvents([]);
      onAdded(hook);
    } catch (e) {
      setFailure(e);
      setErrors({ url: apiFieldError(e, 'url'), eventTypes: apiFieldError(e, 'eventTypes') });
      focusAfter(() => firstInvalid(formRef.current));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="add-webhook-heading">
      <h2 id="add-webhook-heading">Add a webhook</h2>
      <form ref={formRef} className="stack" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="add-webhook-heading">
        <TextField
          label="Address"
          hint="An https address of your system, e.g. https://example.com/referloop"
          required
          name="url"
          autoComplete="url"
          value={url}
          onChange={setUrl}
          error={errors.url}
        />
        <CheckboxGroup
          legend="Events"
          hint="All events includes those added to ReferLoop later."
          name="eventTypes"
          options={EVENT_TYPES}
          value={events}
          onChange={setEvents}
          label={eventName}
          columns={3}
          error={errors.eventTypes}
        />
        {failure !== null && <Notice tone="error">{errorMessage(failure)}</Notice>}
        <div className="actions-row">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Adding…' : 'Add webhook'}
          </button>
        </div>
      </form>
    </section>
  );
}
