// Stream (L4) route matching: routes with protocols tcp, tls_passthrough and tls, matched once
// per connection on `sources` (client address), `destinations` (the gateway address the client
// connected to) and `snis` (on a plain listener the server name of a TLS ClientHello, peeked,
// never decrypted; on an ssl listener the server name of the handshake the gateway terminated).
//
// A route matches when every field it sets matches: for `sources` / `destinations`, at least
// one entry whose `ip` (address or CIDR block) contains the address and whose `port` equals
// the port, each part only when given; for `snis`, one name equal to the peeked SNI, or a
// leading wildcard ("*.example.com") covering exactly one more label.
//
// Precedence, most specific first (the order Kong's router uses for its stream fields):
//   1. more fields set (of snis, sources, destinations) first;
//   2. at equal count, snis before sources before destinations;
//   3. exact SNIs before wildcard ones; then longer CIDR prefixes and entries with a port;
//   4. then the order of the routes in the configuration.
// A connection that starts with a TLS ClientHello naming a server is matched against the
// tls_passthrough routes first, then the tcp routes (TLS carried as opaque bytes); any other
// connection against the tcp routes only. A connection whose TLS the gateway terminated (an
// ssl stream listener) is matched against the tls routes only.

import net from 'node:net';

export interface CidrPortSpec {
  ip?: string;
  port?: number;
}

export interface StreamRouteSpec<T> {
  id: string;
  name: string | null;
  protocols: string[];
  sources: CidrPortSpec[] | null | undefined;
  destinations: CidrPortSpec[] | null | undefined;
  snis: string[] | null | undefined;
  order: number;
  data: T;
}

export interface StreamMatchInput {
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  /** SNI of the peeked ClientHello (lower case); null when the client did not start with one naming a server. */
  sni: string | null;
  /** The gateway terminated the connection's TLS (an ssl stream listener): only tls routes apply. */
  terminated?: boolean;
}

export interface StreamMatch<T> {
  route: T;
  protocol: 'tcp' | 'tls_passthrough' | 'tls';
}

interface AddrRule {
  list: net.BlockList | null;
  port: number | null;
  /** For precedence: prefix length (128 for an IPv6 /128 too), -1 without an ip. */
  bits: number;
}

interface Candidate<T> {
  data: T;
  sources: AddrRule[] | null;
  destinations: AddrRule[] | null;
  exactSnis: Set<string> | null;
  wildSnis: string[] | null; // suffixes ".example.com"
  rank: number[];
}

/** "::ffff:1.2.3.4" → "1.2.3.4"; everything else unchanged. */
export function plainIp(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/** Parses "1.2.3.4", "10.0.0.0/8", "::1", "fd00::/8"; throws with a message naming the problem. */
export function parseCidr(text: string): { ip: string; bits: number; family: 'ipv4' | 'ipv6' } {
  const [ip, bitsText, extra] = text.split('/');
  const v = net.isIP(ip);
  if (v === 0 || extra !== undefined)
    throw new Error(`"${text}" is not an IP address or CIDR block (e.g. 10.0.0.0/8 or 127.0.0.1)`);
  const max = v === 4 ? 32 : 128;
  let bits = max;
  if (bitsText !== undefined) {
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max)
      throw new Error(`"${text}": the prefix length must be 0..${max}`);
    bits = Number(bitsText);
  }
  return { ip, bits, family: v === 4 ? 'ipv4' : 'ipv6' };
}

function addrRules(list: CidrPortSpec[] | null | undefined): AddrRule[] | null {
  if (list === null || list === undefined || list.length === 0) return null;
  return list.map((e) => {
    let bl: net.BlockList | null = null;
    let bits = -1;
    if (e.ip !== undefined) {
      const c = parseCidr(e.ip);
      bl = new net.BlockList();
      bl.addSubnet(c.ip, c.bits, c.family);
      bits = c.bits;
    }
    return { list: bl, port: e.port ?? null, bits };
  });
}

function addrMatches(rules: AddrRule[], ip: string, port: number): boolean {
  const family = net.isIPv6(ip) ? 'ipv6' : 'ipv4';
  for (const r of rules) {
    if (r.port !== null && r.port !== port) continue;
    if (r.list !== null && !r.list.check(ip, family)) continue;
    return true;
  }
  return false;
}

function specificity(rules: AddrRule[] | null): number {
  if (rules === null) return -1;
  let best = -1;
  for (const r of rules) best = Math.max(best, r.bits + (r.port !== null ? 1000 : 0));
  return best;
}

function compile<T>(spec: StreamRouteSpec<T>): Candidate<T> {
  const sources = addrRules(spec.sources);
  const destinations = addrRules(spec.destinations);
  let exactSnis: Set<string> | null = null;
  let wildSnis: string[] | null = null;
  for (const raw of spec.snis ?? []) {
    const s = raw.toLowerCase().replace(/\.$/, '');
    if (s.startsWith('*.')) (wildSnis ??= []).push(s.slice(1));
    else (exactSnis ??= new Set()).add(s);
  }
  const hasSni = exactSnis !== null || wildSnis !== null;
  const count = (hasSni ? 1 : 0) + (sources !== null ? 1 : 0) + (destinations !== null ? 1 : 0);
  const mask = (hasSni ? 4 : 0) + (sources !== null ? 2 : 0) + (destinations !== null ? 1 : 0);
  const sniExact = exactSnis !== null ? 1 : 0;
  return {
    data: spec.data,
    sources,
    destinations,
    exactSnis,
    wildSnis,
    // Compared element by element, larger first; the last element (order) smaller first.
    rank: [count, mask, sniExact, specificity(sources), specificity(destinations), -spec.order],
  };
}

function sniMatches<T>(c: Candidate<T>, sni: string | null): boolean {
  if (c.exactSnis === null && c.wildSnis === null) return true;
  if (sni === null) return false;
  if (c.exactSnis !== null && c.exactSnis.has(sni)) return true;
  if (c.wildSnis !== null) {
    for (const w of c.wildSnis) {
      if (sni.length > w.length && sni.endsWith(w) && !sni.slice(0, sni.length - w.length).includes('.')) return true;
    }
  }
  return false;
}

function byRank<T>(a: Candidate<T>, b: Candidate<T>): number {
  for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return b.rank[i] - a.rank[i];
  return 0;
}

export class StreamRouter<T> {
  private readonly passthrough: Candidate<T>[] = [];
  private readonly tcp: Candidate<T>[] = [];
  private readonly tls: Candidate<T>[] = [];

  constructor(specs: StreamRouteSpec<T>[]) {
    for (const s of specs) {
      const c = compile(s);
      if (s.protocols.includes('tls_passthrough')) this.passthrough.push(c);
      if (s.protocols.includes('tcp')) this.tcp.push(c);
      if (s.protocols.includes('tls')) this.tls.push(c);
    }
    this.passthrough.sort(byRank);
    this.tcp.sort(byRank);
    this.tls.sort(byRank);
  }

  get size(): number {
    return this.passthrough.length + this.tcp.length + this.tls.length;
  }

  /**
   * Whether a connection to this gateway address must be peeked for a ClientHello before it
   * can be routed: only when a route that needs an SNI could match there, so protocols where
   * the server speaks first are not held up on listeners without such routes.
   */
  needsSni(dstIp: string, dstPort: number): boolean {
    const dst = plainIp(dstIp);
    for (const list of [this.passthrough, this.tcp]) {
      for (const c of list) {
        if (c.exactSnis === null && c.wildSnis === null && list === this.tcp) continue;
        if (c.destinations === null || addrMatches(c.destinations, dst, dstPort)) return true;
      }
    }
    return false;
  }

  /** The most specific route for a connection, and the protocol it matched as; null when none. */
  match(input: StreamMatchInput): StreamMatch<T> | null {
    const src = plainIp(input.srcIp);
    const dst = plainIp(input.dstIp);
    if (input.terminated === true) {
      const hit = this.first(this.tls, input, src, dst);
      return hit === null ? null : { route: hit, protocol: 'tls' };
    }
    if (input.sni !== null) {
      const hit = this.first(this.passthrough, input, src, dst);
      if (hit !== null) return { route: hit, protocol: 'tls_passthrough' };
    }
    const hit = this.first(this.tcp, input, src, dst);
    return hit === null ? null : { route: hit, protocol: 'tcp' };
  }

  private first(list: Candidate<T>[], input: StreamMatchInput, src: string, dst: string): T | null {
    for (const c of list) {
      if (!sniMatches(c, input.sni)) continue;
      if (c.sources !== null && !addrMatches(c.sources, src, input.srcPort)) continue;
      if (c.destinations !== null && !addrMatches(c.destinations, dst, input.dstPort)) continue;
      return c.data;
    }
    return null;
  }
}
