'use strict';
// B2: the least "create a referral" can cost here: Fastify, a pg pool the size of the API's (20), and
// the same four inserts in one transaction as POST /api/v1/referrals (the referral, its 'created'
// event, the event's outbox row, an audit row), the new row's id as JSON. No auth, no validation, no
// ORM. The sender (what the API reads from the token) and the recipient's clinic come from the
// environment: SENDER_ID, SENDER_CLINIC_ID, RECIPIENT_CLINIC_ID.
const Fastify = require('fastify');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const { SENDER_ID, SENDER_CLINIC_ID, RECIPIENT_CLINIC_ID } = process.env;

const app = Fastify({ logger: false });
app.post('/referrals', async (request, reply) => {
  const b = request.body;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const {
      rows: [referral],
    } = await client.query(
      `INSERT INTO referrals (kind, status, patient_id, sender_id, sender_clinic_id, recipient_id, recipient_clinic_id, created_by,
                              priority, reason, body_regions)
       VALUES ($1, 'draft', $2, $3, $4, $5, $6, $3, $7, $8, $9) RETURNING id`,
      [
        b.kind,
        b.patientId,
        SENDER_ID,
        SENDER_CLINIC_ID,
        b.recipientId,
        RECIPIENT_CLINIC_ID,
        b.priority,
        b.reason,
        b.bodyRegions ?? [],
      ],
    );
    const {
      rows: [event],
    } = await client.query(
      `INSERT INTO referral_events (referral_id, type, from_status, to_status, actor_id) VALUES ($1, 'created', NULL, 'draft', $2) RETURNING id`,
      [referral.id, SENDER_ID],
    );
    await client.query(`INSERT INTO outbox_events (type, referral_id, referral_event_id, payload) VALUES ($1, $2, $3, $4)`, [
      'referral.created',
      referral.id,
      event.id,
      { fromStatus: null, toStatus: 'draft', actorId: SENDER_ID },
    ]);
    await client.query(
      `INSERT INTO audit_events (actor_id, clinic_id, action, resource_type, resource_id, outcome) VALUES ($1, $2, 'referral.create', 'referral', $3, 'success')`,
      [SENDER_ID, SENDER_CLINIC_ID, referral.id],
    );
    await client.query('COMMIT');
    return reply.code(201).send({ id: referral.id, status: 'draft' });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
});
// Readiness includes the database, like the API's /health/ready.
app.get('/ready', async () => {
  await pool.query('SELECT 1');
  return { status: 'ok' };
});

app.listen({ port: Number(process.env.PORT), host: process.env.HOST }).catch((error) => {
  console.error(error);
  process.exit(1);
});
process.once('SIGTERM', () =>
  app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0)),
);
