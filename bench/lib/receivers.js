'use strict';
// What the deliveries bench sends to, on 127.0.0.1: a webhook receiver and an SMTP server that
// only count (test/support/sinks.ts keeps every message for assertions; here only totals matter).
const { createServer } = require('node:http');
const { SMTPServer } = require('smtp-server');

const DELIVERY_HEADER = 'x-referloop-delivery';

/** Answers every POST 200 at once; counts requests and distinct delivery ids (a repeat is a send left in doubt). */
async function startWebhookReceiver() {
  const counts = { requests: 0, bytes: 0 };
  const deliveryIds = new Set();
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (chunk) => (bytes += chunk.length));
    req.on('end', () => {
      counts.requests += 1;
      counts.bytes += bytes;
      const id = req.headers[DELIVERY_HEADER];
      if (typeof id === 'string') deliveryIds.add(id);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/hooks/referloop`,
    counts: () => ({ ...counts, distinct: deliveryIds.size }),
    reset: () => {
      counts.requests = 0;
      counts.bytes = 0;
      deliveryIds.clear();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Accepts every message; counts messages, their bytes and distinct Message-IDs. */
async function startSmtpReceiver() {
  const counts = { messages: 0, bytes: 0 };
  const messageIds = new Set();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      let head = '';
      let bytes = 0;
      stream.on('data', (chunk) => {
        bytes += chunk.length;
        if (head.length < 4096) head += chunk.toString('latin1');
      });
      stream.on('end', () => {
        counts.messages += 1;
        counts.bytes += bytes;
        const id = /^Message-ID:\s*(\S+)/im.exec(head)?.[1];
        if (id) messageIds.add(id);
        callback();
      });
    },
  });
  // A client that goes away mid-message is not the bench's failure.
  server.on('error', () => undefined);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${server.server.address().port}`,
    counts: () => ({ ...counts, distinct: messageIds.size }),
    reset: () => {
      counts.messages = 0;
      counts.bytes = 0;
      messageIds.clear();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

module.exports = { startWebhookReceiver, startSmtpReceiver };
