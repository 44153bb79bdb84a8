'use strict';
// Child process of `bench:live`: holds the SSE streams (GET /api/v1/events) open and timestamps every
// event, so parsing 1,000 streams does not share an event loop with the load it measures.
// Parent → { open: { url, streams: [{ token, label }] } } → 'ready' { opened } ; { stop } → { result }.
const http = require('node:http');

const now = () => performance.timeOrigin + performance.now();
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const requests = [];
/** referralId → arrival times (absolute ms) of its `referral.updated` events with status `sent`, one per stream. */
const sentArrivals = new Map();
const counts = { 'referral.updated': 0, 'notification.created': 0, 'message.created': 0 };
let lastIds = [];
let closedEarly = 0;

function openStream(url, token, index) {
  return new Promise((resolve, reject) => {
    const req = http.get(
      `${url}/api/v1/events`,
      { agent, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`GET /api/v1/events answered ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk) => {
          const at = now();
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id;
            let event;
            let data;
            for (const line of frame.split('\n')) {
              if (line.startsWith('id: ')) id = Number(line.slice(4));
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data = line.slice(6);
            }
            if (!event) continue;
            counts[event] = (counts[event] ?? 0) + 1;
            if (id <= lastIds[index]) counts.outOfOrder = (counts.outOfOrder ?? 0) + 1;
            lastIds[index] = id;
            if (event === 'referral.updated') {
              const payload = JSON.parse(data);
              if (payload.status === 'sent') {
                let list = sentArrivals.get(payload.id);
                if (!list) sentArrivals.set(payload.id, (list = []));
                list.push(at);
              }
            }
          }
        });
        res.on('close', () => {
          if (!stopping) closedEarly += 1;
        });
        resolve();
      },
    );
    req.on('error', (error) => {
      if (!stopping) reject(error);
    });
    requests.push(req);
  });
}

let stopping = false;
process.on('message', async (message) => {
  if (message.open) {
    const { url, streams } = message.open;
    lastIds = streams.map(() => 0);
    try {
      // A few at a time: 1,000 authentications at once would only measure the pool's queue.
      for (let i = 0; i < streams.length; i += 50) {
        await Promise.all(streams.slice(i, i + 50).map((s, j) => openStream(url, s.token, i + j)));
      }
      process.send({ ready: { opened: requests.length } });
    } catch (error) {
      process.send({ error: error.message });
    }
  } else if (message.stop) {
    stopping = true;
    for (const req of requests) req.destroy();
    process.send({ result: { counts, closedEarly, sentArrivals: [...sentArrivals] } });
  }
});
