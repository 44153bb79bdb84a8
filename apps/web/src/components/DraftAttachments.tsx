import { useRef, useState } from 'react';
import { api, call } from '../api/client';
import { errorMessage } from '../api/problem';
import type { Attachment, Referral } from '../api/types';
import { ATTACHMENT_ACCEPT, chosenAttachment, removeAttachment, uploadAttachment } from '../lib/attachments';
import { RemoveAttachmentButton, useAttachmentMessage } from './Attachments';
import { apiFieldError } from './Field';

interface Props {
  /** The draft the files are on, once there is one. */
  draftId: string | undefined;
  attachments: Attachment[];
  /**
   * The draft to attach to: the form saves one first when there is none yet. Answers null when the
   * form cannot be saved (its errors are then shown by the form).
   */
  ensureDraft: () => Promise<Referral | null>;
  /** The draft re-read after a file was added or taken off (its attachments and version). */
  onChanged: (draft: Referral) => void;
}

/**
 * Attachments while composing a referral: the first file saves the form as a draft (attachments
 * belong to a referral), and the form goes on editing that draft. Not a <form> of its own: it sits
 * beside the referral form, and Enter in it must not send the referral.
 */
export function DraftAttachments({ draftId, attachments, ensureDraft, onChanged }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useAttachmentMessage();
  /** What is wrong with the chosen file, next to the file input. */
  const [fileError, setFileError] = useState<string | undefined>();

  const upload = async () => {
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
      const draft = await ensureDraft();
      if (!draft) {
        // Focus is on the form's summary of what is missing.
        setMessage(
          { tone: 'error', text: 'Fill in the patient, the recipient and the reason first: the file is kept with the draft.' },
          false,
        );
        return;
      }
      const done = await uploadAttachment(draft.id, file, ' to the draft');
      if (input.current) input.current.value = '';
      onChanged(await reread(draft.id));
      setMessage({ tone: 'success', text: done });
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

  const remove = async (attachment: Attachment) => {
    if (!draftId) return;
    setBusy(true);
    setMessage(null);
    try {
      await removeAttachment(draftId, attachment.id);
      onChanged(await reread(draftId));
      setMessage({ tone: 'success', text: `${attachment.fileName} removed from the draft.` });
    } catch (e) {
      setMessage({ tone: 'error', text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack" data-testid="draft-attachments">
      {attachments.length === 0 ? (
        <p className="muted">No attachments yet.</p>
      ) : (
        <ul className="attachment-list" aria-label="Attached files">
          {attachments.map((a) => (
            <li key={a.id}>
              {a.fileName} <RemoveAttachmentButton attachment={a} disabled={busy} onRemove={(x) => void remove(x)} />
            </li>
          ))}
        </ul>
      )}
      {message}
      <div className="upload">
        <label htmlFor="draft-attachment-file">Add a file (PDF, PNG or JPEG, up to 10 MB)</label>
        <p className="hint" id="draft-attachment-hint">
          The first file saves the referral as a draft; it is sent with the referral.
        </p>
        <div className="upload-row">
          <input
            id="draft-attachment-file"
            ref={input}
            type="file"
            name="file"
            accept={ATTACHMENT_ACCEPT}
            aria-invalid={fileError ? true : undefined}
            aria-describedby={fileError ? 'draft-attachment-hint draft-attachment-error' : 'draft-attachment-hint'}
          />
          <button type="button" className="button button-secondary" disabled={busy} onClick={() => void upload()}>
            {busy ? 'Uploading…' : 'Attach'}
          </button>
        </div>
        {fileError && (
          <p className="field-error" id="draft-attachment-error">
            {fileError}
          </p>
        )}
      </div>
    </div>
  );
}

const reread = (id: string) => call(api.GET('/api/v1/referrals/{id}', { params: { path: { id } } }));
