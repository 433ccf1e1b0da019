// Host index: exact hosts in a Map; `*.example.com` by suffix and `example.*` by prefix,
// both found by rolling a hash over the request host (one Map probe per suffix/prefix
// length that some route uses); routes without hosts in one "any host" bucket that is
// always consulted as well. Each bucket is a PathBucket; ranks decide across buckets.
import type { MatchInput } from './types.js';
import type { Candidate } from './candidate.js';
import { hashForward, hashReverse } from './hash.js';
import { Entry, PathBucket, scanBucket, type MatchState } from './path-index.js';

export const HOST_EXACT = 0;
export const HOST_SUFFIX = 1; // leading wildcard: key is ".example.com"
export const HOST_PREFIX = 2; // trailing wildcard: key is "example."

export interface HostEntry {
  kind: number;
  key: string;
  port: number | null;
}

/** Parses a route host: lower-cased, optional `:port`, one leading or trailing `*`. */
export function parseHostEntry(raw: string): HostEntry {
  let host = raw.trim().toLowerCase();
  let port: number | null = null;
  const bracket = host.startsWith('[') ? host.indexOf(']') : -1;
  const colon = bracket >= 0 ? (host.charCodeAt(bracket + 1) === 58 ? bracket + 1 : -1) : host.indexOf(':');
  if (colon >= 0 && (bracket >= 0 || host.indexOf(':', colon + 1) < 0)) {
    const p = host.slice(colon + 1);
    if (/^[0-9]{1,5}$/.test(p)) {
      port = Number(p);
      host = host.slice(0, colon);
    }
  }
  if (host.length > 1 && host.charCodeAt(0) === 42 /* * */) return { kind: HOST_SUFFIX, key: host.slice(1), port };
  if (host.length > 1 && host.charCodeAt(host.length - 1) === 42)
    return { kind: HOST_PREFIX, key: host.slice(0, -1), port };
  return { kind: HOST_EXACT, key: host, port };
}

interface Wild<T> {
  key: string;
  bucket: PathBucket<T>;
}

/** Collects entries per bucket, merging the ports of one candidate listed twice. */
class BucketBuilder<T> {
  readonly entries = new Map<Candidate<T>, Entry<T>>();
  add(c: Candidate<T>, port: number | null): void {
    const e = this.entries.get(c);
    if (e === undefined) {
      this.entries.set(c, new Entry(c, port === null ? null : [port]));
    } else if (e.ports !== null) {
      if (port === null) e.ports = null;
      else if (!e.ports.includes(port)) e.ports.push(port);
    }
  }
  build(): PathBucket<T> {
    const b = new PathBucket<T>();
    for (const e of this.entries.values()) b.add(e);
    b.finish();
    return b;
  }
}

export class HostIndex<T> {
  readonly exact = new Map<string, PathBucket<T>>();
  readonly suffix = new Map<number, Wild<T>[]>();
  readonly prefix = new Map<number, Wild<T>[]>();
  /**
   * Per key length: 0 = no key of that length; 1 = keys of that length end (suffix: start)
   * with different characters; c + 2 = they all have boundary character c. Wildcard keys
   * are ".example.com" / "example.", so most positions are skipped without a Map probe.
   */
  suffixLengths: Uint16Array = new Uint16Array(0);
  prefixLengths: Uint16Array = new Uint16Array(0);
  maxSuffixLength = 0;
  maxHostPrefixLength = 0;
  any: PathBucket<T> = new PathBucket<T>();
  /** Longest prefix path in any bucket (sizes MatchState's hash scratch). */
  maxPathPrefixLength = 0;

  static build<T>(candidates: Candidate<T>[]): HostIndex<T> {
    const idx = new HostIndex<T>();
    const builders: Map<string, BucketBuilder<T>>[] = [new Map(), new Map(), new Map()];
    const any = new BucketBuilder<T>();
    for (const c of candidates) {
      const hosts = c.spec.hosts;
      if (hosts === null || hosts.length === 0) {
        any.add(c, null);
        continue;
      }
      for (const raw of hosts) {
        const h = parseHostEntry(raw);
        const byKey = builders[h.kind]!;
        let b = byKey.get(h.key);
        if (b === undefined) byKey.set(h.key, (b = new BucketBuilder<T>()));
        b.add(c, h.port);
      }
    }
    const track = (b: PathBucket<T>): PathBucket<T> => {
      if (b.maxPrefixLength > idx.maxPathPrefixLength) idx.maxPathPrefixLength = b.maxPrefixLength;
      return b;
    };
    for (const [key, b] of builders[HOST_EXACT]!) idx.exact.set(key, track(b.build()));
    const wild = (kind: number, map: Map<number, Wild<T>[]>): Uint16Array => {
      let max = 0;
      for (const key of builders[kind]!.keys()) max = Math.max(max, key.length);
      const flags = new Uint16Array(max + 1);
      for (const [key, b] of builders[kind]!) {
        const h = kind === HOST_SUFFIX ? hashReverse(key, 0) : hashForward(key, key.length);
        let list = map.get(h);
        if (list === undefined) map.set(h, (list = []));
        list.push({ key, bucket: track(b.build()) });
        const boundary = (kind === HOST_SUFFIX ? key.charCodeAt(0) : key.charCodeAt(key.length - 1)) + 2;
        const prev = flags[key.length]!;
        flags[key.length] = prev === 0 || prev === boundary ? boundary : 1;
      }
      return flags;
    };
    idx.suffixLengths = wild(HOST_SUFFIX, idx.suffix);
    idx.maxSuffixLength = idx.suffixLengths.length - 1;
    idx.prefixLengths = wild(HOST_PREFIX, idx.prefix);
    idx.maxHostPrefixLength = idx.prefixLengths.length - 1;
    idx.any = track(any.build());
    return idx;
  }

  scan(input: MatchInput, st: MatchState<T>): void {
    const host = input.host;
    const exact = this.exact.get(host);
    if (exact !== undefined) scanBucket(exact, input, st);

    const n = host.length;
    if (this.suffix.size > 0) {
      const flags = this.suffixLengths;
      const stop = Math.max(0, n - this.maxSuffixLength);
      let h = 0;
      for (let i = n - 1; i >= stop; i--) {
        h = (Math.imul(h, 31) + host.charCodeAt(i)) | 0;
        const len = n - i;
        const f = flags[len]!;
        if (f === 0 || (f !== 1 && f !== host.charCodeAt(i) + 2)) continue;
        const list = this.suffix.get(h);
        if (list === undefined) continue;
        for (let k = 0; k < list.length; k++) {
          const w = list[k]!;
          if (w.key.length === len && host.endsWith(w.key)) scanBucket(w.bucket, input, st);
        }
      }
    }
    if (this.prefix.size > 0) {
      const flags = this.prefixLengths;
      const lim = Math.min(n, this.maxHostPrefixLength);
      let h = 0;
      for (let i = 0; i < lim; i++) {
        h = (Math.imul(h, 31) + host.charCodeAt(i)) | 0;
        const len = i + 1;
        const f = flags[len]!;
        if (f === 0 || (f !== 1 && f !== host.charCodeAt(i) + 2)) continue;
        const list = this.prefix.get(h);
        if (list === undefined) continue;
        for (let k = 0; k < list.length; k++) {
          const w = list[k]!;
          if (w.key.length === len && host.startsWith(w.key)) scanBucket(w.bucket, input, st);
        }
      }
    }
    scanBucket(this.any, input, st);
  }
}
