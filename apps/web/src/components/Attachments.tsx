import { type FormEvent, type ReactNode, useRef, useState } from 'react';
import { download } from '../api/client';
import { errorMessage } from '../api/problem';
import type { Attachment, Referral } from '../api/types';
import { useFocusAfterRender } from '../lib/focus';
import { formatDateTime } from '../lib/format';
import { useReferenceData, useUser } from '../lib/session-hooks';
import { apiFieldError } from './Field';
import { ATTACHMENT_ACCEPT, chosenAttachment, removeAttachment, uploadAttachment } from '../lib/attachments';
import { Notice } from './Feedback';

const size = (bytes: number) =>
  bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface Props {
  referralId: string;
  attachments: Attachment[];
  canUpload: boolean;
  /** A file was added or taken off: re-read the referral. */
  onChanged: () => void;
  /** The referral was sent: what is added now is told to the other side. */
  afterSend?: boolean;
  /** Who uploaded a document added after sending. */
  uploaderName?: (attachment: Attachment) => string;
  /** Shown instead of the form when nothing can be added. */
  lockedText?: string;
}

/**
 * The attachments of a referral as its detail page shows them. While it is a draft its sender side
 * adds files; once sent, either side may add a document (a late X-ray report) until the referral
 * ends: the other side is told, and such documents are marked as added after sending. A draft's
 * sender side may take a file off; once sent, nothing is removed or replaced.
 */
export function ReferralAttachments({ referral, onChanged }: { referral: Referral; onChanged: () => void }) {
  const user = useUser()!;
  const { terminalStatuses } = useReferenceData();
  const sent = referral.sentAt !== null;
  const ended = terminalStatuses.includes(referral.status);
  // By the name the API gives: a practitioner since reassigned, or an admin, is named too.
  const uploaderName = (a: Attachment) => (a.uploadedBy === user.id ? 'you' : a.uploadedByName);
  return (
    <Attachments
      referralId={referral.id}
      attachments={referral.attachments ?? []}
      canUpload={sent ? !ended : referral.allowedActions.includes('send')}
      onChanged={onChanged}
      afterSend={sent}
      uploaderName={uploaderName}
      lockedText={ended ? 'No documents can be added: this referral has ended.' : 'Only the sender side adds files to a draft.'}
    />
  );
}

/** A list of attachments (each downloads on click) and, when allowed, a form to add one. */
export function Attachments({
  referralId,
  attachments,
  canUpload,
  onChanged,
  afterSend = false,
  uploaderName,
  lockedText = 'No files can be added now.',
}: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useAttachmentMessage();
  /** What is wrong with the chosen file, next to the file input. */
  const [fileError, setFileError] = useState<string | undefined>();

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    const chosen = chosenAttachment(input.current?.files?.[0]);
    if ('problem' in chosen) {
      setMessage(null);
      setFileError(chosen.problem);
      input.current?.focus();
      return;
    }
    const { file } = chosen;
    setBusy(true);
    setMessage(null);
    setFileError(undefined);
    try {
      const done = await uploadAttachment(referralId, file, '');
      if (input.current) input.current.value = '';
      setMessage({ tone: 'success', text: done });
      onChanged();
    } catch (e) {
      const problem = apiFieldError(e, 'file');
      if (problem) {
        setFileError(problem);
        input.current?.focus();
      } else setMessage({ tone: 'error', text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  // Before sending, who may add to the draft may take a file off it too.
  const canRemove = canUpload && !afterSend;
  const remove = async (a: Attachment) => {
    setBusy(true);
    setMessage(null);
    try {
      await removeAttachment(referralId, a.id);
      setMessage({ tone: 'success', text: `${a.fileName} removed.` });
      onChanged();
    } catch (e) {
      setMessage({ tone: 'error', text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  const get = (a: Attachment) =>
    download(`/api/v1/referrals/${referralId}/attachments/${a.id}`, a.fileName).catch((e: unknown) =>
      setMessage({ tone: 'error', text: errorMessage(e) }),
    );

  return (
    <div className="stack">
      {attachments.length === 0 ? (
        <p className="muted">No attachments.</p>
      ) : (
        <ul className="attachment-list">
          {attachments.map((a) => (
            <li key={a.id}>
              <button type="button" className="link-button" onClick={() => void get(a)}>
                {a.fileName}
              </button>
              <span className="muted small">
                {a.contentType.replace('application/', '').replace('image/', '').toUpperCase()} · {size(a.sizeBytes)} ·{' '}
                {formatDateTime(a.createdAt)}
              </span>
              {canRemove && <RemoveAttachmentButton attachment={a} disabled={busy} onRemove={(x) => void remove(x)} />}
              {a.addedAfterSend && (
                <span className="muted small" data-testid="added-after-send">
                  <span className="tag">Added after sending</span>
                  {uploaderName && ` by ${uploaderName(a)}`}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {message}
      {canUpload ? (
        <form className="upload" onSubmit={(event) => void upload(event)}>
          <label htmlFor="attachment-file">Add a file (PDF, PNG or JPEG, up to 10 MB)</label>
          {afterSend && (
            <p className="hint" id="attachment-file-hint">
              The referral is sent: the other side is told about a document you add now.
            </p>
          )}
          <div className="upload-row">
            <input
              id="attachment-file"
              ref={input}
              type="file"
              name="file"
              accept={ATTACHMENT_ACCEPT}
              aria-invalid={fileError ? true : undefined}
              aria-describedby={
                [afterSend && 'attachment-file-hint', fileError && 'attachment-file-error'].filter(Boolean).join(' ') || undefined
              }
            />
            <button type="submit" className="button button-secondary" disabled={busy}>
              {busy ? 'Uploading…' : 'Upload'}
            </button>
          </div>
          {fileError && (
            <p className="field-error" id="attachment-file-error">
              {fileError}
            </p>
          )}
        </form>
      ) : (
        <p className="muted small">{lockedText}</p>
      )}
    </div>
  );
}

/** Takes a file off a draft: named after the file, for whoever cannot see which row it is on. */
export function RemoveAttachmentButton({
  attachment,
  disabled,
  onRemove,
}: {
  attachment: Attachment;
  disabled: boolean;
  onRemove: (attachment: Attachment) => void;
}) {
  return (
    <button
      type="button"
      className="link-button"
      aria-label={`Remove ${attachment.fileName}`}
      disabled={disabled}
      onClick={() => onRemove(attachment)}
    >
      Remove
    </button>
  );
}

type Outcome = { tone: 'success' | 'error'; text: string };

/**
 * What came of adding or taking off a file, and a setter that shows it and moves focus to it: the
 * button pressed is disabled meanwhile (or gone with its row), and focus would fall to <body>. With
 * `focus` false, it leaves focus to what has taken it (the form's own summary of what is missing).
 */
export function useAttachmentMessage(): [ReactNode, (outcome: Outcome | null, focus?: boolean) => void] {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const slot = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  const show = (next: Outcome | null, focus = true) => {
    setOutcome(next);
    if (next && focus) focusAfter(() => slot.current);
  };
  const shown = outcome && (
    <div ref={slot} tabIndex={-1} className="flash-slot">
      <Notice tone={outcome.tone}>{outcome.text}</Notice>
    </div>
  );
  return [shown, show];
}
