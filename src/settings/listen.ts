// Kong's listen syntax ("addr:port [ssl] [http2] [reuseport] [backlog=N]", comma-separated, or
// "off"), shared by proxy_listen, stream_listen, admin_listen, status_listen and
// cluster_listen. Which listener serves an address is the engine's listener table
// (src/engine/listeners/); this file only reads the text.

import net from 'node:net';
import { SettingsError } from './values.js';

export interface ListenAddress {
  host: string;
  port: number;
  ssl: boolean;
  http2: boolean;
  /** The text as given, for messages. */
  spec: string;
}

/** Parses Kong's listen syntax: "addr:port [ssl] [http2] [reuseport] [backlog=N]", comma-separated, or "off". */
export function parseListen(name: string, value: string): ListenAddress[] {
  const v = value.trim();
  if (v === 'off' || v === '') return [];
  const out: ListenAddress[] = [];
  for (const part of v.split(',')) {
    const spec = part.trim();
    const words = spec.split(/\s+/);
    const addr = words[0];
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(addr);
    if (m === null)
      throw new SettingsError(
        `${name}: "${spec}" is not a listen address; use "host:port [ssl] [http2]", e.g. "0.0.0.0:8000" or "127.0.0.1:8443 ssl http2", or "off"`,
      );
    const port = Number(m[3]);
    if (port > 65535) throw new SettingsError(`${name}: port ${port} in "${spec}" is out of range (0-65535)`);
    const host = m[1] ?? m[2];
    if (m[1] !== undefined && !net.isIPv6(host))
      throw new SettingsError(`${name}: "${host}" in "${spec}" is not an IPv6 address`);
    let ssl = false;
    let http2 = false;
    for (const w of words.slice(1)) {
      if (w === 'ssl') ssl = true;
      else if (w === 'http2') http2 = true;
      else if (
        w === 'reuseport' ||
        w === 'deferred' ||
        w === 'bind' ||
        /^backlog=\d+$/.test(w) ||
        /^ipv6only=(on|off)$/.test(w) ||
        /^so_keepalive=/.test(w)
      ) {
        // nginx socket options Kong passes through; the kernel defaults are fine for Node.
      } else
        throw new SettingsError(
          `${name}: unknown flag "${w}" in "${spec}"; valid flags: ssl, http2, reuseport, backlog=N, deferred, bind`,
        );
    }
    out.push({ host: host === '*' ? '0.0.0.0' : host, port, ssl, http2, spec });
  }
  return out;
}

/** stream_listen: the same syntax; `http2` means nothing on an L4 listener and is refused. */
export function parseStreamListen(value: string): ListenAddress[] {
  const out = parseListen('stream_listen', value);
  for (const a of out) {
    if (a.http2)
      throw new SettingsError(
        `stream_listen: "${a.spec}": http2 does not apply to stream (TCP) listeners; use "host:port" or "host:port ssl"`,
      );
  }
  return out;
}
