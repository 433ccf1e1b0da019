// Sends spans to the collector over OTLP/HTTP (JSON), through the plugin queue shared with
// http-log (../http-log/queue.ts): batches of queue.max_batch_size spans, or fewer after
// queue.max_coalescing_delay; retried with backoff, bounded (oldest dropped, with a logged
// count), errors logged at most every 10 s. All of it on timers, never on a request's path.
// One queue per distinct exporter configuration, shared by instances and across reloads.

import { undiciModule } from '../shared/lazy-modules.js';
import { LogQueue } from '../http-log/queue.js';
import { batchEnvelope } from './otlp.js';
import type { OpenTelemetryConfig } from './schema.js';
import type { AttributeValue } from './span.js';

export const SCOPE = { name: 'turnpike.opentelemetry', version: '0.1.0' };

const queues = new Map<string, LogQueue>();

function makeQueue(c: OpenTelemetryConfig, url: URL, resource: Record<string, AttributeValue>): LogQueue {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['content-type'] = 'application/json';
  const connect = Math.max(1, c.connect_timeout);
  const read = Math.max(1, c.read_timeout);
  const { Agent, request } = undiciModule();
  const agent = new Agent({ connect: { timeout: connect }, headersTimeout: read, bodyTimeout: read });
  // undici has no per-write timeout: send_timeout bounds the whole exchange together with the others.
  const total = connect + Math.max(1, c.send_timeout) + read;
  const { head, tail } = batchEnvelope(resource, SCOPE);
  const endpoint = url.href;
  return new LogQueue(
    `opentelemetry ${url.origin}${url.pathname}`,
    c.queue,
    async (spans) => {
      const res = await request(endpoint, {
        method: 'POST',
        headers,
        body: head + spans.join(',') + tail,
        dispatcher: agent,
        signal: AbortSignal.timeout(total),
      });
      await res.body.dump();
      if (res.statusCode >= 400) throw new Error(`collector ${url.host} answered with status code ${res.statusCode}`);
    },
    'opentelemetry',
  );
}

/** The queue for this exporter configuration (created on first use). */
export function exporterFor(c: OpenTelemetryConfig, url: URL, resource: Record<string, AttributeValue>): LogQueue {
  const id = JSON.stringify([
    c.traces_endpoint,
    c.headers,
    resource,
    c.queue,
    c.connect_timeout,
    c.send_timeout,
    c.read_timeout,
  ]);
  let q = queues.get(id);
  if (q === undefined) {
    q = makeQueue(c, url, resource);
    queues.set(id, q);
  }
  return q;
}
