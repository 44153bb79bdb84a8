import { type FormEvent, useRef, useState } from 'react';
import { api, call, download } from '../api/client';
import { errorMessage } from '../api/problem';
import type { Attachment } from '../api/types';
import { formatDateTime } from '../lib/format';
import { Notice } from './Feedback';

const MAX_BYTES = 10 * 1024 * 1024;
const ACCEPT = '.pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg';

const size = (bytes: number) =>
  bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface Props {
  referralId: string;
  attachments: Attachment[];
  canUpload: boolean;
  onUploaded: () => void;
}

export function Attachments({ referralId, attachments, canUpload, onUploaded }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);

  const upload = async (event: FormEvent) => {
    event.preventDefault();
    const file = input.current?.files?.[0];
    if (!file) {
      setMessage({ tone: 'error', text: 'Choose a file first.' });
      return;
    }
    if (file.size > MAX_BYTES) {
      setMessage({ tone: 'error', text: 'Files up to 10 MB only.' });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      await call(
        api.POST('/api/v1/referrals/{id}/attachments', {
          params: { path: { id: referralId } },
          body: { file: '' },
          bodySerializer: () => {
            const form = new FormData();
            form.append('file', file, file.name);
            return form;
          },
        }),
      );
      if (input.current) input.current.value = '';
      setMessage({ tone: 'success', text: `${file.name} attached.` });
      onUploaded();
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
            </li>
          ))}
        </ul>
      )}
      {message && <Notice tone={message.tone}>{message.text}</Notice>}
      {canUpload ? (
        <form className="upload" onSubmit={(event) => void upload(event)}>
          <label htmlFor="attachment-file">Add a file (PDF, PNG or JPEG, up to 10 MB)</label>
          <div className="upload-row">
            <input id="attachment-file" ref={input} type="file" name="file" accept={ACCEPT} />
            <button type="submit" className="button button-secondary" disabled={busy}>
              {busy ? 'Uploading…' : 'Upload'}
            </button>
          </div>
        </form>
      ) : (
        <p className="muted small">Attachments are frozen once a referral is sent.</p>
      )}
    </div>
  );
}
