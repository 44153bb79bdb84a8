import {
  CSV_COLUMNS,
  draftEditSets,
  EDIT_KEYS,
  inputColumns,
  REFERRAL_COLUMNS,
  REFERRAL_SELECT_LIST,
  referralInsert,
  viewColumns,
} from './columns';
import type { ReferralColumns } from './columns';
import { SYSTEM_TRANSITIONS, TRANSITIONS } from '../state-machine/referral-state-machine';

/** The registry's entries that carry `flag`, by name. */
const namesFlagged = (flag: string): string[] =>
  Object.entries(REFERRAL_COLUMNS)
    .filter(([, column]) => (column.flags as readonly string[]).includes(flag))
    .map(([name]) => name);

describe('the referral column registry', () => {
  it('selects every readable entry under its own name, with no parameters (a fixed, preparable text)', () => {
    const readable = Object.entries(REFERRAL_COLUMNS).filter(([, column]) => column.select !== null);
    expect(REFERRAL_SELECT_LIST.values).toEqual([]);
    for (const [name] of readable) expect(REFERRAL_SELECT_LIST.text).toContain(` AS "${name}"`);
    expect(REFERRAL_SELECT_LIST.text).toContain(
      `to_char(r."sent_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "sentAt"`,
    );
    expect(REFERRAL_SELECT_LIST.text).toContain(`r."onset_date"::text AS "onsetDate"`);
    // Insert-only columns are never read back.
    expect(REFERRAL_SELECT_LIST.text).not.toContain('"createdBy"');
  });

  it('inserts every insert column, each value a parameter with its cast', () => {
    const values = Object.fromEntries(
      Object.entries(REFERRAL_COLUMNS)
        .filter(([, column]) => column.insert !== null)
        .map(([name]) => [name, `v:${name}`]),
    ) as unknown as Parameters<typeof referralInsert>[0];
    const insert = referralInsert(values);
    const columns = Object.values(REFERRAL_COLUMNS).flatMap((column) => (column.insert ? [column.insert] : []));
    expect(insert.values).toEqual(Object.values(values));
    expect(insert.text).toBe(
      `INSERT INTO referrals (${columns.map((c) => `"${c.column}"`).join(', ')}) VALUES (${columns.map((c, i) => `$${i + 1}::${c.cast}`).join(', ')})`,
    );
    expect(columns.map((c) => c.column)).toEqual(
      expect.arrayContaining(['created_by', 'pain_level', 'plan', 'recipient_invite_id']),
    );
  });

  it('copies exactly the view entries into the answer, and fills left-out create fields with null', () => {
    const row = Object.fromEntries(
      Object.keys(REFERRAL_COLUMNS).map((name) => [name, `v:${name}`]),
    ) as unknown as ReferralColumns;
    const view = viewColumns(row);
    expect(Object.keys(view).sort()).toEqual(namesFlagged('view').sort());
    expect(view).not.toHaveProperty('senderClinicId');
    expect(view).not.toHaveProperty('pFirstName');
    const plain = namesFlagged('input');
    expect(plain).toEqual(expect.arrayContaining(['observations', 'painLevel', 'onsetDate', 'neededBy']));
    expect(inputColumns({ painLevel: 3 })).toEqual({ ...Object.fromEntries(plain.map((name) => [name, null])), painLevel: 3 });
  });

  it('exports as CSV columns only view entries, each under a header of its own', () => {
    const headers = CSV_COLUMNS.map((column) => column.header);
    expect(new Set(headers).size).toBe(headers.length);
    const viewNames = namesFlagged('view');
    for (const { header, key } of CSV_COLUMNS) {
      expect(header).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(viewNames).toContain(key);
    }
  });
});

describe('draft edits from the registry', () => {
  it('lets a draft edit write the create fields, never the sender, the links or the lifecycle', () => {
    // Every plain create field, and the create fields that carry rules of their own.
    expect([...EDIT_KEYS].sort()).toEqual(
      [
        ...namesFlagged('input'),
        'bodyRegions',
        'emergencyAdviceGiven',
        'kind',
        'patientId',
        'plan',
        'priority',
        'reason',
        'recipientClinicId',
        'recipientId',
        'recipientInviteId',
        'redFlags',
      ].sort(),
    );
  });

  it('sets only the fields given (null clears), each value a parameter with its cast, in registry order', () => {
    const sets = draftEditSets({ redFlags: ['saddle_numbness'], observations: null, emergencyAdviceGiven: true });
    expect(sets.map((set) => set.text)).toEqual([
      '"observations" = $1::text',
      '"red_flags" = $1::text[]',
      '"emergency_advice_given" = $1::boolean',
    ]);
    expect(sets.map((set) => set.values)).toEqual([[null], [['saddle_numbness']], [true]]);
    expect(draftEditSets({})).toEqual([]);
  });
});

describe('lifecycle writes in the state-machine table', () => {
  it('stamps sent_at on send, responded_at on accept and decline, closed_at on close and auto-close', () => {
    expect(TRANSITIONS.send.stamps).toEqual(['sent_at']);
    expect(TRANSITIONS.accept.stamps).toEqual(['responded_at']);
    expect(TRANSITIONS.decline.stamps).toEqual(['responded_at']);
    expect(TRANSITIONS.close.stamps).toEqual(['closed_at']);
    expect(SYSTEM_TRANSITIONS['auto-close'].stamps).toEqual(['closed_at']);
    expect(SYSTEM_TRANSITIONS.expire.stamps).toEqual([]);
    expect(TRANSITIONS.schedule.stores).toEqual(['appointmentAt']);
    expect(TRANSITIONS.reschedule.stores).toEqual(['appointmentAt']);
    expect(TRANSITIONS.unschedule.clears).toEqual(['appointmentAt']);
    expect(TRANSITIONS['send-outcome'].stores).toEqual(['outcome']);
  });
});
