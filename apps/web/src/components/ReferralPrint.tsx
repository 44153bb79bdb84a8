import { useState } from 'react';
import { download } from '../api/client';
import { errorMessage } from '../api/problem';
import type { Referral } from '../api/types';
import { useFocusAfterRender } from '../lib/focus';
import { Notice } from './Feedback';

/**
 * "Print / PDF": the server-made referral letter and outcome report (fetched with the session's
 * bearer token, saved from a blob URL: no token ever goes in a URL), and the browser's own print
 * of this page, which the print stylesheet reduces to the referral itself.
 */
export function ReferralPrint({ referral }: { referral: Referral }) {
  const [busy, setBusy] = useState<'letter' | 'outcome' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const focusAfter = useFocusAfterRender();

  const get = async (file: 'letter' | 'outcome', button: HTMLButtonElement) => {
    setBusy(file);
    setError(null);
    try {
      await download(`/api/v1/referrals/${referral.id}/${file}.pdf`, `${file === 'letter' ? 'referral' : 'outcome'}.pdf`);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
    // Disabled while preparing, the button lost focus: give it back once it is enabled again.
    focusAfter(() => button);
  };

  return (
    <section className="card detail-print no-print" aria-labelledby="print-heading">
      <h2 id="print-heading">Print / PDF</h2>
      <p className="muted small">For paper or fax: PDFs marked confidential health information.</p>
      <div className="action-buttons">
        <button
          type="button"
          className="button button-secondary"
          disabled={busy !== null}
          onClick={(e) => void get('letter', e.currentTarget)}
        >
          {busy === 'letter' ? 'Preparing…' : 'Referral letter (PDF)'}
        </button>
        {referral.outcome && (
          <button
            type="button"
            className="button button-secondary"
            disabled={busy !== null}
            onClick={(e) => void get('outcome', e.currentTarget)}
          >
            {busy === 'outcome' ? 'Preparing…' : 'Outcome report (PDF)'}
          </button>
        )}
        <button type="button" className="button button-secondary" onClick={() => window.print()}>
          Print this page
        </button>
      </div>
      {error && (
        <Notice tone="error" role="alert">
          {error}
        </Notice>
      )}
    </section>
  );
}
