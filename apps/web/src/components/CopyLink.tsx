import { useRef, useState } from 'react';

/**
 * A link to hand over (by phone, message or letter): read-only, selected on focus, with a button
 * that copies it. Where the clipboard API is missing (plain http on a network address), the
 * browser's copy command takes the selected text; if that fails too, the person is told to copy it.
 */
export function CopyLink({ id, label, url, hideLabel = false }: { id: string; label: string; url: string; hideLabel?: boolean }) {
  const input = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setStatus('Link copied.');
    } catch {
      input.current?.select();
      setStatus(document.execCommand('copy') ? 'Link copied.' : 'Select the link and copy it.');
    }
  };
  return (
    <>
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <div className="copy-row">
        <input ref={input} id={id} type="text" readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="button button-secondary" onClick={() => void copy()}>
          Copy link
        </button>
      </div>
      <span role="status" className="muted small">
        {status}
      </span>
    </>
  );
}
