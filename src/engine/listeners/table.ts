// The table of listener kinds. The worker binds one listener per address of each listen
// setting, of the kind the address's flags pick here; the primary asks the same table which
// addresses need a certificate and what to say at start-up. Adding a kind is one file
// beside this one and one entry below (docs/contributing-listeners.md).

import type { ListenAddress, Settings } from '../../settings/index.js';
import { httpKind } from './http.js';
import { httpsKind } from './https.js';
import { h2cKind } from './h2c.js';
import { httpsH2Kind } from './https-h2.js';
import { tcpStreamKind } from './tcp-stream.js';
import { tlsStreamKind } from './tls-stream.js';
import type { ListenerKind, ListenSetting, StartupLine } from './types.js';

export const LISTENER_KINDS: readonly ListenerKind[] = [
  httpKind,
  httpsKind,
  h2cKind,
  httpsH2Kind,
  tcpStreamKind,
  tlsStreamKind,
];

/** The listen settings the table serves, in the order a worker binds them. */
const LISTEN_SETTINGS: readonly { name: ListenSetting; addresses(s: Settings): readonly ListenAddress[] }[] = [
  { name: 'stream_listen', addresses: (s) => s.streamListen },
  { name: 'proxy_listen', addresses: (s) => s.proxyListen },
];

export interface ListenerAt {
  readonly kind: ListenerKind;
  readonly address: ListenAddress;
}

/** The kind that serves an address of a listen setting. */
export function kindOf(setting: ListenSetting, address: ListenAddress): ListenerKind {
  for (const k of LISTENER_KINDS) {
    if (k.setting === setting && k.ssl === address.ssl && k.http2 === address.http2) return k;
  }
  // The settings parser refuses the flags no kind takes (http2 on stream_listen).
  throw new Error(`${setting} "${address.spec}": no listener kind takes these flags`);
}

/** Every listener a worker opens, with its kind, in binding order. */
export function listenersOf(settings: Settings): ListenerAt[] {
  const out: ListenerAt[] = [];
  for (const s of LISTEN_SETTINGS) {
    for (const address of s.addresses(settings)) out.push({ kind: kindOf(s.name, address), address });
  }
  return out;
}

export function listenerUrl(l: ListenerAt): string {
  return `${l.kind.urlScheme}://${l.address.host}:${l.address.port}`;
}

/** What the primary logs about the listeners at start-up, after its "started" line. */
export function startupLines(settings: Settings): StartupLine[] {
  const all = listenersOf(settings);
  const out: StartupLine[] = [];
  for (const k of LISTENER_KINDS) {
    if (k.announce === undefined) continue;
    const urls = all.filter((l) => l.kind === k).map(listenerUrl);
    if (urls.length > 0) out.push(k.announce(urls));
  }
  for (const l of all) {
    if (l.kind.note !== undefined) out.push({ message: l.kind.note(l.address) });
  }
  return out;
}
