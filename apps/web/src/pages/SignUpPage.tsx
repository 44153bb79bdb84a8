import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import { startSession } from '../api/session';
import type { PractitionerRole } from '../api/types';
import { Field } from '../components/Field';
import { Notice } from '../components/Feedback';
import { TimeZoneField } from '../components/TimeZoneField';
import { localDate } from '../lib/format';
import { joinLinkRefusal, linkTokenState, takeLinkToken } from '../lib/link-token';
import { browserZone } from '../lib/time-zones';
import { firstInvalid, useFocusAfterRender } from '../lib/focus';
import { useTitle } from '../lib/hooks';
import { humanize, roleLabel } from '../lib/labels';
import { useLeaveGuard } from '../lib/leave-guard';
import { signInAfterLostAnswer } from '../lib/lost-answer';
import { Link, navigate } from '../lib/router';
import { PublicFrame } from './SignInPage';
import { PASSWORD_HINT, PASSWORD_MIN } from './account/password-fields';

const ROLES: readonly PractitionerRole[] = ['massage_therapist', 'physical_therapist'];

type Kind = 'solo' | 'clinic';

interface Values {
  practiceName: string;
  line1: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
  phone: string;
  timezone: string;
  fullName: string;
  email: string;
  password: string;
  role: PractitionerRole;
  licenceNumber: string;
  licenceRegion: string;
  licenceExpiresOn: string;
}

/** API field paths (as problem+json names them) → the form's fields. */
const FIELD_OF: Record<string, keyof Values> = {
  'clinic.name': 'practiceName',
  'clinic.address.line1': 'line1',
  'clinic.address.city': 'city',
  'clinic.address.region': 'region',
  'clinic.address.postalCode': 'postalCode',
  'clinic.address.country': 'country',
  'clinic.phone': 'phone',
  'clinic.timezone': 'timezone',
  'admin.fullName': 'fullName',
  'admin.email': 'email',
  'admin.password': 'password',
  'admin.practitioner.licence.number': 'licenceNumber',
  'admin.practitioner.licence.region': 'licenceRegion',
  'admin.practitioner.licence.expiresOn': 'licenceExpiresOn',
  'admin.practitioner.role': 'role',
};

/** When the API names no field (it always does): the address has an account or an invitation, and nobody is told which. */
const EMAIL_TAKEN =
  'This email is already registered or invited: sign in, or accept the invitation emailed to it (its clinic’s admin can send it again)';

/** The fields only a solo practitioner's form shows. */
const SOLO_ONLY: ReadonlySet<keyof Values> = new Set(['role', 'licenceNumber', 'licenceRegion', 'licenceExpiresOn']);

/** How the error summary names a field the form does not show, by the start of its API path (most specific first). */
const UNSHOWN_LABELS: [string, string][] = [
  ['admin.practitioner.role', 'Your role'],
  ['admin.practitioner.licence', 'Your licence'],
  ['admin.practitioner', 'A practitioner profile (a solo practice)'],
  ['invitationToken', 'The referral link'],
];

/** The API's refusal of a field the form does not show, as one sentence for the error summary. */
const unshownMessage = (field: string, message: string) => {
  // A path not listed: its last part in words ("admin.practitioner.specialties" → "Specialties"), never the raw path.
  const label =
    UNSHOWN_LABELS.find(([path]) => field === path || field.startsWith(`${path}.`))?.[1] ??
    humanize((field.split('.').pop() ?? field).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase());
  return `${label} ${message.replace(/\b(massage_therapist|physical_therapist)\b/g, (role) => roleLabel(role))}.`;
};

/**
 * Creating a practice: a solo practitioner gets one account that is admin and practitioner at once;
 * someone who runs a clinic becomes its admin and invites the practitioners afterwards.
 */
export function SignUpPage() {
  useTitle('Create your practice');
  const [kind, setKind] = useState<Kind>('solo');
  const [invitationToken] = useState(() => takeLinkToken('invitation'));
  // A referral invite is for one practitioner of one role: their practice is a solo one, of that role.
  const [invited, setInvited] = useState<{ fullName: string; role: PractitionerRole } | null>(null);
  const [deadLink, setDeadLink] = useState<unknown>(null);
  const [v, setV] = useState<Values>(() => ({
    practiceName: '',
    line1: '',
    city: '',
    region: '',
    postalCode: '',
    country: 'US',
    phone: '',
    timezone: browserZone(),
    fullName: '',
    email: '',
    password: '',
    role: 'massage_therapist',
    licenceNumber: '',
    licenceRegion: '',
    licenceExpiresOn: '',
  }));
  /** The form as it started (with what a referral invite fills in): leaving it with more typed asks first. */
  const [startedWith, setStartedWith] = useState(v);
  useLeaveGuard(JSON.stringify(v) !== JSON.stringify(startedWith));
  const [errors, setErrors] = useState<Partial<Record<keyof Values, string>>>({});
  const [failure, setFailure] = useState<unknown>(null);
  // The API's refusals of fields the form does not show: listed in the summary, there being no field to mark.
  const [unshown, setUnshown] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  /**
   * The sign-up whose answer never came (the connection dropped on the way back): it may have made
   * the practice. Sent again, its address is then taken by that account, and signing in with what
   * was typed finishes it. A form changed since is another sign-up.
   */
  const lostSignUp = useRef<string | null>(null);
  const focusAfter = useFocusAfterRender();
  const solo = kind === 'solo';

  // Joining through a referral invite: pre-fill who was invited (the person may use another email).
  useEffect(() => {
    if (!invitationToken) return;
    call(api.POST('/api/v1/referral-invites/lookup', { body: { token: invitationToken } })).then(
      (invite) => {
        const role = invite.role as PractitionerRole;
        setKind('solo');
        setV((current) => ({ ...current, email: invite.email, fullName: invite.fullName, role }));
        setStartedWith((current) => ({ ...current, email: invite.email, fullName: invite.fullName, role }));
        setInvited({ fullName: invite.fullName, role });
      },
      (error: unknown) => setDeadLink(error),
    );
  }, [invitationToken]);
  const set = <K extends keyof Values>(key: K, value: Values[K]) => setV((current) => ({ ...current, [key]: value }));

  const validate = () => {
    const next: Partial<Record<keyof Values, string>> = {};
    const required: (keyof Values)[] = ['practiceName', 'line1', 'city', 'region', 'postalCode', 'phone', 'fullName', 'email'];
    if (solo) required.push('licenceNumber', 'licenceRegion', 'licenceExpiresOn');
    for (const key of required) if (!v[key].trim()) next[key] = 'Fill this in.';
    if (v.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.email.trim()))
      next.email = 'Enter an email address like name@example.com.';
    if (v.password.length < PASSWORD_MIN) next.password = `Use at least ${PASSWORD_MIN} characters.`;
    if (!/^[A-Za-z]{2}$/.test(v.country.trim())) next.country = 'Two letters, e.g. US or CA.';
    if (solo && v.licenceExpiresOn && v.licenceExpiresOn < localDate()) next.licenceExpiresOn = 'This date has passed.';
    return next;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found = validate();
    setErrors(found);
    setFailure(null);
    setUnshown([]);
    if (Object.keys(found).length > 0) {
      requestAnimationFrame(() => document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setBusy(true);
    const body = {
      clinic: {
        name: v.practiceName.trim(),
        address: {
          line1: v.line1.trim(),
          city: v.city.trim(),
          region: v.region.trim(),
          postalCode: v.postalCode.trim(),
          country: v.country.trim().toUpperCase(),
        },
        phone: v.phone.trim(),
        timezone: v.timezone,
      },
      admin: {
        email: v.email.trim(),
        password: v.password,
        fullName: v.fullName.trim(),
        ...(solo
          ? {
              practitioner: {
                role: v.role,
                licence: { number: v.licenceNumber.trim(), region: v.licenceRegion.trim(), expiresOn: v.licenceExpiresOn },
              },
            }
          : {}),
      },
      ...(invitationToken && deadLink === null ? { invitationToken } : {}),
    };
    const attempt = JSON.stringify(body);
    try {
      const signedUp = await call(api.POST('/api/v1/auth/register-clinic', { body }));
      startSession(signedUp);
      navigate('/', { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 0) lostSignUp.current = attempt;
      else if (e instanceof ApiError && e.code === 'email_taken' && lostSignUp.current === attempt) {
        if (await signInAfterLostAnswer(body.admin.email, body.admin.password)) return;
      }
      if (e instanceof ApiError) {
        const shown = (key: keyof Values) => solo || !SOLO_ONLY.has(key);
        const fromApi: Partial<Record<keyof Values, string>> = {};
        for (const [path, key] of Object.entries(FIELD_OF)) {
          const message = e.fieldMessage(path);
          if (message && shown(key)) fromApi[key] = message;
        }
        // Taken by an account, or by an invitation not accepted yet: one answer for both (the API's,
        // next to the field), so nobody learns which from the page either.
        if (e.code === 'email_taken') fromApi.email ??= EMAIL_TAKEN;
        const elsewhere = e.fieldErrors.filter(
          ({ field }) =>
            !Object.entries(FIELD_OF).some(([path, key]) => shown(key) && (field === path || field.startsWith(`${path}.`))),
        );
        setErrors(fromApi);
        setUnshown(elsewhere.map(({ field, message }) => unshownMessage(field, message)));
        // As for the form's own checks: take the person to the first field the answer names, or to the
        // summary when it names something no field shows.
        focusAfter(() => (elsewhere.length > 0 ? summaryRef.current : firstInvalid(formRef.current)));
      }
      setFailure(e);
      setBusy(false);
    }
  };

  const text = (key: keyof Values, label: string, props: { type?: string; autoComplete?: string; hint?: string } = {}) => (
    <Field label={label} required={key !== 'country'} hint={props.hint} error={errors[key]}>
      {(p) => (
        <input
          {...p}
          name={key}
          type={props.type ?? 'text'}
          autoComplete={props.autoComplete}
          value={v[key]}
          onChange={(e) => set(key, e.target.value)}
        />
      )}
    </Field>
  );

  return (
    <PublicFrame title="Create your practice" wide>
      <p>
        Already on ReferLoop?{' '}
        {invitationToken && deadLink === null ? (
          <>
            <Link
              to="/sign-in"
              onClick={(event) => {
                // The link's token goes along in the history entry, never in the URL.
                event.preventDefault();
                navigate('/sign-in', { state: linkTokenState('invitation', invitationToken) });
              }}
            >
              Sign in
            </Link>{' '}
            to take the referral with your account.
          </>
        ) : (
          <>
            <Link to="/sign-in">Sign in</Link>.
          </>
        )}
      </p>
      {deadLink !== null && (
        <Notice tone="error">
          {joinLinkRefusal(deadLink)}
          {deadLink instanceof ApiError && deadLink.code === 'validation_failed' && ' Or create your practice without it.'}
        </Notice>
      )}
      {invited && (
        <Notice tone="info">
          Welcome, {invited.fullName}: a clinic wants to send you a referral. Create your practice to receive it.
        </Notice>
      )}
      <div ref={summaryRef} tabIndex={-1} className="summary-anchor">
        {failure !== null && (
          <Notice tone="error">
            {unshown.length > 0 ? (
              <>
                <p className="panel-title">Your practice cannot be created yet</p>
                <ul>
                  {unshown.map((message) => (
                    <li key={message}>{message}</li>
                  ))}
                  {Object.keys(errors).length > 0 && <li>See also the marked fields.</li>}
                </ul>
              </>
            ) : failure instanceof ApiError && failure.code === 'email_taken' ? (
              'This email is already registered or invited: see the message next to it.'
            ) : failure instanceof ApiError && failure.code === 'validation_failed' ? (
              'Some details need another look: see the marked fields.'
            ) : (
              errorMessage(failure)
            )}
          </Notice>
        )}
      </div>
      <form ref={formRef} onSubmit={(event) => void submit(event)} className="stack" noValidate aria-label="Create your practice">
        {invited ? (
          <p data-testid="invited-shape">
            The referral was sent to you as a practitioner ({roleLabel(invited.role)}): you join as a solo practitioner, with one
            account that receives it and sends your own referrals.
          </p>
        ) : (
          <fieldset className="fieldset">
            <legend>How will you use ReferLoop?</legend>
            <div className="choice-grid">
              <label className="choice">
                <input type="radio" name="kind" value="solo" checked={solo} onChange={() => setKind('solo')} />
                <span>
                  <strong>I&apos;m a solo practitioner</strong>
                  <span className="hint">One account: you send and receive referrals and run your practice.</span>
                </span>
              </label>
              <label className="choice">
                <input type="radio" name="kind" value="clinic" checked={!solo} onChange={() => setKind('clinic')} />
                <span>
                  <strong>I run a clinic</strong>
                  <span className="hint">You manage the clinic and invite its practitioners.</span>
                </span>
              </label>
            </div>
          </fieldset>
        )}

        <h2 className="h3">{solo ? 'Your practice' : 'Your clinic'}</h2>
        <div className="grid-2">
          {text('practiceName', solo ? 'Practice name' : 'Clinic name')}
          {text('phone', 'Phone', { type: 'tel', autoComplete: 'tel' })}
          {text('line1', 'Street address', { autoComplete: 'address-line1' })}
          {text('city', 'City', { autoComplete: 'address-level2' })}
          {text('region', 'State or province', { autoComplete: 'address-level1', hint: 'e.g. TX' })}
          {text('postalCode', 'Postal code', { autoComplete: 'postal-code' })}
          {text('country', 'Country', { autoComplete: 'country', hint: 'Two letters, e.g. US or CA' })}
          <TimeZoneField value={v.timezone} onChange={(zone) => set('timezone', zone)} error={errors.timezone} />
        </div>

        {solo && (
          <>
            <h2 className="h3">Your licence</h2>
            <div className="grid-2">
              <Field
                label="You are a"
                required
                hint={invited ? `The referral was sent to you as this: ${roleLabel(invited.role)}.` : undefined}
                error={errors.role}
              >
                {(p) => (
                  <select {...p} name="role" value={v.role} onChange={(e) => set('role', e.target.value as PractitionerRole)}>
                    {/* Joining through a referral invite: only the role it was sent to can take it. */}
                    {(invited ? [invited.role] : ROLES).map((role) => (
                      <option key={role} value={role}>
                        {roleLabel(role)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              {text('licenceNumber', 'Licence number')}
              {text('licenceRegion', 'Licensing state or province', { hint: 'e.g. TX' })}
              <Field label="Licence expires on" required error={errors.licenceExpiresOn}>
                {(p) => (
                  <input
                    {...p}
                    type="date"
                    name="licenceExpiresOn"
                    min={localDate()}
                    value={v.licenceExpiresOn}
                    onChange={(e) => set('licenceExpiresOn', e.target.value)}
                  />
                )}
              </Field>
            </div>
          </>
        )}

        <h2 className="h3">You</h2>
        <div className="grid-2">
          {text('fullName', 'Your full name', { autoComplete: 'name' })}
          {text('email', 'Email', { type: 'email', autoComplete: 'email' })}
          {text('password', 'Password', {
            type: 'password',
            autoComplete: 'new-password',
            hint: PASSWORD_HINT,
          })}
        </div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Creating…' : solo ? 'Create my practice' : 'Create my clinic'}
        </button>
      </form>
    </PublicFrame>
  );
}
