'use strict';
// Bulk seeding shared by the benches that need a big database (bench/scenarios/admin.js,
// bench/scenarios/referrals.js): clinics, practitioners, patients, referrals and their timelines,
// set-based SQL only (generate_series), on two sessions (one statement per core).
const { Client } = require('pg');

const CLINICS = 200;
const STAFF_PER_ROLE = 6;
const PATIENTS_PER_CLINIC = 100;

// Seeding: set-based SQL only (generate_series), in one session.

/**
 * Referral statuses by share (cumulative thresholds on one random number). Referrals still
 * awaiting a decision are recent (the last 10 days, as the 14-day expiry would have ended older
 * ones); the rest spread over the last year.
 */
const STATUS_MIX = [
  ['draft', 0.03],
  ['sent', 0.02],
  ['received', 0.015],
  ['info_requested', 0.005],
  ['accepted', 0.04],
  ['scheduled', 0.04],
  ['in_care', 0.05],
  ['outcome_sent', 0.04],
  ['closed', 0.45],
  ['declined', 0.1],
  ['cancel_requested', 0.01],
  ['cancelled', 0.1],
  ['expired', 0.1],
];

function statusCase(column) {
  let cumulative = 0;
  const arms = STATUS_MIX.map(([status, share]) => {
    cumulative += share;
    return `WHEN ${column} < ${cumulative.toFixed(4)} THEN '${status}'`;
  });
  return `CASE ${arms.join(' ')} ELSE 'closed' END`;
}

const SETUP_STEPS = [
  [
    'clinics',
    `
    CREATE TABLE bench_clinics AS
      SELECT 1 AS n, '{{CLINIC_ID}}'::uuid AS id
      UNION ALL SELECT n, gen_random_uuid() FROM generate_series(2, ${CLINICS}) n;
    INSERT INTO clinics (id, name, address_line1, address_city, address_region, address_postal_code, address_country, phone, timezone)
      SELECT id, 'Bench Clinic ' || n, '1 Main St', 'Austin', 'TX', '78701', 'US', '+1 512 555 0100', 'America/Chicago'
        FROM bench_clinics WHERE n > 1;`,
  ],
  [
    'practitioners',
    `
    CREATE TABLE bench_staff AS
      SELECT c.n AS clinic_n, c.id AS clinic_id, r.role, s AS slot, gen_random_uuid() AS id
        FROM bench_clinics c
        CROSS JOIN (VALUES ('massage_therapist'), ('physical_therapist')) r(role)
        CROSS JOIN generate_series(0, ${STAFF_PER_ROLE - 1}) s;
    CREATE INDEX ON bench_staff (clinic_n, role, slot);
    INSERT INTO users (id, clinic_id, email, full_name, role, licence_number, licence_region, licence_expires_on, languages, activated_at)
      SELECT id, clinic_id, 'bench-' || clinic_n || '-' || role || '-' || slot || '@example.test',
             CASE role WHEN 'massage_therapist' THEN 'Massage ' ELSE 'Physio ' END || clinic_n || '-' || slot,
             role, 'L-' || clinic_n || '-' || role || '-' || slot, 'TX', DATE '2099-12-31', '{en}', now()
        FROM bench_staff;`,
  ],
  [
    'patients',
    `
    CREATE TABLE bench_patients AS
      SELECT c.n AS clinic_n, c.id AS clinic_id, s AS slot, gen_random_uuid() AS id
        FROM bench_clinics c CROSS JOIN generate_series(0, ${PATIENTS_PER_CLINIC - 1}) s;
    CREATE INDEX ON bench_patients (clinic_n, slot);
    -- Fresh tables have no statistics yet: without them the planner would nest-loop 1M rows over them.
    ANALYZE bench_clinics;
    ANALYZE bench_staff;
    ANALYZE bench_patients;
    INSERT INTO patients (id, clinic_id, first_name, last_name, date_of_birth, email, preferred_contact, created_by)
      SELECT p.id, p.clinic_id, 'Pat' || p.slot, 'Bench' || p.clinic_n, DATE '1980-01-01' + p.slot, 'p' || p.slot || '@example.test', 'email', st.id
        FROM bench_patients p
        JOIN bench_staff st ON st.clinic_n = p.clinic_n AND st.role = 'massage_therapist' AND st.slot = 0;
    INSERT INTO patient_consents (patient_id, clinic_id, scope, granted_at, recorded_by)
      SELECT p.id, p.clinic_id, 'referral_sharing', now() - interval '400 days', st.id
        FROM bench_patients p
        JOIN bench_staff st ON st.clinic_n = p.clinic_n AND st.role = 'massage_therapist' AND st.slot = 0;`,
  ],
];

/** Referrals g in [$lo, $hi], oldest first (a live table fills in time order). */
const REFERRALS_SQL = (lo, hi) => `
    INSERT INTO referrals (kind, status, version, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id, created_by,
                           priority, reason, body_regions, observations, pain_level, plan, sent_at, responded_at, closed_at,
                           appointment_at, outcome, sla_paused_ms, sla_paused_at, created_at, updated_at)
    SELECT k.kind, st.status, 1 + tl.steps, p.id, s.id, s.clinic_id, t.id, t.clinic_id, s.id,
           CASE WHEN x.r_age < 0.1 THEN 'urgent' ELSE 'routine' END,
           'Bench referral ' || x.g, '{lower_back,neck}', 'Tight paraspinals; reduced rotation', (x.g % 11)::smallint,
           CASE WHEN k.kind = 'maintenance_massage' THEN '{"frequencyWeeks": 2, "focusAreas": ["neck"], "precautions": "none"}'::jsonb END,
           tl.sent_at, tl.responded_at, tl.closed_at, tl.appointment_at,
           CASE WHEN tl.outcome_at IS NOT NULL THEN jsonb_build_object('summary', 'Discharged, goals met', 'recommendations', NULL, 'sentAt', to_char(tl.outcome_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END,
           tl.paused_ms, tl.paused_at, tl.created_at, tl.updated_at
      FROM (
        SELECT g, random() AS r_kind, random() AS r_status, random() AS r_age, random() AS r_resp, random() AS r_info,
               random() AS r_sched, random() AS r_out,
               1 + floor(random() * ${CLINICS})::int AS sc, 1 + floor(random() * ${CLINICS})::int AS rc,
               floor(random() * ${STAFF_PER_ROLE})::int AS ss, floor(random() * ${STAFF_PER_ROLE})::int AS rs,
               floor(random() * ${PATIENTS_PER_CLINIC})::int AS ps
          FROM generate_series(${lo}, ${hi}) g
      ) x
      CROSS JOIN LATERAL (SELECT CASE WHEN x.r_kind < 0.8 THEN 'injury_care' ELSE 'maintenance_massage' END AS kind) k
      CROSS JOIN LATERAL (SELECT ${statusCase('x.r_status')} AS status) st
      JOIN bench_staff s ON s.clinic_n = x.sc AND s.slot = x.ss
                        AND s.role = CASE k.kind WHEN 'injury_care' THEN 'massage_therapist' ELSE 'physical_therapist' END
      JOIN bench_staff t ON t.clinic_n = x.rc AND t.slot = x.rs
                        AND t.role = CASE k.kind WHEN 'injury_care' THEN 'physical_therapist' ELSE 'massage_therapist' END
      JOIN bench_patients p ON p.clinic_n = x.sc AND p.slot = x.ps
      CROSS JOIN LATERAL (
        SELECT now() - CASE WHEN st.status IN ('sent', 'received', 'info_requested') THEN x.r_age * interval '10 days'
                            ELSE x.r_age * interval '365 days' END AS created_at,
               -- cancelled: 30 % as drafts, 50 % before a decision, 20 % after acceptance
               st.status = 'draft' OR (st.status = 'cancelled' AND x.r_info < 0.3) AS never_sent,
               st.status IN ('accepted', 'scheduled', 'in_care', 'outcome_sent', 'closed', 'cancel_requested')
                 OR (st.status = 'cancelled' AND x.r_info >= 0.8) AS was_accepted,
               -- 15 % of the decided ones waited for information first; info_requested ones still wait
               st.status = 'info_requested' OR (x.r_info < 0.15 AND st.status IN ('accepted', 'scheduled', 'in_care', 'outcome_sent', 'closed', 'declined')) AS had_info
      ) f
      CROSS JOIN LATERAL (
        SELECT CASE WHEN NOT f.never_sent THEN f.created_at + (5 + x.r_resp * 115) * interval '1 minute' END AS sent_at,
               CASE WHEN f.had_info AND st.status <> 'info_requested' THEN ((2 + x.r_out * 46) * 3600000)::bigint ELSE 0 END AS paused_ms
      ) a
      CROSS JOIN LATERAL (
        SELECT CASE WHEN f.was_accepted OR st.status = 'declined'
                    THEN a.sent_at + (1 + x.r_resp * 71) * interval '1 hour' + a.paused_ms * interval '1 millisecond' END AS responded_at
      ) b
      CROSS JOIN LATERAL (
        SELECT CASE WHEN st.status IN ('scheduled', 'in_care', 'outcome_sent', 'closed')
                    THEN b.responded_at + (2 + x.r_sched * 46) * interval '1 hour' + (1 + x.r_sched * 13) * interval '1 day' END AS appointment_at
      ) c
      CROSS JOIN LATERAL (
        SELECT f.created_at, a.sent_at, a.paused_ms, b.responded_at, c.appointment_at,
               CASE WHEN st.status = 'info_requested' THEN a.sent_at + interval '1 hour' END AS paused_at,
               CASE WHEN st.status IN ('outcome_sent', 'closed') THEN c.appointment_at + (7 + x.r_out * 30) * interval '1 day' END AS outcome_at,
               CASE WHEN st.status = 'closed' THEN c.appointment_at + (9 + x.r_out * 30) * interval '1 day' END AS closed_at,
               CASE st.status
                 WHEN 'draft' THEN f.created_at
                 WHEN 'sent' THEN a.sent_at
                 WHEN 'received' THEN a.sent_at + interval '30 minutes'
                 WHEN 'info_requested' THEN a.sent_at + interval '1 hour'
                 WHEN 'accepted' THEN b.responded_at
                 WHEN 'declined' THEN b.responded_at
                 WHEN 'scheduled' THEN b.responded_at + (c.appointment_at - b.responded_at) / 4
                 WHEN 'in_care' THEN c.appointment_at
                 WHEN 'outcome_sent' THEN c.appointment_at + (7 + x.r_out * 30) * interval '1 day'
                 WHEN 'closed' THEN c.appointment_at + (9 + x.r_out * 30) * interval '1 day'
                 WHEN 'cancel_requested' THEN b.responded_at + interval '1 day'
                 WHEN 'cancelled' THEN COALESCE(b.responded_at + interval '2 days', a.sent_at + interval '1 day', f.created_at + interval '1 day')
                 WHEN 'expired' THEN a.sent_at + interval '14 days'
               END AS updated_at,
               CASE st.status WHEN 'draft' THEN 0 WHEN 'sent' THEN 1 WHEN 'received' THEN 2 WHEN 'info_requested' THEN 2
                 WHEN 'accepted' THEN 2 WHEN 'declined' THEN 2 WHEN 'scheduled' THEN 3 WHEN 'in_care' THEN 4
                 WHEN 'outcome_sent' THEN 5 WHEN 'closed' THEN 6 WHEN 'cancel_requested' THEN 3 WHEN 'expired' THEN 2
                 ELSE 2 END AS steps
      ) tl
     ORDER BY tl.created_at`;

/**
 * The timeline of the referrals in `idRange`, derived from each referral's columns
 * (the same path the API would have written).
 */
const EVENTS_SQL = (idRange) => `
    INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id, data, occurred_at)
    SELECT r.id, e.type, e.from_status, e.to_status, e.actor_id, e.data, e.occurred_at
      FROM referrals r
      CROSS JOIN LATERAL (
        SELECT r.sla_paused_ms > 0 OR r.sla_paused_at IS NOT NULL AS had_info,
               r.responded_at + (r.appointment_at - r.responded_at) / 4 AS scheduled_at
      ) d
      CROSS JOIN LATERAL (VALUES
        ('created', NULL, 'draft', r.sender_id, NULL::jsonb, r.created_at),
        ('sent', 'draft', 'sent', r.sender_id, NULL, r.sent_at),
        ('acknowledged', 'sent', 'received', r.recipient_id, NULL, CASE WHEN r.status = 'received' THEN r.sent_at + interval '30 minutes' END),
        ('info_requested', 'sent', 'info_requested', r.recipient_id, NULL, CASE WHEN d.had_info THEN r.sent_at + interval '1 hour' END),
        ('info_provided', 'info_requested', 'received', r.sender_id, NULL,
           CASE WHEN r.sla_paused_ms > 0 THEN r.sent_at + interval '1 hour' + r.sla_paused_ms * interval '1 millisecond' END),
        ('accepted', CASE WHEN d.had_info THEN 'received' ELSE 'sent' END, 'accepted', r.recipient_id, NULL,
           CASE WHEN r.status <> 'declined' THEN r.responded_at END),
        ('declined', CASE WHEN d.had_info THEN 'received' ELSE 'sent' END, 'declined', r.recipient_id, NULL,
           CASE WHEN r.status = 'declined' THEN r.responded_at END),
        ('scheduled', 'accepted', 'scheduled', r.recipient_id,
           CASE WHEN r.appointment_at IS NOT NULL THEN jsonb_build_object('appointmentAt', to_char(r.appointment_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) END,
           d.scheduled_at),
        ('care_started', 'scheduled', 'in_care', r.recipient_id, NULL,
           CASE WHEN r.status IN ('in_care', 'outcome_sent', 'closed') THEN r.appointment_at END),
        ('outcome_sent', 'in_care', 'outcome_sent', r.recipient_id, NULL, (r.outcome->>'sentAt')::timestamptz),
        ('closed', 'outcome_sent', 'closed', r.sender_id, NULL, r.closed_at),
        ('cancel_requested', 'accepted', 'cancel_requested', r.sender_id, NULL,
           CASE WHEN r.status IN ('cancel_requested', 'cancelled') AND r.responded_at IS NOT NULL THEN r.responded_at + interval '1 day' END),
        ('cancel_confirmed', 'cancel_requested', 'cancelled', r.recipient_id, NULL,
           CASE WHEN r.status = 'cancelled' AND r.responded_at IS NOT NULL THEN r.updated_at END),
        ('cancelled', CASE WHEN r.sent_at IS NULL THEN 'draft' ELSE 'sent' END, 'cancelled', r.sender_id, NULL,
           CASE WHEN r.status = 'cancelled' AND r.responded_at IS NULL THEN r.updated_at END),
        ('expired', 'sent', 'expired', NULL::uuid, NULL, CASE WHEN r.status = 'expired' THEN r.updated_at END),
        -- The reminders and escalations the timers already sent (default REMINDER_AFTER / ESCALATE_AFTER
        -- and their urgent values; pauses ignored: a little early is harmless, the sweep skips them).
        ('reminder_sent', r.status, r.status, NULL, NULL,
           CASE WHEN r.status IN ('sent', 'received')
                 AND r.sent_at + CASE WHEN r.priority = 'urgent' THEN interval '4 hours' ELSE interval '48 hours' END <= now()
                THEN r.sent_at + CASE WHEN r.priority = 'urgent' THEN interval '4 hours' ELSE interval '48 hours' END END),
        ('escalated', r.status, r.status, NULL, NULL,
           CASE WHEN r.status IN ('sent', 'received')
                 AND r.sent_at + CASE WHEN r.priority = 'urgent' THEN interval '24 hours' ELSE interval '96 hours' END <= now()
                THEN r.sent_at + CASE WHEN r.priority = 'urgent' THEN interval '24 hours' ELSE interval '96 hours' END END)
      ) e(type, from_status, to_status, actor_id, data, occurred_at)
     WHERE e.occurred_at IS NOT NULL AND ${idRange}`;

/** Outcome reports older than the default AUTO_CLOSE_AFTER (14 days) were auto-closed by the timers. */
const AUTO_CLOSED_SQL = `
    UPDATE referrals SET status = 'closed', version = version + 1,
           closed_at = (outcome->>'sentAt')::timestamptz + interval '14 days',
           updated_at = (outcome->>'sentAt')::timestamptz + interval '14 days'
     WHERE status = 'outcome_sent' AND (outcome->>'sentAt')::timestamptz <= now() - interval '14 days'`;

/** The two big tables: their secondary indexes are dropped for the load and rebuilt after (one sort each). */
const BULK_TABLES = ['referrals', 'referral_events'];
const HALF_UUID = '80000000-0000-0000-0000-000000000000';

async function session(databaseUrl) {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  // Bulk load: the rows are consistent by construction, so foreign-key triggers (one lookup per
  // row) are skipped for these sessions only. Memory enough to sort and build in one pass.
  await client.query(`SET session_replication_role = replica`);
  await client.query(`SET maintenance_work_mem = '256MB'`);
  await client.query(`SET work_mem = '128MB'`);
  await client.query(`SET max_parallel_maintenance_workers = 0`);
  return client;
}

const seconds = (started) => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Runs `sqls` two at a time on the two sessions (2 cores: one statement per core). */
async function onBoth(sessions, sqls) {
  const queue = [...sqls];
  let count = 0;
  await Promise.all(
    sessions.map(async (client) => {
      for (let sql = queue.shift(); sql !== undefined; sql = queue.shift()) {
        const { rowCount } = await client.query(sql);
        count += rowCount ?? 0;
      }
    }),
  );
  return count;
}

/**
 * Seeds ${CLINICS} clinics (clinic 1 is `clinicId`, which must exist), their staff and patients,
 * then referrals (with their timelines) in phases: `totals` is the cumulative referral count after
 * each phase (e.g. [10000, 1000000]); `afterPhase(total)` runs after each one, once indexes are
 * rebuilt and the tables analysed. `log` prints progress.
 */
async function seed(databaseUrl, clinicId, { totals, afterPhase = async () => {}, log = console.log } = {}) {
  // Inlined into multi-statement SQL (no parameters there): it must be a UUID, nothing else.
  if (!/^[0-9a-f-]{36}$/.test(clinicId)) throw new Error(`unexpected clinic id ${clinicId}`);
  const sessions = [await session(databaseUrl), await session(databaseUrl)];
  const [a] = sessions;
  try {
    for (const [name, sql] of SETUP_STEPS) {
      const started = Date.now();
      const inserted = [await a.query(sql.replace('{{CLINIC_ID}}', clinicId))]
        .flat()
        .reduce((n, r) => n + (r.command === 'INSERT' ? r.rowCount : 0), 0);
      log(`bench: seeded ${name}: ${inserted.toLocaleString('en-US')} rows in ${seconds(started)}`);
    }
    let done = 0;
    for (const total of totals) {
      await seedReferralPhase(sessions, done, total, log);
      done = total;
      await afterPhase(total);
    }
    await a.query(`DROP TABLE bench_patients, bench_staff, bench_clinics`);
  } finally {
    await Promise.all(sessions.map((c) => c.end()));
  }
}

/** Referrals done+1..total and their events: indexes dropped for the load, rebuilt after (one sort each). */
async function seedReferralPhase(sessions, done, total, log) {
  const [a] = sessions;
  const { rows: indexes } = await a.query(
    `SELECT i.indexname, i.indexdef FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename = ANY($1)
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    [BULK_TABLES],
  );
  for (const { indexname } of indexes) await a.query(`DROP INDEX "${indexname}"`);
  // The events' primary key (random UUIDs) would take 5M random B-tree inserts; built after, it is one sort.
  // The foreign keys that refer to it (outbox rows, progress reports, …) go first and come back after.
  const { rows: referring } = await a.query(
    `SELECT conrelid::regclass::text AS "table", conname AS name, pg_get_constraintdef(oid) AS definition
       FROM pg_constraint WHERE contype = 'f' AND confrelid = 'referral_events'::regclass`,
  );
  for (const fk of referring) await a.query(`ALTER TABLE ${fk.table} DROP CONSTRAINT "${fk.name}"`);
  await a.query(`ALTER TABLE referral_events DROP CONSTRAINT referral_events_pkey`);

  let started = Date.now();
  const half = done + Math.floor((total - done) / 2);
  const referrals = await onBoth(sessions, [REFERRALS_SQL(done + 1, half), REFERRALS_SQL(half + 1, total)]);
  log(`bench: seeded referrals: ${referrals.toLocaleString('en-US')} rows in ${seconds(started)}`);
  // A live system's timers keep up: nothing is left due for them to find (else the first sweep of a
  // measured worker would work off a backlog of a year of auto-closes, reminders and escalations).
  await a.query(AUTO_CLOSED_SQL);
  started = Date.now();
  // A later phase only adds the timelines of the referrals it added (a hash anti-join on the events so far).
  const fresh = done === 0 ? '' : ' AND NOT EXISTS (SELECT 1 FROM referral_events o WHERE o.referral_id = r.id)';
  const events = await onBoth(sessions, [
    EVENTS_SQL(`r.id < '${HALF_UUID}'${fresh}`),
    EVENTS_SQL(`r.id >= '${HALF_UUID}'${fresh}`),
  ]);
  log(`bench: seeded referral events: ${events.toLocaleString('en-US')} rows in ${seconds(started)}`);

  started = Date.now();
  await onBoth(sessions, [
    // The events' key (one session) while the other session builds the referrals' indexes; the
    // events' own indexes follow (ADD PRIMARY KEY locks the table exclusively meanwhile).
    `ALTER TABLE referral_events ADD CONSTRAINT referral_events_pkey PRIMARY KEY (id)`,
    ...indexes.filter((i) => !i.indexdef.includes('ON public.referral_events ')).map((i) => i.indexdef),
  ]);
  await onBoth(
    sessions,
    indexes.filter((i) => i.indexdef.includes('ON public.referral_events ')).map((i) => i.indexdef),
  );
  for (const fk of referring) await a.query(`ALTER TABLE ${fk.table} ADD CONSTRAINT "${fk.name}" ${fk.definition}`);
  log(`bench: rebuilt the primary key and ${indexes.length} indexes in ${seconds(started)}`);

  started = Date.now();
  // VACUUM sets the visibility map, so the covering indexes serve index-only scans (as autovacuum
  // does on a live table); ANALYZE gives the planner the real distribution.
  await onBoth(sessions, [`VACUUM (ANALYZE) referral_events`, `VACUUM (ANALYZE) referrals, users, patients, clinics`]);
  log(`bench: VACUUM ANALYZE in ${seconds(started)}`);
}

module.exports = { seed, CLINICS, STAFF_PER_ROLE, PATIENTS_PER_CLINIC };
