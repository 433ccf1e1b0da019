// http-log: sends Kong's basic log serializer entry (../shared/log-entry.ts) of every request
// to an HTTP collector, through Kong's plugin queue (./queue.ts). Kong priority 12, phase
// log. Sending happens on timers with undici, never on the request path; a slow or dead
// collector costs log entries (logged, bounded by the queue limits), never requests.
// One queue per distinct collector configuration, shared by the instances (and the
// configuration generations) that use it, as Kong's get_queue_id does.

import { undiciModule } from '../shared/lazy-modules.js';
import { definePlugin } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { refuseLua, serializeLogEntry } from '../shared/log-entry.js';
import { LogQueue } from './queue.js';
import { HttpLogSchema, type HttpLogConfig } from './schema.js';

const FORBIDDEN_HEADERS: Record<string, string> = {
  host: "cannot contain 'Host' header",
  'content-length': "cannot contain 'Content-Length' header",
  'content-type': "cannot contain 'Content-Type' header",
};

const queues = new Map<string, LogQueue>();

function makeQueue(c: HttpLogConfig, url: URL): LogQueue {
  const headers: Record<string, string> = { 'content-type': c.content_type };
  for (const [k, v] of Object.entries(c.headers ?? {})) headers[k.toLowerCase()] = v;
  if (url.username !== '' || url.password !== '') {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization = 'Basic ' + Buffer.from(user + ':' + pass).toString('base64');
  }
  const target = new URL(url.href);
  target.username = '';
  target.password = '';
  const timeout = Math.max(1, Math.round(c.timeout));
  const { Agent, request } = undiciModule();
  const agent = new Agent({
    keepAliveTimeout: Math.max(1, Math.round(c.keepalive)),
    connect: { timeout },
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  const single = c.queue.max_batch_size === 1;
  const endpoint = target.href;
  return new LogQueue(`http-log ${endpoint}`, c.queue, async (entries) => {
    const body = single ? entries[0] : '[' + entries.join(',') + ']';
    const res = await request(endpoint, { method: c.method, headers, body, dispatcher: agent });
    await res.body.dump();
    if (res.statusCode >= 400) throw new Error(`request to ${url.host} returned status code ${res.statusCode}`);
  });
}

function prepare(c: HttpLogConfig): LogQueue {
  refuseLua(c.custom_fields_by_lua);
  let url: URL;
  try {
    url = new URL(c.http_endpoint);
  } catch {
    throw new PluginConfigFieldError(
      'http_endpoint',
      `'${c.http_endpoint}' is not a valid URL (expected e.g. http://collector.internal:9000/logs)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PluginConfigFieldError(
      'http_endpoint',
      `unsupported scheme '${url.protocol.slice(0, -1)}' (http or https)`,
    );
  for (const name of Object.keys(c.headers ?? {})) {
    const why = FORBIDDEN_HEADERS[name.toLowerCase()];
    if (why !== undefined) throw new PluginConfigFieldError(`headers.${name}`, why);
    if (name.toLowerCase() === 'authorization' && (url.username !== '' || url.password !== '')) {
      throw new PluginConfigFieldError(
        '',
        "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed",
      );
    }
  }
  // Kong's queue id: every field that changes how entries are sent.
  const id = JSON.stringify([c.http_endpoint, c.method, c.content_type, c.timeout, c.keepalive, c.headers, c.queue]);
  let q = queues.get(id);
  if (q === undefined) {
    q = makeQueue(c, url);
    queues.set(id, q);
  }
  return q;
}

/**
 * Kong's deprecated flat fields (before 3.3): queue_size → queue.max_batch_size,
 * flush_timeout → queue.max_coalescing_delay; retry_count is ignored (Kong's queue retries
 * by time, queue.max_retry_time). The queue.* value wins when both are given.
 */
function upgrade(config: Record<string, unknown>): Record<string, unknown> {
  const out = { ...config };
  const moves: [string, string][] = [
    ['queue_size', 'max_batch_size'],
    ['flush_timeout', 'max_coalescing_delay'],
  ];
  let queue: Record<string, unknown> | null = null;
  for (const [flat, nested] of moves) {
    if (!(flat in out)) continue;
    const v = out[flat];
    delete out[flat];
    if (v === null || v === undefined) continue;
    queue ??= out.queue !== null && typeof out.queue === 'object' ? { ...(out.queue as Record<string, unknown>) } : {};
    if (!(nested in queue)) queue[nested] = v;
  }
  if (queue !== null) out.queue = queue;
  delete out.retry_count;
  return out;
}

export default definePlugin({
  name: 'http-log',
  version: '0.1.0',
  priority: 12,
  schema: HttpLogSchema,
  prepare,
  upgrade,
  phases: {
    // Empty on purpose: a response phase on the route makes the response headers visible to `log`.
    response() {},
    log(ctx, queue) {
      queue.enqueue(JSON.stringify(serializeLogEntry(ctx)));
    },
  },
});
