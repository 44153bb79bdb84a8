'use strict';
// B3: the least any "read one row by primary key" endpoint can cost here: Fastify, a pg pool the
// size of the API's (20), one indexed SELECT, the row as JSON. No auth, no ORM, no validation.
const Fastify = require('fastify');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const SELECT_USER = `SELECT id, full_name, role, clinic_id, licence_number, licence_region, licence_expires_on,
  specialties, languages, accepting_referrals, bio FROM users WHERE id = $1`;

const app = Fastify({ logger: false });
app.get('/users/:id', async (request, reply) => {
  const { rows } = await pool.query(SELECT_USER, [request.params.id]);
  if (rows.length === 0) return reply.code(404).send({ code: 'not_found' });
  return rows[0];
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
