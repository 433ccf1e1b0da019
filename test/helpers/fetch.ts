// Small request helpers shared by the plugin tests.

import { request } from 'undici';
import type { TestUpstream } from './upstream.js';

/** What the default test upstream echoes back: the request it received. */
export type Seen = { url: string; headers: Record<string, string | undefined> };

/** One request; the whole body read as text, and parsed as JSON when it is JSON (else null). */
export async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await request(url, { method, headers });
  const text = await res.body.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.statusCode, headers: res.headers, json, text };
}

/** Requests the upstream received whose path starts with `prefix`. */
export function reached(up: TestUpstream, prefix: string): number {
  return up.requests.filter((r) => r.url.startsWith(prefix)).length;
}
