// How a failed connection attempt to an upstream is classified, for both upstream codecs
// (HTTP/1.1 client connections and HTTP/2 sessions).

import { processLog } from '../observe/logger.js';

export type UpstreamFailure = 'connect' | 'connect_timeout' | 'dns' | 'timeout' | 'reset' | 'protocol';

/**
 * getaddrinfo's answers for a host name that does not resolve. Kong answers these with 503
 * "name resolution failed" instead of a 502: the upstream never got the request, and no
 * other attempt on the same name will do better.
 */
const DNS_FAILURES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);

/** The kind and the log message of an error raised while connecting to host:port. */
export function connectFailure(err: NodeJS.ErrnoException, host: string): { kind: UpstreamFailure; message: string } {
  if (err.code !== undefined && DNS_FAILURES.has(err.code)) {
    return { kind: 'dns', message: `name resolution failed for upstream host '${host}' (${err.code})` };
  }
  // Network errors are clear by their code (ECONNREFUSED…); TLS ones need their message.
  const detail =
    err.code !== undefined && /^E[A-Z]+$/.test(err.code)
      ? err.code
      : `${err.code !== undefined ? err.code + ': ' : ''}${err.message}`;
  return { kind: 'connect', message: `cannot connect to the upstream: ${detail}` };
}

/** When each unresolvable host was last logged, and how many failures were not logged since. */
const dnsLogged = new Map<string, { at: number; suppressed: number }>();
const DNS_LOG_INTERVAL_MS = 10_000;

/**
 * The error-log line of a request refused because its upstream host did not resolve. A
 * name that stays broken under load would write a line per request: one line per message
 * every 10 s says the same, with the count of the others.
 */
export function logNameResolutionFailure(message: string, requestId: string): void {
  const now = Date.now();
  const seen = dnsLogged.get(message);
  if (seen !== undefined && now - seen.at < DNS_LOG_INTERVAL_MS) {
    seen.suppressed++;
    return;
  }
  const suppressed = seen?.suppressed ?? 0;
  dnsLogged.set(message, { at: now, suppressed: 0 });
  if (dnsLogged.size > 1000) dnsLogged.clear(); // bounded: a config with many broken names
  processLog().error(
    suppressed > 0 ? { request_id: requestId, repeated: suppressed } : { request_id: requestId },
    message + ': answered 503 "name resolution failed"',
  );
}
