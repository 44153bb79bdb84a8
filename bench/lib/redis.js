'use strict';
// The API creates its queues' keys under QUEUE_PREFIX at start-up; a run leaves none behind.
const Redis = require('ioredis');

async function deleteKeysWithPrefix(url, prefix) {
  if (!/^bench_/.test(prefix)) throw new Error(`Refusing to delete Redis keys under "${prefix}": not a bench prefix`);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

module.exports = { deleteKeysWithPrefix };
