import Redis from 'ioredis';

/** Deletes a test file's queue keys (everything under its QUEUE_PREFIX) from the shared Redis. */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<void> {
  if (!/^test_/.test(prefix)) throw new Error(`Refusing to delete Redis keys under "${prefix}": not a test prefix`);
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
