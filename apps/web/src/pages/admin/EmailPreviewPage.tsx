import { api, call } from '../../api/client';
import type { EmailPreview } from '../../api/types';
import { ErrorPanel, Loading } from '../../components/Feedback';
import { useAsync, useTitle } from '../../lib/hooks';
import { humanize } from '../../lib/labels';

export const EMAIL_PREVIEW_PATH = '/admin/email-preview';

/** Audiences whose code name does not say who they are. */
const AUDIENCE_LABELS: Readonly<Record<string, string>> = {
  sender_by_admin: 'Sender, when an admin of their clinic acted for them',
  recipient_by_admin: 'Recipient, when an admin of their clinic acted for them',
  sender_previous: 'Previous sender, when an admin of their clinic handed it to a colleague',
  recipient_previous: 'Previous recipient, when an admin of their clinic handed it to a colleague',
};

/** What each event sends, to whom, on which channels: the server's own texts, with sample data. */
export function EmailPreviewPage() {
  useTitle('Email preview');
  const previews = useAsync(() => call(api.GET('/api/v1/admin/notifications/preview')), []);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Email preview</h1>
      </div>
      <p className="muted">
        Every email ReferLoop sends, with sample clinics and links. Emails to practitioners never name the patient; emails to the
        patient carry no clinical details and a one-click unsubscribe.
      </p>
      {previews.error !== undefined ? (
        <ErrorPanel error={previews.error} title="Could not load the email preview" onRetry={() => void previews.reload()} />
      ) : !previews.data ? (
        <Loading lines={6} />
      ) : (
        <ul className="plain-list">
          {previews.data.items.map((preview) => (
            <li key={`${preview.event}:${preview.audience}`}>
              <PreviewCard preview={preview} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function PreviewCard({ preview }: { preview: EmailPreview }) {
  return (
    <article className="card">
      <h2>{preview.subject}</h2>
      <dl>
        <dt>When</dt>
        <dd>{humanize(preview.event)}</dd>
        <dt>To</dt>
        <dd>{AUDIENCE_LABELS[preview.audience] ?? humanize(preview.audience)}</dd>
        <dt>Channels</dt>
        <dd>{preview.channels.map(humanize).join(', ')}</dd>
      </dl>
      <details>
        <summary>Email text</summary>
        <pre className="prewrap">{preview.text}</pre>
      </details>
    </article>
  );
}
