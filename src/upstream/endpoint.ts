// Targets ("host:port" strings from the configuration) → endpoints the balancers pick.
import { isIPv4, isIPv6 } from 'node:net';
import type { Endpoint } from './types.js';

/** Kong's default target port when the target names none. */
export const DEFAULT_TARGET_PORT = 8000;

const HOSTNAME_RE =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

function parsePort(raw: string, target: string): number {
  if (!/^[0-9]{1,5}$/.test(raw)) throw new Error(`invalid target "${target}": port "${raw}" is not a number`);
  const port = Number(raw);
  if (port < 1 || port > 65535) throw new Error(`invalid target "${target}": port ${port} is out of range 1-65535`);
  return port;
}

/**
 * Parses a Kong target: `host`, `host:port`, `1.2.3.4[:port]`, `[::1][:port]` or a bare IPv6
 * address (`::1`, no port). The port defaults to 8000 as in Kong. IPv6 hosts are returned
 * without brackets. Throws an Error naming the target when it is malformed.
 */
export function parseTarget(target: string): { host: string; port: number } {
  if (typeof target !== 'string' || target.length === 0) throw new Error('invalid target: empty');
  if (target !== target.trim()) throw new Error(`invalid target "${target}": surrounding whitespace`);
  if (target.startsWith('[')) {
    const close = target.indexOf(']');
    if (close < 0) throw new Error(`invalid target "${target}": missing "]"`);
    const host = target.slice(1, close);
    if (!isIPv6(host)) throw new Error(`invalid target "${target}": "${host}" is not an IPv6 address`);
    const rest = target.slice(close + 1);
    if (rest === '') return { host, port: DEFAULT_TARGET_PORT };
    if (!rest.startsWith(':')) throw new Error(`invalid target "${target}": unexpected "${rest}" after "]"`);
    return { host, port: parsePort(rest.slice(1), target) };
  }
  const colons = target.split(':').length - 1;
  if (colons > 1) {
    // Bare IPv6 (no brackets) cannot carry a port.
    if (isIPv6(target)) return { host: target, port: DEFAULT_TARGET_PORT };
    throw new Error(`invalid target "${target}": IPv6 addresses with a port must be bracketed, as "[::1]:8080"`);
  }
  let host = target;
  let port = DEFAULT_TARGET_PORT;
  if (colons === 1) {
    const i = target.indexOf(':');
    host = target.slice(0, i);
    port = parsePort(target.slice(i + 1), target);
  }
  if (host === '') throw new Error(`invalid target "${target}": missing host`);
  if (/^[0-9.]+$/.test(host)) {
    if (!isIPv4(host)) throw new Error(`invalid target "${target}": "${host}" is not a valid IPv4 address`);
  } else if (!HOSTNAME_RE.test(host)) {
    throw new Error(`invalid target "${target}": "${host}" is not a valid hostname`);
  }
  return { host, port };
}

/** The endpoint key: "host:port", with IPv6 hosts bracketed ("[::1]:8080"). */
export function endpointKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A fresh endpoint: healthy, nothing in flight, no latency sample yet (ewmaStamp 0). */
export function createEndpoint(host: string, port: number, weight: number): Endpoint {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid endpoint port ${port}`);
  if (!Number.isFinite(weight) || weight < 0)
    throw new Error(`invalid endpoint weight ${weight} for ${endpointKey(host, port)}`);
  return {
    key: endpointKey(host, port),
    host,
    port,
    weight,
    inflight: 0,
    healthy: true,
    ewma: 0,
    ewmaStamp: 0,
  };
}

/** Convenience: parse a target string and build its endpoint. */
export function endpointFromTarget(target: string, weight: number): Endpoint {
  const { host, port } = parseTarget(target);
  return createEndpoint(host, port, weight);
}
