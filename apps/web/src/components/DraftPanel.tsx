import { useRef, useState } from 'react';
import { api, call } from '../api/client';
import { errorMessage } from '../api/problem';
import type { Referral } from '../api/types';
import { useFocusAfterRender } from '../lib/focus';
import { formatDateTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { recipientParty } from '../lib/labels';
import { Link } from '../lib/router';
import { useReferenceData } from '../lib/session-hooks';
import { useEmergency } from './EmergencyScreen';
import { Loading, Notice } from './Feedback';
import { sharingConsent } from './PatientPicker';

interface Props {
  referral: Referral;
  /** The draft after an edit made here (the emergency advice recorded). */
  onUpdated: (updated: Referral) => void;
}

/**
 * What a draft still needs before it can be sent, for its sender side: edit it, record the
 * patient's consent to sharing (the patient consent call of the sender's clinic), and the emergency
 * advice when an emergency sign is ticked. The Send button itself is among the actions.
 */
export function DraftPanel({ referral, onUpdated }: Props) {
  const reference = useReferenceData();
  const emergency = useEmergency(referral.redFlags);
  const patient = useAsync(
    () => call(api.GET('/api/v1/patients/{id}', { params: { path: { id: referral.patientId } } })),
    [referral.patientId],
  );
  const [consentConfirmed, setConsentConfirmed] = useState(false);
  const [adviceConfirmed, setAdviceConfirmed] = useState(false);
  const [busy, setBusy] = useState<'consent' | 'advice' | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const consent = patient.data ? sharingConsent(patient.data) : undefined;
  const consentRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const recordConsent = async () => {
    setBusy('consent');
    setFailure(null);
    try {
      await call(
        api.POST('/api/v1/patients/{id}/consents', {
          params: { path: { id: referral.patientId } },
          body: { scope: 'referral_sharing' },
        }),
      );
      await patient.reload();
      // The button gives way to the consent on record: focus it there.
      focusAfter(() => consentRef.current);
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(null);
    }
  };

  const recordAdvice = async () => {
    setBusy('advice');
    setFailure(null);
    try {
      onUpdated(
        await call(
          api.PATCH('/api/v1/referrals/{id}', {
            params: { path: { id: referral.id } },
            body: { version: referral.version, emergencyAdviceGiven: true },
          }),
        ),
      );
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="stack" data-testid="draft-panel">
      <p>
        {recipientParty(referral).fullName} sees nothing of it until you send it.{' '}
        <Link to={`/referrals/new?draft=${referral.id}`}>Edit draft</Link>
      </p>
      {patient.data === undefined && patient.error === undefined ? (
        <Loading label="Checking the patient’s consent" lines={2} />
      ) : consent ? (
        <div ref={consentRef} tabIndex={-1} className="flash-slot">
          <Notice tone="success">Consent to share referral information recorded {formatDateTime(consent.grantedAt)}.</Notice>
        </div>
      ) : (
        <div className="panel panel-warning" data-testid="draft-consent">
          <p className="panel-title">No consent to share referral information</p>
          <p>The referral can be sent once the patient has agreed that it is shared with the practitioner you refer them to.</p>
          <label className="checkbox">
            <input type="checkbox" checked={consentConfirmed} onChange={(e) => setConsentConfirmed(e.target.checked)} />
            <span>The patient has given me this consent.</span>
          </label>
          <button
            type="button"
            className="button button-secondary"
            disabled={!consentConfirmed || busy !== null}
            onClick={() => void recordConsent()}
          >
            {busy === 'consent' ? 'Recording…' : 'Record consent'}
          </button>
        </div>
      )}
      {emergency && !referral.emergencyAdviceGiven && (
        <div className="panel panel-error" data-testid="draft-emergency-advice">
          <p className="panel-title">Seek emergency care now</p>
          <p>{reference.emergencyAdvice}</p>
          <label className="checkbox">
            <input type="checkbox" checked={adviceConfirmed} onChange={(e) => setAdviceConfirmed(e.target.checked)} />
            <span>I told the client to seek emergency care now</span>
          </label>
          <button
            type="button"
            className="button button-secondary"
            disabled={!adviceConfirmed || busy !== null}
            onClick={() => void recordAdvice()}
          >
            {busy === 'advice' ? 'Recording…' : 'Record it'}
          </button>
        </div>
      )}
      {failure !== null && (
        <Notice tone="error" role="alert">
          {errorMessage(failure)}
        </Notice>
      )}
    </div>
  );
}
