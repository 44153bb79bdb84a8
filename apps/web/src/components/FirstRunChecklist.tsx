import { api, call } from '../api/client';
import type { User } from '../api/types';
import { useAsync } from '../lib/hooks';
import { Link } from '../lib/router';
import { isAdmin, isPractitioner } from '../lib/session-hooks';
import { PROFILE_PATH } from '../pages/account/ProfilePage';
import { ADD_PATIENT_PATH } from '../pages/PatientsPage';

/** The new-referral form with "Not on ReferLoop? Invite them" open: how a solo practice invites a colleague. */
export const INVITE_BY_REFERRAL_PATH = '/referrals/new?invite=1';

interface Step {
  id: string;
  label: string;
  to: string;
  done: boolean;
}

/**
 * The first steps of a new practice, each ticked from what the data shows (no stored flags): a
 * practitioner's profile, a patient, a first referral to a partner, a colleague invited. Shown to
 * the clinic's admins until every step is done. A solo practice (its one account is admin and
 * practitioner) has no staff to invite: its colleague is one outside, invited with a referral.
 */
export function FirstRunChecklist({ user }: { user: User }) {
  const practitioner = isPractitioner(user);
  const admin = isAdmin(user);
  const facts = useAsync(async () => {
    // Only admins see the checklist (and may list invitations): others ask nothing.
    if (!admin) return null;
    const [patients, invitations, members] = await Promise.all([
      practitioner ? call(api.GET('/api/v1/patients', { params: { query: { limit: 1 } } })) : null,
      call(api.GET('/api/v1/invitations', { params: { query: { limit: 1 } } })),
      practitioner ? call(api.GET('/api/v1/clinics/me/members', { params: { query: { limit: 2 } } })) : null,
    ]);
    const solo = members !== null && members.items.length === 1;
    // One sent referral tells whether there is any; a solo practice looks further for one to an invitee.
    const sent = practitioner
      ? await call(api.GET('/api/v1/referrals', { params: { query: { box: 'sent', limit: solo ? 100 : 1 } } }))
      : null;
    return {
      solo,
      hasPatient: (patients?.items.length ?? 0) > 0,
      hasReferral: (sent?.items.length ?? 0) > 0,
      // A solo practice's colleague: someone outside, invited by sending them a referral.
      hasInvited: solo ? (sent?.items ?? []).some((r) => r.recipientInvite && r.sentAt !== null) : invitations.items.length > 0,
    };
  }, [practitioner, admin]);

  if (!facts.data) return null;
  const steps: Step[] = [
    ...(practitioner
      ? [
          {
            id: 'profile',
            label: 'Complete your profile: specialties, languages and a short bio',
            to: PROFILE_PATH,
            done: user.specialties.length > 0 && user.languages.length > 0 && Boolean(user.bio),
          },
          { id: 'patient', label: 'Add a patient', to: ADD_PATIENT_PATH, done: facts.data.hasPatient },
          {
            id: 'partner',
            label: 'Find a partner and send a first referral',
            to: '/referrals/new',
            done: facts.data.hasReferral,
          },
        ]
      : []),
    facts.data.solo
      ? {
          id: 'invite',
          label: 'Invite a colleague who is not on ReferLoop yet, with a referral',
          to: INVITE_BY_REFERRAL_PATH,
          done: facts.data.hasInvited,
        }
      : { id: 'invite', label: 'Invite a colleague', to: '/admin/practitioners', done: facts.data.hasInvited },
  ];
  const left = steps.filter((s) => !s.done).length;
  if (left === 0) return null;

  return (
    <section className="card checklist" aria-labelledby="checklist-heading" data-testid="first-run-checklist">
      <h2 id="checklist-heading" className="h3">
        Get your practice started
      </h2>
      <p className="muted small">{left === 1 ? 'One step left.' : `${left} of ${steps.length} steps left.`}</p>
      <ul className="checklist-steps">
        {steps.map((step) => (
          <li key={step.id} className={step.done ? 'checklist-done' : undefined} data-step={step.id} data-done={step.done}>
            <span className="checklist-mark" aria-hidden="true">
              {step.done ? '✓' : ''}
            </span>
            {step.done ? (
              <span>
                {step.label} <span className="visually-hidden">(done)</span>
              </span>
            ) : (
              <Link to={step.to}>{step.label}</Link>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
