import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { ApiError, errorMessage } from '../../api/problem';
import type { Practitioner, PractitionerRole, Specialty, User } from '../../api/types';
import { CopyLink } from '../../components/CopyLink';
import { CheckboxGroup, Field } from '../../components/Field';
import { ConfirmInRow } from '../../components/ConfirmInRow';
import { ErrorPanel, Loading, Notice } from '../../components/Feedback';
import { useFocusAfterRender } from '../../lib/focus';
import { calendarDateInZone, daysUntil, formatDate, formatDateTimeInZone, localDate } from '../../lib/format';
import { useAsync, useTitle } from '../../lib/hooks';
import { roleLabel, specialtyLabel } from '../../lib/labels';
import { Link } from '../../lib/router';
import { useReferenceData } from '../../lib/session-hooks';
import { browserZone } from '../../lib/time-zones';
import { clinicMembers } from './admin-data';
import { useClinicTimeZone } from './ClinicTime';
import { InvitationsSection, type IssuedLink } from './InvitationsSection';

const EXPIRY_WARNING_DAYS = 60;

interface FormValues {
  email: string;
  fullName: string;
  role: PractitionerRole;
  licenceNumber: string;
  licenceRegion: string;
  licenceExpiresOn: string;
  specialties: Specialty[];
  languages: string;
  acceptingReferrals: boolean;
  bio: string;
  isAdmin: boolean;
}

const blank: FormValues = {
  email: '',
  fullName: '',
  role: 'massage_therapist',
  licenceNumber: '',
  licenceRegion: '',
  licenceExpiresOn: '',
  specialties: [],
  languages: 'en',
  acceptingReferrals: true,
  bio: '',
  isAdmin: false,
};

const fromPractitioner = (p: Practitioner): FormValues => ({
  email: p.email ?? '',
  fullName: p.fullName,
  role: p.role === 'physical_therapist' ? 'physical_therapist' : 'massage_therapist',
  licenceNumber: p.licence?.number ?? '',
  licenceRegion: p.licence?.region ?? '',
  licenceExpiresOn: p.licence?.expiresOn ?? '',
  specialties: p.specialties as Specialty[],
  languages: p.languages.join(', '),
  acceptingReferrals: p.acceptingReferrals,
  bio: p.bio ?? '',
  isAdmin: p.isAdmin,
});

/**
 * A practitioner's licence; when it was attested, and the days left until it expires, are days on
 * the calendar of `timeZone` (the clinic's, as the API's `licenceExpired` reads it).
 */
export function LicenceStatus({ practitioner, timeZone }: { practitioner: Practitioner; timeZone: string }) {
  if (!practitioner.licence) return <span className="muted">—</span>;
  const days = daysUntil(practitioner.licence.expiresOn, timeZone);
  return (
    <span className="licence">
      <span>
        {practitioner.licence.number} ({practitioner.licence.region})
      </span>
      <span className="small">expires {formatDate(practitioner.licence.expiresOn)}</span>
      {practitioner.licence.verifiedAt ? (
        <span className="small muted">
          attested {formatDate(calendarDateInZone(practitioner.licence.verifiedAt, timeZone))}
          {practitioner.licence.verifiedBy?.fullName ? ` by ${practitioner.licence.verifiedBy.fullName}` : ''}
        </span>
      ) : null}
      {practitioner.licenceExpired || days < 0 ? (
        <span className="chip chip-danger" data-testid="licence-expired">
          Licence expired: hidden from the directory
        </span>
      ) : days <= EXPIRY_WARNING_DAYS ? (
        <span className="chip chip-warning" data-testid="licence-expiring">
          Expires in {days} {days === 1 ? 'day' : 'days'}
        </span>
      ) : null}
    </span>
  );
}

export function PractitionersPage({ user }: { user: User }) {
  useTitle('Practitioners');
  // Every member of the clinic, from its own list (the directory hides expired licences: a
  // practitioner whose licence lapsed, or was mistyped, vanished from the page that fixes it).
  const members = useAsync(() => clinicMembers(), [user.clinicId]);
  const list = {
    ...members,
    data: members.data?.filter((p) => p.active && p.status === 'active' && p.role !== 'clinic_admin'),
  };
  // Until when an invitation link is valid, on the clinic's clocks, the zone named (here and in the invitations below).
  const zone = useClinicTimeZone();
  const [inviting, setInviting] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [invitation, setInvitation] = useState<IssuedLink | null>(null);
  const [invitationsKey, setInvitationsKey] = useState(0);
  const inviteButton = useRef<HTMLButtonElement>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const deactivated = members.data?.filter((p) => !p.active);
  const [justDeactivated, setJustDeactivated] = useState<string | null>(null);
  const [justReactivated, setJustReactivated] = useState<string | null>(null);
  const [justSaved, setJustSaved] = useState<string | null>(null);
  const [accessError, setAccessError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const focusAfter = useFocusAfterRender();
  const tableRef = useRef<HTMLDivElement>(null);
  const invitationRef = useRef<HTMLDivElement>(null);
  const inviteForm = useRef<HTMLElement>(null);
  const accessRef = useRef<HTMLDivElement>(null);
  /** A row's Edit button found again after its form gave way to the row. */
  const rowButton = (label: string) => tableRef.current?.querySelector(`button[aria-label="${CSS.escape(label)}"]`);
  /** A new action starts: what the last one said no longer applies. */
  const clearNotices = () => {
    setAccessError(null);
    setJustDeactivated(null);
    setJustReactivated(null);
    setJustSaved(null);
  };

  const setActive = async (practitioner: Practitioner, active: boolean) => {
    setBusy(true);
    clearNotices();
    try {
      const path = active ? '/api/v1/practitioners/{id}/reactivate' : '/api/v1/practitioners/{id}/deactivate';
      await call(api.POST(path, { params: { path: { id: practitioner.id } } }));
      setConfirming(null);
      if (active) setJustReactivated(practitioner.fullName);
      else setJustDeactivated(practitioner.fullName);
      await members.reload();
    } catch (e) {
      setAccessError(e);
    } finally {
      setBusy(false);
    }
    // The pressed button left with its row (now listed or no longer): say what happened instead.
    focusAfter(() => accessRef.current);
  };

  const expiring = (list.data ?? []).filter(
    (p) =>
      p.licence && (p.licenceExpired || daysUntil(p.licence.expiresOn, zone?.timeZone ?? browserZone()) <= EXPIRY_WARNING_DAYS),
  );

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Practitioners</h1>
        <button
          ref={inviteButton}
          type="button"
          className="button button-primary"
          aria-expanded={inviting}
          aria-controls="invite-form"
          onClick={() => {
            clearNotices();
            setInvitation(null);
            if (inviting) setInviting(false);
            else {
              setInviting(true);
              // The form opens below the button: start on its first field.
              focusAfter(() => inviteForm.current?.querySelector('input, select, textarea'));
            }
          }}
        >
          Invite a practitioner
        </button>
      </div>

      {invitation && (
        <div ref={invitationRef} tabIndex={-1} className="panel panel-success" role="status" data-testid="invitation">
          <p className="panel-title">{invitation.name} is invited</p>
          <p>
            Send them this link (valid until {formatDateTimeInZone(invitation.expiresAt, zone?.timeZone ?? browserZone())}); it is
            also emailed to them when email is set up. They choose a password there and can start at once. Any earlier link for
            them no longer works.
          </p>
          <CopyLink id="invitation-url" label="Invitation link" url={invitation.url} hideLabel />
        </div>
      )}

      {inviting && (
        <section ref={inviteForm} className="card" id="invite-form" aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite a practitioner</h2>
          <PractitionerForm
            mode="invite"
            initial={blank}
            onCancel={() => {
              setInviting(false);
              inviteButton.current?.focus();
            }}
            onSaved={(saved, issued) => {
              setInviting(false);
              if (issued) setInvitation({ name: saved.fullName, ...issued });
              setInvitationsKey((k) => k + 1);
              // The form is gone: on to the link to hand over.
              focusAfter(() => invitationRef.current ?? inviteButton.current);
            }}
          />
        </section>
      )}

      <div ref={accessRef} tabIndex={-1} className="flash-slot">
        {accessError !== null && <Notice tone="error">{errorMessage(accessError)}</Notice>}
        {justSaved && <Notice tone="success">{justSaved}</Notice>}
        {justDeactivated && (
          <Notice tone="success">
            {justDeactivated} is deactivated: signed out everywhere, unable to sign in and out of the directory. Their open
            referrals wait for you under <Link to="/admin/unowned">Unowned referrals</Link>.
          </Notice>
        )}
        {justReactivated && <Notice tone="success">{justReactivated} is reactivated: they can sign in again.</Notice>}
      </div>

      {expiring.length > 0 && (
        <Notice tone="warning">
          {expiring.length === 1 ? '1 licence needs' : `${expiring.length} licences need`} renewing soon:{' '}
          {expiring.map((p) => p.fullName).join(', ')}. A practitioner with an expired licence is hidden from the directory and
          cannot accept referrals.
        </Notice>
      )}

      {list.error !== undefined ? (
        <ErrorPanel error={list.error} title="Could not load the practitioners" onRetry={() => void list.reload()} />
      ) : !list.data ? (
        <Loading lines={5} />
      ) : list.data.length === 0 ? (
        <p className="empty">No practitioners have joined yet. Invite your first one.</p>
      ) : (
        <div ref={tableRef} className="table-wrap">
          <table className="table" data-testid="practitioners-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Licence</th>
                <th scope="col">Referrals</th>
                <th scope="col">Specialties</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((p) =>
                editing === p.id ? (
                  <tr key={p.id}>
                    <td colSpan={5}>
                      <h2 className="h3">Edit {p.fullName}</h2>
                      <PractitionerForm
                        mode="edit"
                        id={p.id}
                        initial={fromPractitioner(p)}
                        onCancel={() => {
                          setEditing(null);
                          focusAfter(() => rowButton(`Edit ${p.fullName}`));
                        }}
                        onSaved={(saved) => {
                          setEditing(null);
                          setJustSaved(`${saved.fullName}'s details are saved.`);
                          void list.reload();
                          // The form is gone: say it worked, above the list.
                          focusAfter(() => accessRef.current);
                        }}
                      />
                    </td>
                  </tr>
                ) : (
                  <tr key={p.id}>
                    <th scope="row">
                      {p.fullName}
                      <span className="row-sub muted small">
                        {roleLabel(p.role)} · {p.email}
                      </span>
                      {p.isAdmin && <span className="chip chip-neutral">Admin</span>}
                    </th>
                    <td data-label="Licence">
                      <LicenceStatus practitioner={p} timeZone={zone?.timeZone ?? browserZone()} />
                    </td>
                    <td data-label="Referrals">{p.acceptingReferrals ? 'Accepting' : 'Not accepting'}</td>
                    <td data-label="Specialties" className="small">
                      {p.specialties.map(specialtyLabel).join(', ') || '—'}
                    </td>
                    <td>
                      <ConfirmInRow
                        asking={confirming === p.id}
                        id={p.id}
                        label={`Deactivate ${p.fullName}?`}
                        question={`Deactivate ${p.fullName}? They are signed out at once and cannot sign in.`}
                        yes="Yes, deactivate"
                        keep="Keep active"
                        busy={busy}
                        onAsk={() => {
                          clearNotices();
                          setConfirming(p.id);
                        }}
                        onYes={() => void setActive(p, false)}
                        onKeep={() => {
                          setConfirming(null);
                          clearNotices();
                        }}
                      >
                        {(ask) => (
                          <div className="actions-row">
                            <button
                              type="button"
                              className="button button-secondary button-small"
                              onClick={() => {
                                clearNotices();
                                setEditing(p.id);
                                focusAfter(() => tableRef.current?.querySelector('form input, form select, form textarea'));
                              }}
                              aria-label={`Edit ${p.fullName}`}
                            >
                              Edit
                            </button>
                            {/* Not yourself: another admin deactivates you (a solo practice keeps its one admin). */}
                            {p.status === 'active' && p.id !== user.id && (
                              <button
                                {...ask}
                                type="button"
                                className="button button-secondary button-small"
                                aria-label={`Deactivate ${p.fullName}`}
                              >
                                Deactivate
                              </button>
                            )}
                          </div>
                        )}
                      </ConfirmInRow>
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
      {deactivated && deactivated.length > 0 && (
        <section className="card" aria-labelledby="deactivated-heading">
          <h2 id="deactivated-heading">Deactivated</h2>
          <ul className="plain-list" data-testid="deactivated-list">
            {deactivated.map((p) => (
              <li key={p.id} className="actions-row">
                <span>
                  {p.fullName} <span className="muted small">({roleLabel(p.role)})</span>
                </span>
                <button
                  type="button"
                  className="button button-secondary button-small"
                  disabled={busy}
                  onClick={() => void setActive(p, true)}
                >
                  Reactivate {p.fullName}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <p className="muted small">
        A practitioner whose licence has expired is marked here and hidden from the directory until you renew it. Deactivated ones
        are under Deactivated, where you can reactivate them; people who have not yet joined are in the invitations below.
      </p>
      <InvitationsSection
        reloadKey={invitationsKey}
        zone={zone}
        onLink={(link) => {
          setInvitation(link);
          // The re-sent link is shown at the top: on to it, to copy and hand over.
          focusAfter(() => invitationRef.current);
        }}
        // A revoked link no longer works: it must not stay on screen to be copied.
        onRevoked={(email) => setInvitation((shown) => (shown?.email.toLowerCase() === email.toLowerCase() ? null : shown))}
      />
    </>
  );
}

interface FormProps {
  mode: 'invite' | 'edit';
  id?: string;
  initial: FormValues;
  onCancel: () => void;
  /** `invitation`: the link of a new invitation, to hand over. */
  onSaved: (saved: Practitioner, invitation?: Omit<IssuedLink, 'name'>) => void;
}

function PractitionerForm({ mode, id, initial, onCancel, onSaved }: FormProps) {
  const reference = useReferenceData();
  const [v, setV] = useState<FormValues>(initial);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof FormValues>(key: K, value: FormValues[K]) => setV((current) => ({ ...current, [key]: value }));
  const fieldError = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);
  const formRef = useRef<HTMLFormElement>(null);
  // The server's answer may name a field far above the button: take the person to it.
  useEffect(() => {
    const form = formRef.current;
    if (error === null || !form) return;
    const field = form.querySelector<HTMLElement>('[aria-invalid="true"]');
    if (field) field.focus();
    else form.querySelector('[role="alert"]')?.scrollIntoView({ block: 'nearest' });
  }, [error]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const common = {
      fullName: v.fullName.trim(),
      licence: { number: v.licenceNumber.trim(), region: v.licenceRegion.trim(), expiresOn: v.licenceExpiresOn },
      specialties: v.specialties,
      languages: v.languages
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
      acceptingReferrals: v.acceptingReferrals,
      bio: v.bio.trim() || null,
    };
    try {
      if (mode === 'invite') {
        const invited = await call(
          api.POST('/api/v1/practitioners', { body: { ...common, email: v.email.trim(), role: v.role } }),
        );
        const { url, expiresAt } = invited.invitation;
        onSaved(invited, { url, expiresAt, email: v.email.trim() });
      } else {
        const adminChange = v.isAdmin !== initial.isAdmin ? { isAdmin: v.isAdmin } : {};
        onSaved(
          await call(
            api.PATCH('/api/v1/practitioners/{id}', { params: { path: { id: id! } }, body: { ...common, ...adminChange } }),
          ),
        );
      }
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <form
      ref={formRef}
      className="stack"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-label={mode === 'invite' ? 'Invite a practitioner' : 'Edit practitioner'}
    >
      {error !== null && (
        <Notice tone="error">
          {error instanceof ApiError && error.code === 'email_taken'
            ? 'Someone already uses this email.'
            : error instanceof ApiError && error.code === 'last_admin'
              ? 'The clinic needs at least one admin: give someone else admin rights first.'
              : errorMessage(error)}
        </Notice>
      )}
      <div className="grid-2">
        <Field label="Full name" required error={fieldError('fullName')}>
          {(p) => <input {...p} name="fullName" value={v.fullName} onChange={(e) => set('fullName', e.target.value)} />}
        </Field>
        {mode === 'invite' && (
          <>
            <Field
              label="Email"
              required
              error={
                fieldError('email') ??
                (error instanceof ApiError && error.code === 'email_taken' ? 'Someone already uses this email.' : undefined)
              }
            >
              {(p) => <input {...p} type="email" name="email" value={v.email} onChange={(e) => set('email', e.target.value)} />}
            </Field>
            <Field label="Role" required>
              {(p) => (
                <select {...p} name="role" value={v.role} onChange={(e) => set('role', e.target.value as PractitionerRole)}>
                  <option value="massage_therapist">{roleLabel('massage_therapist')}</option>
                  <option value="physical_therapist">{roleLabel('physical_therapist')}</option>
                </select>
              )}
            </Field>
          </>
        )}
        <Field label="Licence number" required error={fieldError('licence.number')}>
          {(p) => (
            <input {...p} name="licenceNumber" value={v.licenceNumber} onChange={(e) => set('licenceNumber', e.target.value)} />
          )}
        </Field>
        <Field label="Licensing region" required hint="State or province, e.g. TX" error={fieldError('licence.region')}>
          {(p) => (
            <input {...p} name="licenceRegion" value={v.licenceRegion} onChange={(e) => set('licenceRegion', e.target.value)} />
          )}
        </Field>
        <Field label="Licence expires on" required error={fieldError('licence.expiresOn')}>
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
        <Field label="Languages" hint="Comma-separated tags, e.g. en, es" error={fieldError('languages')}>
          {(p) => <input {...p} name="languages" value={v.languages} onChange={(e) => set('languages', e.target.value)} />}
        </Field>
      </div>
      <CheckboxGroup
        legend="Specialties"
        name="specialties"
        options={reference.specialties}
        value={v.specialties}
        onChange={(value) => set('specialties', value as Specialty[])}
        label={specialtyLabel}
        columns={3}
      />
      <label className="checkbox">
        <input
          type="checkbox"
          name="acceptingReferrals"
          checked={v.acceptingReferrals}
          onChange={(e) => set('acceptingReferrals', e.target.checked)}
        />
        <span>Accepting referrals</span>
      </label>
      {mode === 'edit' && (
        <label className="checkbox">
          <input type="checkbox" name="isAdmin" checked={v.isAdmin} onChange={(e) => set('isAdmin', e.target.checked)} />
          <span>Admin: manages the clinic, its practitioners and invitations, and sees all its referrals</span>
        </label>
      )}
      <Field label="Bio" error={fieldError('bio')}>
        {(p) => (
          <textarea {...p} name="bio" rows={2} maxLength={2000} value={v.bio} onChange={(e) => set('bio', e.target.value)} />
        )}
      </Field>
      <div className="actions-row">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : mode === 'invite' ? 'Send invitation' : 'Save changes'}
        </button>
        <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
