import { type FormEvent, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { errorMessage } from '../../api/problem';
import { updateUser } from '../../api/session';
import type { Specialty, User } from '../../api/types';
import { apiFieldError, Checkbox, CheckboxGroup, TextField } from '../../components/Field';
import { ErrorPanel, Loading, Notice } from '../../components/Feedback';
import { firstInvalid, useFocusAfterRender } from '../../lib/focus';
import { formatDate, formatDateTime } from '../../lib/format';
import { useAsync, useTitle } from '../../lib/hooks';
import { specialtyLabel } from '../../lib/labels';
import { Link } from '../../lib/router';
import { isAdmin, isPractitioner, useReferenceData, useUser } from '../../lib/session-hooks';
import { ClinicSection } from './ClinicSection';
import { SECURITY_PATH } from './SecurityPage';

export const PROFILE_PATH = '/settings/profile';

/** Your profile as partners see it in the directory, how ReferLoop tells you about things, and account security. */
export function ProfilePage() {
  useTitle('Profile and settings');
  const user = useUser();
  if (!user) return null;
  return (
    <>
      <h1 tabIndex={-1}>Profile and settings</h1>
      {isPractitioner(user) && <ProfileForm user={user} />}
      {isAdmin(user) && <ClinicSection />}
      <NotificationPreferences />
      <section className="card" aria-labelledby="security-heading">
        <h2 id="security-heading">Password and sessions</h2>
        <p className="muted">Change your password and see the devices signed in to your account.</p>
        <Link to={SECURITY_PATH}>Go to account security</Link>
      </section>
    </>
  );
}

const languageList = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((tag) => tag.trim())
    .filter(Boolean);

function ProfileForm({ user }: { user: User }) {
  const reference = useReferenceData();
  const [accepting, setAccepting] = useState(user.acceptingReferrals);
  const [specialties, setSpecialties] = useState<string[]>(user.specialties);
  const [languages, setLanguages] = useState(user.languages.join(', '));
  const [bio, setBio] = useState(user.bio ?? '');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const fieldError = (field: string) => apiFieldError(error, field);
  const formRef = useRef<HTMLFormElement>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const updated = await call(
        api.PATCH('/api/v1/practitioners/{id}', {
          params: { path: { id: user.id } },
          body: {
            acceptingReferrals: accepting,
            specialties: specialties as Specialty[],
            languages: languageList(languages),
            bio: bio.trim() || null,
          },
        }),
      );
      updateUser(updated);
      setSaved(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
    // The button was disabled while saving, which dropped focus: on to a field to fix, or what came of it.
    focusAfter(() => firstInvalid(formRef.current) ?? resultRef.current);
  };

  const licence = user.licence;
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Your profile</h2>
      <p className="muted">What other practitioners see when they look for someone to refer to.</p>
      <form ref={formRef} className="stack" onSubmit={(e) => void submit(e)} noValidate>
        <Checkbox label="I am accepting new referrals" checked={accepting} onChange={setAccepting} />
        <CheckboxGroup
          legend="Specialties"
          name="specialties"
          options={reference.specialties}
          value={specialties}
          onChange={setSpecialties}
          label={specialtyLabel}
        />
        {fieldError('specialties') && <p className="field-error">{fieldError('specialties')}</p>}
        <TextField
          label="Languages you treat in"
          hint="Language codes separated by commas, e.g. en, es, pt-BR"
          error={fieldError('languages')}
          value={languages}
          onChange={setLanguages}
        />
        <TextField
          label="About you"
          hint="A few lines for referring practitioners: your approach, who you see."
          error={fieldError('bio')}
          rows={4}
          value={bio}
          onChange={setBio}
        />
        <div ref={resultRef} tabIndex={-1} className="flash-slot">
          {error !== null && <Notice tone="error">{errorMessage(error)}</Notice>}
          {saved && <Notice tone="success">Your profile is saved.</Notice>}
        </div>
        <div>
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save profile'}
          </button>
        </div>
      </form>
      <h3>Licence</h3>
      {licence ? (
        <dl className="facts">
          <dt>Number</dt>
          <dd>{licence.number}</dd>
          <dt>Issued in</dt>
          <dd>{licence.region}</dd>
          <dt>Expires</dt>
          <dd>
            {formatDate(licence.expiresOn)}
            {user.licenceExpired ? ' (expired)' : ''}
          </dd>
          <dt>Checked by</dt>
          <dd>
            {licence.verifiedAt
              ? `${licence.verifiedBy?.fullName ?? 'A clinic admin'} on ${formatDateTime(licence.verifiedAt)}`
              : 'Not checked yet'}
          </dd>
        </dl>
      ) : (
        <p>No licence recorded.</p>
      )}
      {isAdmin(user) ? (
        <p className="muted small">
          As your clinic's admin, you change and attest your licence under Admin › Practitioners › Edit:{' '}
          <Link to="/admin/practitioners">go to Practitioners</Link>.
        </p>
      ) : (
        <p className="muted small">
          Only a clinic admin can change your licence, after checking it. Ask yours if it needs updating.
        </p>
      )}
    </section>
  );
}

function NotificationPreferences() {
  const preferences = useAsync(async () => call(api.GET('/api/v1/me/notification-preferences')), []);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const setEmail = async (email: boolean) => {
    setError(null);
    setSaved(null);
    try {
      preferences.setData(await call(api.PUT('/api/v1/me/notification-preferences', { body: { email } })));
      setSaved(email ? 'You will get emails about your referrals.' : 'No more emails: you will see everything in ReferLoop.');
    } catch (e) {
      setError(e);
    }
  };

  return (
    <section className="card" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Notifications</h2>
      {preferences.error !== undefined ? (
        <ErrorPanel
          error={preferences.error}
          title="Could not load your notification settings"
          onRetry={() => void preferences.reload()}
        />
      ) : !preferences.data ? (
        <Loading lines={2} />
      ) : (
        <div className="stack">
          <Checkbox label="In ReferLoop (the bell at the top): always on" checked disabled />
          <Checkbox
            label={`By email${preferences.data.emailAvailable ? '' : ' (this ReferLoop does not send emails)'}`}
            checked={preferences.data.email && preferences.data.emailAvailable}
            disabled={!preferences.data.emailAvailable}
            onChange={(checked) => void setEmail(checked)}
          />
          {error !== null && <Notice tone="error">{errorMessage(error)}</Notice>}
          {saved && <Notice tone="success">{saved}</Notice>}
        </div>
      )}
    </section>
  );
}
