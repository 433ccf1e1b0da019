// The test Redis: its URL (TURNPIKE_TEST_REDIS_URL) and a quick reachability check.

import { Redis } from 'ioredis';

export const REDIS_URL = process.env.TURNPIKE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** PING within `ms`; the error message when it fails, null when it answers. */
export async function pingRedis(url: string, ms = 1500): Promise<string | null> {
  const c = new Redis(url, {
    lazyConnect: true,
    connectTimeout: ms,
    commandTimeout: ms,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on('error', () => {});
  try {
    await c.connect();
    return (await c.ping()) === 'PONG' ? null : 'no PONG';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    c.disconnect();
  }
}
