'use strict';
// B1: the ceiling for any Fastify route on this machine: no framework, no middleware, a constant JSON.
const Fastify = require('fastify');

const app = Fastify({ logger: false });
app.get('/', async () => ({ status: 'ok' }));

app.listen({ port: Number(process.env.PORT), host: process.env.HOST }).catch((error) => {
  console.error(error);
  process.exit(1);
});
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
