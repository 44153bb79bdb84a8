'use strict';
// What the deliveries bench sends to, on 127.0.0.1: a webhook receiver and an SMTP server that
// only count (test/support/sinks.ts keeps every message for assertions; here only totals matter).
const { createServer } = require('node:http');
const { SMTPServer } = require('smtp-server');

const DELIVERY_HEADER = 'x-referloop-delivery';

/** What a receiver got: how many, and how many distinct ids among them (a repeat is a send left in doubt). */
function tally() {
  let received = 0;
  const ids = new Set();
  return {
    add(id) {
      received += 1;
      if (id) ids.add(id);
    },
    counts: () => ({ received, distinct: ids.size }),
    reset() {
      received = 0;
      ids.clear();
    },
  };
}

/** Answers every POST 200 at once, counting delivery ids. */
async function startWebhookReceiver() {
  const { add, counts, reset } = tally();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = req.headers[DELIVERY_HEADER];
      add(typeof id === 'string' ? id : undefined);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks/referloop`,
    counts,
    reset,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Accepts every message, counting Message-IDs. */
async function startSmtpReceiver() {
  const { add, counts, reset } = tally();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      // The headers come first: the Message-ID is within the first few KB.
      let head = '';
      stream.on('data', (chunk) => {
        if (head.length < 4096) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        add(/^Message-ID:\s*(\S+)/im.exec(head)?.[1]);
        callback();
      });
    },
  });
  // A client that goes away mid-message is not the bench's failure.
  server.on('error', () => undefined);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    counts,
    reset,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

module.exports = { startWebhookReceiver, startSmtpReceiver };
