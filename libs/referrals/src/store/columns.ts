import type { Priority, ReferralKind } from '@referloop/common';
import { cursorTimestamp, sql, type Sql, type SqlCast } from '@referloop/database';
import type { MaintenancePlan, ReferralOutcome } from '../entities/referral.entity';
import { REDIRECTABLE_STATUSES, type ReferralStatus } from '../state-machine/referral-state-machine';

/**
 * The referral column registry: every column the referral view reads and every column a create
 * writes, in ONE table. The view's SELECT list, the insert's column list, the row type, the
 * create input's plain fields, the view's plain fields and the CSV export's extra columns are all
 * derived from it, so a column added here shows up everywhere (and a column the types require but
 * a caller forgets is a compile error, not a silent gap).
 *
 * Flags of an entry:
 * - `view`: copied as it is into `ReferralView` under its (camelCase) name;
 * - `insert`: written by `INSERT INTO referrals` on create (the store's `insertReferral` needs it);
 * - `input`: taken from the create body as it is (`null` when left out) — a plain optional field;
 * - `edit`: a draft edit (`PATCH /referrals/:id`) may write it (`ReferralDraftEdit`, {@link draftEditSets});
 * - `csv`: a column of the CSV export (appended after its fixed columns), with its header.
 * Every entry with a `select` is in the view's SELECT list, aliased to its name.
 */
type Flag = 'view' | 'insert' | 'input' | 'edit';

export interface Column<T, F extends Flag> {
  /** The expression the view's SELECT reads (over `r`, the referral, and its joins), or null: insert only. */
  readonly select: Sql | null;
  /** The column a create (or a draft edit) writes, with the cast of its parameter. */
  readonly insert: { column: string; cast: SqlCast } | null;
  readonly flags: readonly F[];
  /**
   * What `select` reads for a row the statement itself inserts, when that is known without a lookup
   * (nothing can point at a row that did not exist): the create's view skips the subquery.
   */
  readonly inserted?: Sql;
  /** The header of its CSV column, if exported. */
  readonly csv?: string;
  /** Phantom: the TypeScript type of the value (never set). */
  readonly type?: T;
}

/**
 * A timestamptz as `Date#toISOString()` writes it (UTC, milliseconds), formatted by PostgreSQL:
 * parsing dates into Date objects only to format them again was a large share of a list page's CPU.
 */
export const isoUtc = (column: Sql): Sql => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The keyset cursor's timestamp (`cursorTimestamp` in libs/database). */
export const cursorTs = cursorTimestamp;

/** The referrals table's columns the registry names (the only names `sql.identifier` accepts here). */
const DB_COLUMNS = [
  'id',
  'kind',
  'status',
  'version',
  'patient_id',
  'sender_id',
  'sender_clinic_id',
  'recipient_id',
  'recipient_clinic_id',
  'recipient_invite_id',
  'created_by',
  'priority',
  'reason',
  'body_regions',
  'observations',
  'pain_level',
  'onset_date',
  'needed_by',
  'red_flags',
  'emergency_advice_given',
  'plan',
  'replaces_id',
  'previous_id',
  'appointment_at',
  'outcome',
  'sent_at',
  'responded_at',
  'closed_at',
  'created_at',
  'updated_at',
] as const;
export type ReferralDbColumn = (typeof DB_COLUMNS)[number];

export const referralColumn = (name: ReferralDbColumn): Sql => sql`r.${sql.identifier(DB_COLUMNS, name)}`;

/** How a table column is read: as it is, as text (dates), or as an ISO 8601 UTC string (timestamps). */
type Read = 'value' | 'text' | 'iso';

/** A column of the referrals table: `column<number | null>()('pain_level', 'int', ['view', 'insert', 'input'])`. */
const column =
  <T>() =>
  <const F extends Flag = never>(
    name: ReferralDbColumn,
    cast: SqlCast,
    flags: readonly F[] = [],
    options: { read?: Read; csv?: string } = {},
  ): Column<T, F> => {
    const ref = referralColumn(name);
    const read = options.read ?? 'value';
    return {
      select: read === 'iso' ? isoUtc(ref) : read === 'text' ? sql`${ref}::text` : ref,
      insert:
        (flags as readonly Flag[]).includes('insert') || (flags as readonly Flag[]).includes('edit')
          ? { column: name, cast }
          : null,
      flags,
      csv: options.csv,
    };
  };

/** A column a create writes that no view reads. */
const insertOnly =
  <T>() =>
  (name: ReferralDbColumn, cast: SqlCast): Column<T, 'insert'> => ({
    select: null,
    insert: { column: name, cast },
    flags: ['insert'],
  });

/** A value the view reads from the referral's joins (patient, parties, invite) or computes. */
const expression =
  <T>() =>
  <const F extends 'view' = never>(select: Sql, flags: readonly F[] = [], inserted?: Sql): Column<T, F> => ({
    select,
    insert: null,
    flags,
    inserted,
  });

/** A referral follow-up, as much as `partiesOf` needs to decide whether the caller may see it. */
export interface FollowUpParties {
  id: string;
  senderId: string;
  senderClinicId: string;
  recipientId: string;
  recipientClinicId: string;
  sentAt: string | null;
}

/**
 * The live redirect of the referral `id`: the first one made with `replaces_id` pointing at it
 * that was not cancelled (a cancelled redirect leaves the referral free to redirect again).
 */
export const replacementOf = (id: Sql): Sql =>
  sql`(SELECT n.id FROM referrals n WHERE n.replaces_id = ${id} AND n.status <> 'cancelled' ORDER BY n.created_at, n.id LIMIT 1)`;

export const REFERRAL_COLUMNS = {
  id: column<string>()('id', 'uuid', ['view']),
  kind: column<ReferralKind>()('kind', 'text', ['view', 'insert', 'edit']),
  status: column<ReferralStatus>()('status', 'text', ['view', 'insert']),
  version: column<number>()('version', 'int', ['view']),
  patientId: column<string>()('patient_id', 'uuid', ['view', 'insert', 'edit']),
  senderId: column<string>()('sender_id', 'uuid', ['view', 'insert']),
  senderClinicId: column<string>()('sender_clinic_id', 'uuid', ['insert']),
  /** Null while the recipient is a pending invite (see `recipientInviteId`). */
  recipientId: column<string | null>()('recipient_id', 'uuid', ['view', 'insert', 'edit']),
  recipientClinicId: column<string | null>()('recipient_clinic_id', 'uuid', ['insert', 'edit']),
  recipientInviteId: column<string | null>()('recipient_invite_id', 'uuid', ['insert', 'edit']),
  createdBy: insertOnly<string>()('created_by', 'uuid'),
  priority: column<Priority>()('priority', 'text', ['view', 'insert', 'edit']),
  reason: column<string>()('reason', 'text', ['view', 'insert', 'edit']),
  bodyRegions: column<string[]>()('body_regions', 'text[]', ['view', 'insert', 'edit']),
  observations: column<string | null>()('observations', 'text', ['view', 'insert', 'input', 'edit']),
  painLevel: column<number | null>()('pain_level', 'int', ['view', 'insert', 'input', 'edit']),
  onsetDate: column<string | null>()('onset_date', 'date', ['view', 'insert', 'input', 'edit'], { read: 'text' }),
  neededBy: column<string | null>()('needed_by', 'date', ['view', 'insert', 'input', 'edit'], { read: 'text' }),
  redFlags: column<string[]>()('red_flags', 'text[]', ['view', 'insert', 'edit']),
  /** The sender told the client to seek emergency care now: sending with an emergency red flag needs it. */
  emergencyAdviceGiven: column<boolean>()('emergency_advice_given', 'boolean', ['view', 'insert', 'edit']),
  /** Shown through `maintenancePlanView` (plans stored before a field existed read with defaults). */
  plan: column<Partial<MaintenancePlan> | null>()('plan', 'jsonb', ['insert', 'edit']),
  replacesId: column<string | null>()('replaces_id', 'uuid', ['view', 'insert']),
  /** Whether the referral this one redirects was ever sent (null: it redirects none). */
  replacedWasSent: expression<boolean | null>()(
    sql`CASE WHEN r.replaces_id IS NOT NULL THEN (SELECT x.sent_at IS NOT NULL FROM referrals x WHERE x.id = r.replaces_id) END`,
  ),
  /**
   * The redirect made of this referral (declined, cancelled or expired ones only), so the sender
   * is not offered a second; null to the recipient side, whom the redirect does not concern.
   */
  replacedById: expression<string | null>()(
    sql`CASE WHEN r.status IN (${sql.constants(REDIRECTABLE_STATUSES)}) THEN ${replacementOf(sql`r.id`)} END`,
    ['view'],
    sql`NULL::uuid`,
  ),
  previousId: column<string | null>()('previous_id', 'uuid', ['view', 'insert']),
  appointmentAt: column<string | null>()('appointment_at', 'timestamptz', ['view'], { read: 'iso' }),
  /** Shown through `outcomeView` (outcomes stored before the measures existed read with empty measures). */
  outcome: column<Partial<ReferralOutcome> | null>()('outcome', 'jsonb'),
  sentAt: column<string | null>()('sent_at', 'timestamptz', ['view'], { read: 'iso' }),
  respondedAt: column<string | null>()('responded_at', 'timestamptz', [], { read: 'iso' }),
  closedAt: column<string | null>()('closed_at', 'timestamptz', [], { read: 'iso' }),
  createdAt: column<string>()('created_at', 'timestamptz', ['view'], { read: 'iso' }),
  updatedAt: column<string>()('updated_at', 'timestamptz', ['view'], { read: 'iso' }),
  /** updated_at with microseconds, for the boxes' keyset cursors. */
  cursorTs: expression<string>()(cursorTs(sql`r.updated_at`)),
  /** created_at with microseconds, for the export's keyset cursor. */
  createdCursorTs: expression<string>()(cursorTs(sql`r.created_at`)),
  /** The referrals following this one up, with the facts that say who may see them. */
  followUps: expression<FollowUpParties[]>()(
    sql`(SELECT coalesce(json_agg(json_build_object('id', f.id, 'senderId', f.sender_id, 'senderClinicId', f.sender_clinic_id,
                  'recipientId', f.recipient_id, 'recipientClinicId', f.recipient_clinic_id, 'sentAt', f.sent_at)
                  ORDER BY f.created_at, f.id), '[]')
           FROM referrals f WHERE f.previous_id = r.id)`,
    [],
    sql`'[]'::json`,
  ),
  pFirstName: expression<string>()(sql`p.first_name`),
  pLastName: expression<string>()(sql`p.last_name`),
  pDob: expression<string>()(sql`p.date_of_birth::text`),
  pEmail: expression<string | null>()(sql`p.email`),
  pPhone: expression<string | null>()(sql`p.phone`),
  pContact: expression<string>()(sql`p.preferred_contact`),
  sName: expression<string>()(sql`s.full_name`),
  sRole: expression<string>()(sql`s.role`),
  sClinicName: expression<string>()(sql`sc.name`),
  /** The recipient's (null columns while the recipient is a pending invite). */
  tName: expression<string | null>()(sql`t.full_name`),
  tRole: expression<string | null>()(sql`t.role`),
  tClinicName: expression<string | null>()(sql`tc.name`),
  /** The recipient's licence expiry (YYYY-MM-DD): a lapsed one cannot accept. */
  tLicenceExpiresOn: expression<string | null>()(sql`t.licence_expires_on::text`),
  /** The recipient clinic's IANA zone: where the appointment happens. */
  appointmentTimeZone: expression<string | null>()(sql`tc.timezone`, ['view']),
  /** The invite of a recipient not on ReferLoop (null columns for a referral to a directory practitioner). */
  iEmail: expression<string | null>()(sql`ri.email`),
  iName: expression<string | null>()(sql`ri.full_name`),
  iRole: expression<string | null>()(sql`ri.role`),
  iJoined: expression<boolean | null>()(sql`ri.joined_at IS NOT NULL`),
  iTokenVersion: expression<number | null>()(sql`ri.token_version`),
};

type Registry = typeof REFERRAL_COLUMNS;
type ValueOf<C> = C extends Column<infer T, Flag> ? T : never;
type FlagsOf<C> = C extends Column<unknown, infer F> ? F : never;
type KeysWith<F extends Flag> = { [K in keyof Registry]: F extends FlagsOf<Registry[K]> ? K : never }[keyof Registry];
type SelectedKeys = { [K in keyof Registry]: Registry[K] extends { select: null } ? never : K }[keyof Registry];

/** A referral as the view's SELECT answers it: one property per selected registry entry. */
export type ReferralColumns = { [K in SelectedKeys]: ValueOf<Registry[K]> };
/** The registry's plain view fields: copied as they are into `ReferralView`. */
export type ReferralViewColumns = { [K in KeysWith<'view'>]: ValueOf<Registry[K]> };
/** Every column a create writes. */
export type ReferralInsert = { [K in KeysWith<'insert'>]: ValueOf<Registry[K]> };
/** What a draft edit may write: any of the registry's `edit` entries (left out: unchanged). */
export type ReferralDraftEdit = Partial<{ [K in KeysWith<'edit'>]: ValueOf<Registry[K]> }>;
/** The plain optional fields of a create body (stored as given, null when left out). */
export type ReferralInputColumns = { [K in KeysWith<'input'>]?: ValueOf<Registry[K]> };

const keys = Object.keys(REFERRAL_COLUMNS) as (keyof Registry)[];
const has = (key: keyof Registry, flag: Flag) => (REFERRAL_COLUMNS[key].flags as readonly Flag[]).includes(flag);
const SELECTED = keys.filter((key) => REFERRAL_COLUMNS[key].select !== null) as SelectedKeys[];
const INSERT_KEYS = keys.filter((key) => has(key, 'insert')) as KeysWith<'insert'>[];
const INPUT_KEYS = keys.filter((key) => has(key, 'input')) as KeysWith<'input'>[];
/** The registry's `edit` entries: the fields a draft edit may change. */
export const EDIT_KEYS = keys.filter((key) => has(key, 'edit')) as KeysWith<'edit'>[];

/** A SELECT list of every selected entry, each read as `read` says and aliased to its registry name. */
const selectList = (read: (column: Column<unknown, Flag>) => Sql): Sql =>
  sql.join(SELECTED.map((key) => sql`${read(REFERRAL_COLUMNS[key])} AS ${sql.identifier(SELECTED, key)}`));

/** The SELECT list of the referral view. */
export const REFERRAL_SELECT_LIST: Sql = selectList((column) => column.select as Sql);

/** The same list for a row the statement itself inserts: each entry's `inserted` value where it has one. */
export const INSERTED_SELECT_LIST: Sql = selectList((column) => column.inserted ?? (column.select as Sql));

/**
 * The plain view fields of a row (the registry's `view` entries). Spelled out: the compiler holds
 * it to the registry (a `view` entry left out, or one too many, does not build), and a literal
 * gives every answer one fixed shape, where copying in a loop over the keys built each object key
 * by key (a page of 50 then took 10x as long to compose and a third longer to serialize).
 */
export function viewColumns(row: ReferralColumns): ReferralViewColumns {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    version: row.version,
    patientId: row.patientId,
    senderId: row.senderId,
    recipientId: row.recipientId,
    priority: row.priority,
    reason: row.reason,
    bodyRegions: row.bodyRegions,
    observations: row.observations,
    painLevel: row.painLevel,
    onsetDate: row.onsetDate,
    neededBy: row.neededBy,
    redFlags: row.redFlags,
    emergencyAdviceGiven: row.emergencyAdviceGiven,
    replacesId: row.replacesId,
    replacedById: row.replacedById,
    previousId: row.previousId,
    appointmentAt: row.appointmentAt,
    sentAt: row.sentAt,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    appointmentTimeZone: row.appointmentTimeZone,
  };
}

/** The plain optional fields of a create body, null when left out. */
export function inputColumns(
  input: ReferralInputColumns,
): Required<{ [K in keyof ReferralInputColumns]: ReferralInputColumns[K] | null }> {
  const out: Record<string, unknown> = {};
  for (const key of INPUT_KEYS) out[key] = input[key] ?? null;
  return out as Required<{ [K in keyof ReferralInputColumns]: ReferralInputColumns[K] | null }>;
}

/** The insert's column names, in registry order (built once: a create runs on every request). */
const INSERT_COLUMN_LIST = sql.join(
  INSERT_KEYS.map((key) => sql.identifier(DB_COLUMNS, (REFERRAL_COLUMNS[key].insert as { column: ReferralDbColumn }).column)),
);

/** `INSERT INTO referrals (…) VALUES (…)` of every insert column, in registry order (one fixed text). */
export function referralInsert(values: ReferralInsert): Sql {
  const params = INSERT_KEYS.map((key) => sql.param(values[key], (REFERRAL_COLUMNS[key].insert as { cast: SqlCast }).cast));
  return sql`INSERT INTO referrals (${INSERT_COLUMN_LIST}) VALUES (${sql.join(params)})`;
}

/** The SET items of a draft edit: one per `edit` entry given, in registry order (names only from the registry). */
export function draftEditSets(values: ReferralDraftEdit): Sql[] {
  return EDIT_KEYS.filter((key) => values[key] !== undefined).map((key) => {
    const { column, cast } = REFERRAL_COLUMNS[key].insert as { column: ReferralDbColumn; cast: SqlCast };
    return sql`${sql.identifier(DB_COLUMNS, column)} = ${sql.param(values[key], cast)}`;
  });
}

/** A field of a draft edit's body: a registry `edit` entry, or the invitee (stored as their pending invite). */
export type DraftEditField = KeysWith<'edit'> | 'recipientInvite';

/**
 * Of the edit's `fields`, those whose stored value the edit changed, as a SQL `text[]` over `old`
 * (the row as the edit found it) and `r` (as written): a form saves every field, and the timeline and
 * the audit log name only what changed.
 */
export function draftEditChanged(fields: readonly DraftEditField[]): Sql {
  const changed = fields.map((field) => {
    const key = field === 'recipientInvite' ? 'recipientInviteId' : field;
    const column = sql.identifier(DB_COLUMNS, (REFERRAL_COLUMNS[key].insert as { column: ReferralDbColumn }).column);
    return sql`CASE WHEN old.${column} IS DISTINCT FROM r.${column} THEN ${sql.param(field, 'text')} END`;
  });
  return sql`array_remove(ARRAY[${sql.join([...changed, sql`NULL`])}]::text[], NULL)`;
}

/** The CSV export's registry columns (appended after its fixed columns, so added fields never shift the others). */
export const CSV_COLUMNS: readonly { header: string; key: SelectedKeys }[] = SELECTED.flatMap((key) => {
  const header = REFERRAL_COLUMNS[key].csv;
  return header ? [{ header, key }] : [];
});
