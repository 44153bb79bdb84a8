import { type FormEvent, type ReactNode, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import type {
  BodyRegion,
  ConsentScope,
  Contraindication,
  CreateReferral,
  MaintenancePlan,
  Patient,
  Practitioner,
  Pressure,
  Priority,
  RedFlag,
  Referral,
  UpdateReferral,
} from '../api/types';
import { DirectorySearch } from '../components/DirectorySearch';
import { DraftAttachments } from '../components/DraftAttachments';
import { EmergencyScreen, useEmergency } from '../components/EmergencyScreen';
import { CheckboxGroup, Field, ScoreOptions } from '../components/Field';
import { ErrorPanel, Loading, Notice } from '../components/Feedback';
import { ConsentChoices } from '../components/PatientForms';
import { PatientPicker, sharingConsent } from '../components/PatientPicker';
import { setFlash } from '../lib/flash';
import { useFocusAfterRender } from '../lib/focus';
import { formatDate, fullName, localDate } from '../lib/format';
import { useIdempotencyKeys, useTitle } from '../lib/hooks';
import { bodyRegionLabel, contraindicationLabel, recipientParty, statusLabel } from '../lib/labels';
import { useLeaveGuard } from '../lib/leave-guard';
import { CONSENT_MISSING } from '../lib/messages';
import { Link, navigate, setQuery, useLocation } from '../lib/router';
import { isPractitioner, useReferenceData, useUser } from '../lib/session-hooks';

interface Details {
  reason: string;
  bodyRegions: BodyRegion[];
  observations: string;
  painLevel: string;
  onsetDate: string;
  neededBy: string;
  redFlags: RedFlag[];
  /** The sender told the client to seek emergency care now (an emergency red flag is ticked). */
  emergencyAdviceGiven: boolean;
  priority: Priority;
  /** Every N weeks, or N sessions a week. */
  frequencyMode: 'weeks' | 'perWeek';
  frequencyWeeks: string;
  sessionsPerWeek: string;
  sessions: string;
  durationWeeks: string;
  reviewBy: string;
  /** One goal a line. */
  goals: string;
  focusAreas: BodyRegion[];
  pressure: Pressure | '';
  contraindications: Contraindication[];
  precautions: string;
  reportEveryWeeks: string;
}

const EMPTY: Details = {
  reason: '',
  bodyRegions: [],
  observations: '',
  painLevel: '',
  onsetDate: '',
  neededBy: '',
  redFlags: [],
  emergencyAdviceGiven: false,
  priority: 'routine',
  frequencyMode: 'weeks',
  frequencyWeeks: '2',
  sessionsPerWeek: '1',
  sessions: '',
  durationWeeks: '',
  reviewBy: '',
  goals: '',
  focusAreas: [],
  pressure: '',
  contraindications: [],
  precautions: '',
  reportEveryWeeks: '',
};

/** What a message is about: a field of the form (most by their control's `name`), or a step. */
type Subject =
  | 'emergencyAdvice'
  | 'patient'
  | 'consent'
  | 'recipient'
  | 'inviteEmail'
  | 'inviteName'
  | 'reason'
  | 'painLevel'
  | 'onsetDate'
  | 'neededBy'
  | 'frequencyWeeks'
  | 'sessionsPerWeek'
  | 'sessions'
  | 'durationWeeks'
  | 'reviewBy'
  | 'goals'
  | 'pressure'
  | 'precautions'
  | 'reportEveryWeeks';

type Errors = Partial<Record<Subject, string>>;

/** The visible label of each field (or step), as the summary of errors names it. */
const labelsFor = (maintenance: boolean): Record<Subject, string> => ({
  emergencyAdvice: 'Red flags',
  patient: 'Patient',
  consent: 'Consent to sharing',
  recipient: maintenance ? 'Massage therapist' : 'Physical therapist',
  inviteEmail: 'Their email',
  inviteName: 'Their full name',
  reason: maintenance ? 'Why maintenance massage' : 'Reason for referral',
  painLevel: maintenance ? 'Pain level at discharge (0–10)' : 'Pain level (0–10)',
  onsetDate: 'Onset date',
  neededBy: 'Needed by',
  frequencyWeeks: 'Every (weeks)',
  sessionsPerWeek: 'Sessions a week',
  sessions: 'Sessions in total',
  durationWeeks: 'Duration (weeks)',
  reviewBy: 'Review by',
  goals: 'Goals',
  pressure: 'Pressure',
  precautions: 'Precautions',
  reportEveryWeeks: 'Report progress every (weeks)',
});

/** The control a message is about: the first of its step (patient, recipient), or the field by its name. */
const controlOf = (subject: Subject): HTMLElement | null =>
  document.querySelector<HTMLElement>(
    subject === 'patient' || subject === 'recipient'
      ? `[aria-labelledby="${subject}-heading"] input`
      : subject === 'consent'
        ? // The sharing consent: the selected patient's box, or a follow-up's choice of consents.
          '[name="consent"], [name="consents"][value="referral_sharing"]'
        : `[name="${subject === 'emergencyAdvice' ? 'emergencyAdviceGiven' : subject}"]`,
  );

export function NewReferralPage() {
  const user = useUser()!;
  const reference = useReferenceData();
  const { query } = useLocation();
  const replacesId = query.get('replaces');
  // Following up an injury referral the PT treated: the patient comes from it, the LMT who referred is the default.
  const followUpId = query.get('followUp');
  // Editing a draft (`?draft=<id>`): the same form, saved with PATCH and the version read.
  const draftId = query.get('draft');
  const maintenance = user.role === 'physical_therapist';
  const kind = maintenance ? 'maintenance_massage' : 'injury_care';
  const recipientType = maintenance ? 'massage_therapist' : 'physical_therapist';
  /**
   * The referral `?draft=` names, once it is no longer a draft (sent from this form, then Back; or
   * sent from another tab): said, with the way to it, instead of its details offered to edit and send.
   */
  const [noLongerDraft, setNoLongerDraft] = useState<Referral | null>(null);
  /** A save was refused because the draft changed elsewhere since it was read: it is read again, what is typed here kept. */
  const [changedElsewhere, setChangedElsewhere] = useState(false);
  useTitle(
    noLongerDraft
      ? 'Referral already sent'
      : draftId
        ? 'Edit draft referral'
        : maintenance
          ? 'New maintenance referral'
          : 'New referral',
  );

  const [patient, setPatient] = useState<Patient | null>(null);
  const [recipient, setRecipient] = useState<Practitioner | null>(null);
  // Someone not on ReferLoop: invited by email when the referral is sent.
  const [inviting, setInviting] = useState(() => query.get('invite') === '1');
  const [invite, setInvite] = useState({ email: '', fullName: '' });
  const [details, setDetails] = useState<Details>(EMPTY);
  const [replaced, setReplaced] = useState<Referral | null>(null);
  const [followed, setFollowed] = useState<Referral | null>(null);
  /** On a follow-up: the consents the patient gives the PT clinic's copy of them, asked as adding a patient asks. */
  const [followUpConsents, setFollowUpConsents] = useState<ConsentScope[]>([]);
  /** The messages of the last try: found by the form's checks or by the server (see `errors` below), sending or saving. */
  const [reported, setReported] = useState<{ errors: Errors; by: 'form' | 'server'; sending: boolean }>({
    errors: {},
    by: 'server',
    sending: false,
  });
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState<'send' | 'draft' | null>(null);
  /** The draft this form edits: loaded (`?draft=`), or saved by the form (on the first attachment). */
  const [draft, setDraft] = useState<Referral | null>(null);
  const [draftLoading, setDraftLoading] = useState(Boolean(draftId));
  /**
   * What the form starts from (the draft it edits, the referral it follows up or redirects) could not
   * be read: said as such, with Try again (`loadAttempt` reads it again), instead of a form that would
   * save another referral.
   */
  const [loadFailure, setLoadFailure] = useState<{ what: string; error: unknown } | null>(null);
  const [loadAttempt, setLoadAttempt] = useState(0);
  const emergency = useEmergency(details.redFlags);
  const idempotency = useIdempotencyKeys();
  const summaryRef = useRef<HTMLDivElement>(null);
  const recipientRef = useRef<HTMLElement>(null);
  const focusAfter = useFocusAfterRender();

  // What the form holds, against what is saved (the empty form, the draft or the referral it starts
  // from as loaded, the draft as last saved): leaving with changes not saved asks first.
  const entered = JSON.stringify({
    patient: patient?.id ?? null,
    recipient: recipient?.id ?? null,
    inviting,
    invite,
    followUpConsents,
    details,
  });
  const [savedAs, setSavedAs] = useState<string | null>(entered);
  /** What the form holds once the state set with this call has rendered is saved (a draft loaded or saved). */
  const markSaved = () => setSavedAs(null);
  if (savedAs === null) setSavedAs(entered);
  useLeaveGuard(savedAs !== null && entered !== savedAs);

  // Redirecting a declined, cancelled or expired referral: start from its patient and details.
  useEffect(() => {
    if (!replacesId) return;
    void (async () => {
      try {
        const old = await call(api.GET('/api/v1/referrals/{id}', { params: { path: { id: replacesId } } }));
        setReplaced(old);
        const oldPatient = await call(api.GET('/api/v1/patients/{id}', { params: { path: { id: old.patientId } } }));
        // The form as it starts: nothing typed yet.
        setPatient(oldPatient);
        setDetails((d) => ({
          ...d,
          reason: old.reason,
          bodyRegions: old.bodyRegions as BodyRegion[],
          observations: old.observations ?? '',
          painLevel: old.painLevel === null ? '' : String(old.painLevel),
          onsetDate: old.onsetDate ?? '',
          redFlags: old.redFlags as RedFlag[],
          priority: old.priority,
          ...(old.plan ? planDetails(old.plan) : {}),
        }));
        markSaved();
      } catch (e) {
        setLoadFailure({ what: 'The referral to redirect', error: e });
      }
    })();
  }, [replacesId, loadAttempt]);

  useEffect(() => {
    if (!followUpId) return;
    void (async () => {
      try {
        const injury = await call(api.GET('/api/v1/referrals/{id}', { params: { path: { id: followUpId } } }));
        setFollowed(injury);
        const referrer =
          injury.sender.role === 'massage_therapist'
            ? await call(api.GET('/api/v1/practitioners/{id}', { params: { path: { id: injury.senderId } } }))
            : null;
        // The form as it starts: nothing typed yet.
        if (referrer) setRecipient(referrer);
        setDetails((d) => ({
          ...d,
          reason: injury.outcome?.recommendations ?? 'Maintenance massage recommended after physical therapy',
          bodyRegions: injury.bodyRegions as BodyRegion[],
          focusAreas: injury.bodyRegions as BodyRegion[],
          painLevel: injury.outcome?.painLevel == null ? '' : String(injury.outcome.painLevel),
        }));
        markSaved();
      } catch (e) {
        setLoadFailure({ what: 'The referral to follow up', error: e });
      }
    })();
  }, [followUpId, loadAttempt]);

  // Editing a draft: fill the form from it (its patient, recipient or invitee, details and plan).
  useEffect(() => {
    if (!draftId || draft?.id === draftId) return;
    void (async () => {
      try {
        const loaded = await call(api.GET('/api/v1/referrals/{id}', { params: { path: { id: draftId } } }));
        if (loaded.status !== 'draft') {
          setNoLongerDraft(loaded);
          return;
        }
        setNoLongerDraft(null);
        setDraft(loaded);
        const loadedPatient = await call(api.GET('/api/v1/patients/{id}', { params: { path: { id: loaded.patientId } } }));
        const loadedRecipient = loaded.recipientId
          ? await call(api.GET('/api/v1/practitioners/{id}', { params: { path: { id: loaded.recipientId } } }))
          : null;
        // The form as the draft is saved, all at once.
        setPatient(loadedPatient);
        if (loadedRecipient) {
          setRecipient(loadedRecipient);
        } else if (loaded.recipientInvite) {
          setInviting(true);
          setInvite({ email: loaded.recipientInvite.email, fullName: loaded.recipientInvite.fullName });
        }
        setDetails(referralDetails(loaded));
        markSaved();
      } catch (e) {
        setLoadFailure({ what: 'The draft', error: e });
      } finally {
        setDraftLoading(false);
      }
    })();
    // Only a new draft id loads (or Try again); the draft this form saved itself is already on screen.
  }, [draftId, loadAttempt]);

  if (!isPractitioner(user)) {
    return (
      <>
        <h1 tabIndex={-1}>New referral</h1>
        <Notice tone="info">
          Referrals are written by the practitioner who sends them. Open one from the clinic box to act on it.
        </Notice>
      </>
    );
  }

  // Sent elsewhere while this form had changes in it: the form stays, to copy from (see the notice above it).
  const edited = savedAs !== null && entered !== savedAs;
  const sent = noLongerDraft !== null && noLongerDraft.id === draftId ? noLongerDraft : null;
  if (sent && !edited) {
    return (
      <>
        <div className="page-head">
          <h1 tabIndex={-1}>Referral already sent</h1>
          <Link to="/">Back to referrals</Link>
        </div>
        <Notice tone="info">
          The referral for {fullName(sent.patient)} was already sent (it is now {statusLabel(sent.status)}
          ), so it is no longer a draft to edit. <Link to={`/referrals/${sent.id}`}>Open the referral</Link>
        </Notice>
      </>
    );
  }

  if (loadFailure) {
    return (
      <>
        <div className="page-head">
          <h1 tabIndex={-1}>{draftId ? 'Edit draft referral' : 'New referral'}</h1>
          <Link to="/">Back to referrals</Link>
        </div>
        <ErrorPanel
          error={loadFailure.error}
          title={`${loadFailure.what} could not be opened`}
          onRetry={() => {
            setLoadFailure(null);
            setDraftLoading(Boolean(draftId));
            setLoadAttempt((n) => n + 1);
          }}
        />
      </>
    );
  }

  const urgentRequired = details.redFlags.length > 0;
  const priority: Priority = urgentRequired ? 'urgent' : details.priority;
  const set = <K extends keyof Details>(key: K, value: Details[K]) => setDetails((d) => ({ ...d, [key]: value }));

  const validate = (send: boolean): Errors => {
    const next: Errors = {};
    if (send && emergency && !details.emergencyAdviceGiven) {
      next.emergencyAdvice =
        'Tell the client to seek emergency care now, then tick “I told the client to seek emergency care now”.';
    }
    if (!patient && !followed) next.patient = 'Choose or add the patient.';
    // Sending needs the patient's consent to sharing: say so before anything is saved (a draft does not need it).
    if (send && followed && !patient && !followUpConsents.includes('referral_sharing'))
      next.consent = 'Tick that the patient consents to sharing this referral, or save it as a draft.';
    if (send && patient && !sharingConsent(patient))
      next.consent = 'Record the patient’s consent to sharing (step 2), or save the referral as a draft.';
    if (inviting) {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(invite.email.trim()))
        next.inviteEmail = 'Enter an email address like name@example.com.';
      if (!invite.fullName.trim()) next.inviteName = 'Fill this in.';
    } else if (!recipient) next.recipient = `Choose the ${maintenance ? 'massage therapist' : 'physical therapist'} to refer to.`;
    if (!details.reason.trim()) next.reason = 'Say why you are referring the patient.';
    if (details.onsetDate && details.onsetDate > localDate()) next.onsetDate = 'The onset cannot be in the future.';
    if (details.neededBy && details.neededBy <= localDate()) next.neededBy = 'Choose a date after today.';
    if (maintenance) {
      if (details.frequencyMode === 'weeks' && !inRange(details.frequencyWeeks, 1, 52))
        next.frequencyWeeks = 'Every 1 to 52 weeks.';
      if (details.frequencyMode === 'perWeek' && !inRange(details.sessionsPerWeek, 1, 7))
        next.sessionsPerWeek = '1 to 7 sessions a week.';
      if (details.sessions && !inRange(details.sessions, 1, 500)) next.sessions = 'At least 1 session, or leave it empty.';
      if (details.durationWeeks && !inRange(details.durationWeeks, 1, 104))
        next.durationWeeks = '1 to 104 weeks, or leave it empty.';
      if (details.reportEveryWeeks && !inRange(details.reportEveryWeeks, 1, 52))
        next.reportEveryWeeks = 'Every 1 to 52 weeks, or leave it empty.';
      const goals = goalLines(details.goals);
      if (goals.length > 10 || goals.some((g) => g.length > 200)) next.goals = 'Up to 10 goals of at most 200 characters.';
      if (!details.pressure) next.pressure = 'Choose the pressure.';
      if (!details.precautions.trim()) next.precautions = 'Say what the massage therapist must avoid or watch for (or “None”).';
    }
    return next;
  };

  const plan = (): MaintenancePlan => ({
    ...(details.frequencyMode === 'weeks'
      ? { frequencyWeeks: Number(details.frequencyWeeks) }
      : { sessionsPerWeek: Number(details.sessionsPerWeek) }),
    sessions: details.sessions ? Number(details.sessions) : undefined,
    durationWeeks: details.durationWeeks ? Number(details.durationWeeks) : undefined,
    reviewBy: details.reviewBy || undefined,
    goals: goalLines(details.goals),
    focusAreas: details.focusAreas,
    pressure: details.pressure as Pressure,
    contraindications: details.contraindications,
    precautions: details.precautions.trim(),
    reportEveryWeeks: details.reportEveryWeeks ? Number(details.reportEveryWeeks) : undefined,
  });

  const body = (): CreateReferral => ({
    kind,
    patientId: patient?.id ?? '',
    ...(inviting
      ? { recipientInvite: { email: invite.email.trim(), fullName: invite.fullName.trim(), role: recipientType } }
      : { recipientId: recipient!.id }),
    priority,
    reason: details.reason.trim(),
    bodyRegions: details.bodyRegions,
    observations: details.observations.trim() || undefined,
    painLevel: details.painLevel === '' ? undefined : Number(details.painLevel),
    onsetDate: details.onsetDate || undefined,
    neededBy: details.neededBy || undefined,
    redFlags: details.redFlags,
    emergencyAdviceGiven: emergency && details.emergencyAdviceGiven,
    plan: maintenance ? plan() : undefined,
    replacesId: replacesId ?? undefined,
  });

  /** The whole form as an edit of the draft: cleared fields are sent as null. */
  const update = (version: number, created: CreateReferral): UpdateReferral => ({
    version,
    patientId: patient?.id ?? draft?.patientId,
    ...(created.recipientInvite ? { recipientInvite: created.recipientInvite } : { recipientId: created.recipientId }),
    priority: created.priority,
    reason: created.reason,
    bodyRegions: created.bodyRegions,
    observations: created.observations ?? null,
    painLevel: created.painLevel ?? null,
    onsetDate: created.onsetDate ?? null,
    neededBy: created.neededBy ?? null,
    redFlags: created.redFlags,
    emergencyAdviceGiven: created.emergencyAdviceGiven,
    ...(maintenance && { plan: plan() }),
  });

  /** Creates the draft (or the follow-up draft), or saves the form into the draft it edits; answers the draft. */
  const save = async (): Promise<Referral> => {
    const payload = body();
    if (draft) {
      const saved = await call(
        api.PATCH('/api/v1/referrals/{id}', { params: { path: { id: draft.id } }, body: update(draft.version, payload) }),
      );
      setDraft(saved);
      setChangedElsewhere(false);
      markSaved();
      return saved;
    }
    let created: Referral;
    if (followed) {
      created = await call(
        api.POST('/api/v1/referrals/{id}/follow-up', {
          params: { path: { id: followed.id } },
          // The whole form: one draft, one "created" on its timeline.
          body: {
            // Someone not on ReferLoop is invited when the referral is sent, as with a create.
            ...(payload.recipientInvite ? { recipientInvite: payload.recipientInvite } : { recipientId: recipient!.id }),
            plan: plan(),
            reason: payload.reason,
            observations: payload.observations ?? undefined,
            priority: payload.priority,
            bodyRegions: payload.bodyRegions,
            painLevel: payload.painLevel,
            onsetDate: payload.onsetDate,
            neededBy: payload.neededBy,
            redFlags: payload.redFlags,
            emergencyAdviceGiven: payload.emergencyAdviceGiven,
          },
        }),
      );
      // Consents are the PT clinic's to record on its copy of the patient, as for any patient.
      for (const scope of followUpConsents) {
        await call(api.POST('/api/v1/patients/{id}/consents', { params: { path: { id: created.patientId } }, body: { scope } }));
      }
      setPatient(await call(api.GET('/api/v1/patients/{id}', { params: { path: { id: created.patientId } } })));
    } else {
      created = await call(
        api.POST('/api/v1/referrals', { body: payload, params: { header: { 'Idempotency-Key': idempotency.keyFor(payload) } } }),
      );
    }
    setDraft(created);
    markSaved();
    // The address names the draft from now on (a reload edits it), without leaving the form.
    setQuery({ draft: created.id, followUp: undefined, replaces: undefined });
    return created;
  };

  const setErrors = (found: Errors, by: 'form' | 'server', sending: boolean) => setReported({ errors: found, by, sending });
  // A message found by the form's own checks goes away once it is no longer true (the patient chosen,
  // the consent recorded, the recipient chosen); none is added before the next try.
  const stillTrue = (shown: Errors, now: Errors): Errors => {
    const kept: Errors = {};
    for (const key of Object.keys(shown) as (keyof Errors)[]) if (now[key]) kept[key] = now[key];
    return kept;
  };
  const errors: Errors = reported.by === 'server' ? reported.errors : stillTrue(reported.errors, validate(reported.sending));

  const showErrors = (found: Errors) => {
    setErrors(found, 'form', false);
    requestAnimationFrame(() => summaryRef.current?.focus());
  };

  const fieldErrors = (e: ApiError): Errors => ({
    reason: e.fieldMessage('reason'),
    painLevel: e.fieldMessage('painLevel'),
    onsetDate: e.fieldMessage('onsetDate'),
    neededBy: e.fieldMessage('neededBy'),
    frequencyWeeks: e.fieldMessage('plan.frequencyWeeks'),
    sessionsPerWeek: e.fieldMessage('plan.sessionsPerWeek'),
    sessions: e.fieldMessage('plan.sessions'),
    durationWeeks: e.fieldMessage('plan.durationWeeks'),
    reviewBy: e.fieldMessage('plan.reviewBy'),
    goals: e.fieldMessage('plan.goals'),
    pressure: e.fieldMessage('plan.pressure'),
    precautions: e.fieldMessage('plan.precautions'),
    reportEveryWeeks: e.fieldMessage('plan.reportEveryWeeks'),
    emergencyAdvice: e.fieldMessage('emergencyAdviceGiven'),
    inviteEmail: e.fieldMessage('recipientInvite.email'),
    inviteName: e.fieldMessage('recipientInvite.fullName'),
  });

  /** For the first attachment: the draft, saved now if there is none yet (null when the form is not valid). */
  const ensureDraft = async (): Promise<Referral | null> => {
    if (draft) return draft;
    const found = validate(false);
    setFailure(null);
    if (Object.keys(found).length > 0) {
      showErrors(found);
      return null;
    }
    try {
      return await save();
    } catch (e) {
      setFailure(e);
      if (e instanceof ApiError) {
        setErrors(fieldErrors(e), 'server', false);
        requestAnimationFrame(() => summaryRef.current?.focus());
      }
      return null;
    }
  };

  /**
   * The draft was changed (another tab, another device) or sent elsewhere since this form read it (a
   * save answered 409): reads it again, keeping what is typed here. Still a draft: its new version is
   * what the next save replaces. Sent: nothing here can be saved (see `noLongerDraft`). False when it
   * cannot be read either.
   */
  const readDraftAgain = async (id: string): Promise<boolean> => {
    try {
      const current = await call(api.GET('/api/v1/referrals/{id}', { params: { path: { id } } }));
      if (current.status === 'draft') {
        setDraft(current);
        setChangedElsewhere(true);
      } else {
        setNoLongerDraft(current);
      }
      setErrors({}, 'server', false);
      return true;
    } catch {
      return false;
    }
  };

  const submit = async (event: FormEvent, send: boolean) => {
    event.preventDefault();
    const found = validate(send);
    setErrors(found, 'form', send);
    setFailure(null);
    if (Object.keys(found).length > 0) {
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    setBusy(send ? 'send' : 'draft');
    let created: Referral;
    try {
      created = await save();
    } catch (e) {
      setBusy(null);
      const conflict = e instanceof ApiError && (e.code === 'stale_version' || e.code === 'invalid_transition');
      if (!(draft && conflict && (await readDraftAgain(draft.id)))) {
        setFailure(e);
        if (e instanceof ApiError) setErrors(fieldErrors(e), 'server', send);
      }
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    if (send) {
      try {
        await call(
          api.POST('/api/v1/referrals/{id}/{action}', {
            params: { path: { id: created.id, action: 'send' } },
            body: { version: created.version },
          }),
        );
        setFlash({
          tone: 'success',
          text: inviting
            ? `Referral sent: ${invite.fullName.trim()} was emailed an invitation to join ReferLoop.`
            : `Referral sent to ${recipient!.fullName}.`,
        });
      } catch (e) {
        setFlash({
          tone: 'error',
          text: `The referral was saved as a draft but not sent: ${
            e instanceof ApiError && e.code === 'consent_required' ? CONSENT_MISSING : errorMessage(e)
          }`,
        });
      }
    } else {
      setFlash({ tone: 'success', text: 'Draft saved. Record the consent if it is missing, then send it when ready.' });
    }
    navigate(`/referrals/${created.id}`);
  };

  const labels = labelsFor(maintenance);
  const errorList = (Object.entries(errors) as [Subject, string | undefined][]).filter(([, message]) => message);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>
          {draftId ? 'Edit draft referral' : maintenance ? 'New maintenance-massage referral' : 'New injury referral'}
        </h1>
        {draft ? <Link to={`/referrals/${draft.id}`}>Back to the draft</Link> : <Link to="/">Back to referrals</Link>}
      </div>
      {draftLoading && <Loading label="Loading the draft" lines={6} />}
      {replaced && <Notice tone="info">Redirecting {redirected(replaced)}: choose another recipient.</Notice>}
      <div ref={summaryRef} tabIndex={-1} className="summary-anchor">
        {sent ? (
          <Notice tone="warning" role="alert">
            <span data-testid="sent-elsewhere">
              This referral was sent elsewhere meanwhile (it is now {statusLabel(sent.status)}), so it is no longer a draft: what
              you changed here was not saved, and stays here to copy. <Link to={`/referrals/${sent.id}`}>Open the referral</Link>
            </span>
          </Notice>
        ) : (
          changedElsewhere && (
            <Notice tone="warning" role="alert">
              <span data-testid="changed-elsewhere">
                This draft was changed elsewhere (another tab or device) since you opened it, so it was not saved. What you
                entered here is kept: save again to replace those changes with it.
              </span>
            </Notice>
          )
        )}
        {(errorList.length > 0 || failure !== null) && (
          <div className="panel panel-error" role="alert">
            <p className="panel-title">The referral cannot be {reported.sending ? 'sent' : 'saved'} yet</p>
            <ul>
              {errorList.map(([subject, message]) => (
                <li key={subject}>
                  <ErrorLink subject={subject}>
                    {labels[subject]}: {message}
                  </ErrorLink>
                </li>
              ))}
              {failure !== null && errorList.length === 0 && <li>{errorMessage(failure)}</li>}
            </ul>
          </div>
        )}
      </div>

      <EmergencyScreen
        step={1}
        redFlags={details.redFlags}
        onRedFlags={(v) => set('redFlags', v)}
        adviceGiven={details.emergencyAdviceGiven}
        onAdviceGiven={(v) => set('emergencyAdviceGiven', v)}
        error={errors.emergencyAdvice}
      />

      <section className="card" aria-labelledby="patient-heading">
        <h2 id="patient-heading">
          <span className="step">2</span> Patient
        </h2>
        {followed && !patient ? (
          <div className="stack" data-testid="follow-up-patient">
            <p>
              <strong>{fullName(followed.patient)}</strong>, born {formatDate(followed.patient.dateOfBirth)}: from the injury
              referral by {followed.sender.fullName}. Your clinic gets this patient as its own.
            </p>
            <ConsentChoices value={followUpConsents} onChange={setFollowUpConsents} sharingError={errors.consent} />
          </div>
        ) : (
          <PatientPicker selected={patient} onSelect={setPatient} error={errors.patient} consentError={errors.consent} />
        )}
      </section>

      <section ref={recipientRef} className="card" aria-labelledby="recipient-heading">
        <h2 id="recipient-heading">
          <span className="step">3</span> {labels.recipient}
        </h2>
        {inviting ? (
          <div className="stack">
            <Field label={labels.inviteEmail} required error={errors.inviteEmail}>
              {(p) => (
                <input
                  {...p}
                  type="email"
                  name="inviteEmail"
                  autoComplete="off"
                  value={invite.email}
                  onChange={(e) => setInvite((i) => ({ ...i, email: e.target.value }))}
                />
              )}
            </Field>
            <Field label={labels.inviteName} required error={errors.inviteName}>
              {(p) => (
                <input
                  {...p}
                  name="inviteName"
                  value={invite.fullName}
                  onChange={(e) => setInvite((i) => ({ ...i, fullName: e.target.value }))}
                />
              )}
            </Field>
            <p className="hint">
              Sending emails them an invitation to join (nothing about the patient); the referral is theirs once they join.
            </p>
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setInviting(false);
                focusAfter(() => recipientRef.current?.querySelector('input'));
              }}
            >
              Choose from the directory instead
            </button>
          </div>
        ) : (
          <>
            <DirectorySearch type={recipientType} selected={recipient} onSelect={setRecipient} error={errors.recipient} />
            <button
              type="button"
              className="link-button"
              onClick={() => {
                setInviting(true);
                // The directory gives way to the invitation's fields: start on the first.
                focusAfter(() => recipientRef.current?.querySelector('input'));
              }}
            >
              Not on ReferLoop? Invite them
            </button>
          </>
        )}
      </section>

      <form className="card stack" onSubmit={(e) => void submit(e, true)} noValidate aria-labelledby="details-heading">
        <h2 id="details-heading">
          <span className="step">4</span> Referral
        </h2>
        <Field label={labels.reason} required error={errors.reason} hint="What the recipient needs to know first.">
          {(p) => (
            <textarea
              {...p}
              name="reason"
              rows={2}
              maxLength={2000}
              value={details.reason}
              onChange={(e) => set('reason', e.target.value)}
            />
          )}
        </Field>
        <CheckboxGroup
          legend="Body regions"
          name="bodyRegions"
          options={reference.bodyRegions}
          value={details.bodyRegions}
          onChange={(v) => set('bodyRegions', v as BodyRegion[])}
          label={bodyRegionLabel}
          columns={3}
        />
        <Field
          label={maintenance ? 'Notes for the massage therapist' : 'Observations'}
          hint={maintenance ? undefined : 'What you saw or felt: document observations, not a diagnosis.'}
        >
          {(p) => (
            <textarea
              {...p}
              name="observations"
              rows={4}
              maxLength={10000}
              value={details.observations}
              onChange={(e) => set('observations', e.target.value)}
            />
          )}
        </Field>
        <div className="grid-3">
          <Field label={labels.painLevel} error={errors.painLevel}>
            {(p) => (
              <select {...p} name="painLevel" value={details.painLevel} onChange={(e) => set('painLevel', e.target.value)}>
                <ScoreOptions />
              </select>
            )}
          </Field>
          {!maintenance && (
            <Field label={labels.onsetDate} error={errors.onsetDate}>
              {(p) => (
                <input
                  {...p}
                  type="date"
                  name="onsetDate"
                  max={localDate()}
                  value={details.onsetDate}
                  onChange={(e) => set('onsetDate', e.target.value)}
                />
              )}
            </Field>
          )}
          <Field label={labels.neededBy} error={errors.neededBy}>
            {(p) => (
              <input
                {...p}
                type="date"
                name="neededBy"
                min={localDate(1)}
                value={details.neededBy}
                onChange={(e) => set('neededBy', e.target.value)}
              />
            )}
          </Field>
        </div>

        <fieldset className="fieldset" aria-describedby={urgentRequired ? 'priority-locked' : undefined}>
          <legend>Priority</legend>
          <div className="inline-options">
            {reference.priorities.map((p) => (
              <label key={p} className="checkbox">
                <input
                  type="radio"
                  name="priority"
                  value={p}
                  checked={priority === p}
                  disabled={urgentRequired && p !== 'urgent'}
                  onChange={() => set('priority', p)}
                />
                <span>{p === 'urgent' ? 'Urgent' : 'Routine'}</span>
              </label>
            ))}
          </div>
          {urgentRequired && (
            <p className="hint" id="priority-locked">
              Set to urgent because a red flag is ticked.
            </p>
          )}
        </fieldset>

        {maintenance && (
          <fieldset className="fieldset stack" aria-describedby="plan-hint">
            <legend>Maintenance plan</legend>
            <p className="hint" id="plan-hint">
              How the massage therapist should carry on after discharge.
            </p>
            <fieldset className="fieldset">
              <legend>How often</legend>
              <div className="inline-options">
                <label className="checkbox">
                  <input
                    type="radio"
                    name="frequencyMode"
                    value="weeks"
                    checked={details.frequencyMode === 'weeks'}
                    onChange={() => set('frequencyMode', 'weeks')}
                  />
                  <span>Every few weeks</span>
                </label>
                <label className="checkbox">
                  <input
                    type="radio"
                    name="frequencyMode"
                    value="perWeek"
                    checked={details.frequencyMode === 'perWeek'}
                    onChange={() => set('frequencyMode', 'perWeek')}
                  />
                  <span>Sessions a week</span>
                </label>
              </div>
            </fieldset>
            <div className="grid-3">
              {details.frequencyMode === 'weeks' ? (
                <NumberField
                  label={labels.frequencyWeeks}
                  name="frequencyWeeks"
                  min={1}
                  max={52}
                  required
                  error={errors.frequencyWeeks}
                  value={details.frequencyWeeks}
                  onChange={(v) => set('frequencyWeeks', v)}
                />
              ) : (
                <NumberField
                  label={labels.sessionsPerWeek}
                  name="sessionsPerWeek"
                  min={1}
                  max={7}
                  required
                  error={errors.sessionsPerWeek}
                  value={details.sessionsPerWeek}
                  onChange={(v) => set('sessionsPerWeek', v)}
                />
              )}
              <NumberField
                label={labels.sessions}
                hint="Leave empty for ongoing."
                name="sessions"
                min={1}
                max={500}
                error={errors.sessions}
                value={details.sessions}
                onChange={(v) => set('sessions', v)}
              />
              <NumberField
                label={labels.durationWeeks}
                name="durationWeeks"
                min={1}
                max={104}
                error={errors.durationWeeks}
                value={details.durationWeeks}
                onChange={(v) => set('durationWeeks', v)}
              />
              <Field label={labels.reviewBy} error={errors.reviewBy}>
                {(p) => (
                  <input
                    {...p}
                    type="date"
                    name="reviewBy"
                    min={localDate(1)}
                    value={details.reviewBy}
                    onChange={(e) => set('reviewBy', e.target.value)}
                  />
                )}
              </Field>
              <NumberField
                label={labels.reportEveryWeeks}
                hint="Leave empty for no reminders."
                name="reportEveryWeeks"
                min={1}
                max={52}
                error={errors.reportEveryWeeks}
                value={details.reportEveryWeeks}
                onChange={(v) => set('reportEveryWeeks', v)}
              />
              <Field label={labels.pressure} required error={errors.pressure}>
                {(p) => (
                  <select
                    {...p}
                    name="pressure"
                    value={details.pressure}
                    onChange={(e) => set('pressure', e.target.value as Pressure)}
                  >
                    <option value="">Choose…</option>
                    {reference.pressures.map((pressure) => (
                      <option key={pressure} value={pressure}>
                        {pressure[0].toUpperCase() + pressure.slice(1)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
            <Field label={labels.goals} hint="One a line, up to 10." error={errors.goals}>
              {(p) => (
                <textarea {...p} name="goals" rows={3} value={details.goals} onChange={(e) => set('goals', e.target.value)} />
              )}
            </Field>
            <CheckboxGroup
              legend="Focus areas"
              name="focusAreas"
              options={reference.bodyRegions}
              value={details.focusAreas}
              onChange={(v) => set('focusAreas', v as BodyRegion[])}
              label={bodyRegionLabel}
              columns={3}
            />
            <CheckboxGroup
              legend="Contraindications"
              name="contraindications"
              options={reference.contraindications}
              value={details.contraindications}
              onChange={(v) => set('contraindications', v as Contraindication[])}
              label={contraindicationLabel}
              columns={2}
            />
            <Field
              label={labels.precautions}
              required
              error={errors.precautions}
              hint="What the massage therapist must avoid or watch for."
            >
              {(p) => (
                <textarea
                  {...p}
                  name="precautions"
                  rows={3}
                  maxLength={2000}
                  value={details.precautions}
                  onChange={(e) => set('precautions', e.target.value)}
                />
              )}
            </Field>
          </fieldset>
        )}

        <fieldset className="fieldset">
          <legend>Attachments</legend>
          <DraftAttachments
            draftId={draft?.id}
            attachments={draft?.attachments ?? []}
            ensureDraft={ensureDraft}
            onChanged={(updated) => setDraft(updated)}
          />
        </fieldset>

        {patient && !sharingConsent(patient) && (
          <Notice tone="warning">
            Record the patient’s consent to sharing (step 2) before sending; you can still save a draft.
          </Notice>
        )}
        {/* A refusal is said once, in the summary above the form (an alert, focused): not again here. */}
        {sent === null && (
          <div className="actions-row">
            <button type="submit" className="button button-primary" disabled={busy !== null}>
              {busy === 'send' ? 'Sending…' : 'Send referral'}
            </button>
            <button
              type="button"
              className="button button-secondary"
              disabled={busy !== null}
              onClick={(e) => void submit(e, false)}
            >
              {busy === 'draft' ? 'Saving…' : 'Save as draft'}
            </button>
          </div>
        )}
      </form>
    </>
  );
}

/**
 * A message of the summary as a link to its field. The target's id is the field's own (read once it
 * is on the page; a checkbox without one links to its step's heading); a click focuses the field.
 */
function ErrorLink({ subject, children }: { subject: Subject; children: ReactNode }) {
  const [target, setTarget] = useState('');
  useLayoutEffect(() => {
    const control = controlOf(subject);
    setTarget(control?.id || control?.closest('section')?.getAttribute('aria-labelledby') || '');
  });
  return (
    <a
      href={`#${target}`}
      onClick={(event) => {
        // Not the browser's jump: a new hash would count as a navigation for the router.
        event.preventDefault();
        controlOf(subject)?.focus();
      }}
    >
      {children}
    </a>
  );
}

const inRange = (text: string, min: number, max: number) => {
  const n = Number(text);
  return text !== '' && Number.isInteger(n) && n >= min && n <= max;
};

const goalLines = (text: string) =>
  text
    .split('\n')
    .map((g) => g.trim())
    .filter(Boolean);

/**
 * The referral being redirected (declined, cancelled or expired), by what became of it: never "the
 * referral to <recipient>", which reads as if the redirect went to them.
 */
function redirected(r: Referral): string {
  const recipient = recipientParty(r).fullName;
  if (r.status === 'declined') return `the referral ${recipient} declined`;
  if (r.status === 'expired') return `the referral that expired before ${recipient} accepted it`;
  return `the ${r.status} referral that was addressed to ${recipient}`;
}

/** A draft back in the form's terms (editing it). */
function referralDetails(r: Referral): Details {
  return {
    ...EMPTY,
    reason: r.reason,
    bodyRegions: r.bodyRegions as BodyRegion[],
    observations: r.observations ?? '',
    painLevel: r.painLevel === null ? '' : String(r.painLevel),
    onsetDate: r.onsetDate ?? '',
    neededBy: r.neededBy ?? '',
    redFlags: r.redFlags as RedFlag[],
    emergencyAdviceGiven: r.emergencyAdviceGiven,
    priority: r.priority,
    ...(r.plan ? planDetails(r.plan) : {}),
  };
}

/** A stored plan back in the form's terms (redirecting a referral). */
function planDetails(plan: Referral['plan'] & object): Partial<Details> {
  return {
    frequencyMode: plan.sessionsPerWeek ? 'perWeek' : 'weeks',
    frequencyWeeks: plan.frequencyWeeks ? String(plan.frequencyWeeks) : '2',
    sessionsPerWeek: plan.sessionsPerWeek ? String(plan.sessionsPerWeek) : '1',
    sessions: plan.sessions ? String(plan.sessions) : '',
    durationWeeks: plan.durationWeeks ? String(plan.durationWeeks) : '',
    reviewBy: plan.reviewBy ?? '',
    goals: plan.goals.join('\n'),
    focusAreas: plan.focusAreas as BodyRegion[],
    pressure: plan.pressure ?? '',
    contraindications: plan.contraindications as Contraindication[],
    precautions: plan.precautions,
    reportEveryWeeks: plan.reportEveryWeeks ? String(plan.reportEveryWeeks) : '',
  };
}

function NumberField(props: {
  label: string;
  name: string;
  min: number;
  max: number;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  hint?: string;
  required?: boolean;
}) {
  return (
    <Field label={props.label} required={props.required} error={props.error} hint={props.hint}>
      {(p) => (
        <input
          {...p}
          type="number"
          name={props.name}
          min={props.min}
          max={props.max}
          inputMode="numeric"
          value={props.value}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}
