// response-compression: compresses upstream response bodies with brotli or gzip as they
// stream, when the client's Accept-Encoding allows it. Not in Kong (which relies on nginx's
// gzip directives); modelled on nginx gzip, APISIX `gzip`/`brotli` and Envoy's compressor.
// Priority 5: low, so its body filter runs after every other plugin's (they see plain bytes).

import zlib from 'node:zlib';
import { definePlugin, type BodyFilter, type ResponseApi } from '../../sdk.js';
import { ResponseCompressionSchema, type Algorithm, type ResponseCompressionConfig } from './schema.js';

interface Prepared {
  algorithms: readonly Algorithm[];
  minLength: number;
  /** Exact media types, lower case. */
  types: ReadonlySet<string>;
  /** Top-level types of `type/*` entries. */
  typeRanges: ReadonlySet<string>;
  anyType: boolean;
  level: { gzip: number; br: number };
  vary: boolean;
  flush: boolean;
}

/**
 * Brotli window: 2^18 = 256 KiB. The encoder holds up to about twice its window of input
 * before its first output (node's default, 4 MiB, would hold a typical response whole);
 * measured, the ratio on text barely differs from larger windows.
 */
const BROTLI_LGWIN = 18;

function prepare(c: ResponseCompressionConfig): Prepared {
  const types = new Set<string>();
  const typeRanges = new Set<string>();
  let anyType = false;
  for (const t of c.content_types) {
    const l = t.toLowerCase();
    if (l === '*' || l === '*/*') anyType = true;
    else if (l.endsWith('/*')) typeRanges.add(l.slice(0, -2));
    else types.add(l);
  }
  return {
    algorithms: c.algorithms,
    minLength: c.min_length,
    types,
    typeRanges,
    anyType,
    level: { gzip: c.level.gzip, br: c.level.br },
    vary: c.vary,
    flush: c.flush,
  };
}

/**
 * Picks the encoding from Accept-Encoding (RFC 9110 §12.5.3): the highest q-value among the
 * configured algorithms, ties broken by their order; `*` covers codings not named; q=0
 * refuses; `x-gzip` is gzip. An explicit `identity` with a higher q-value than the best
 * coding wins (nothing is compressed). Exported for tests.
 */
export function negotiate(accept: string | undefined, algorithms: readonly Algorithm[]): Algorithm | null {
  if (accept === undefined) return null;
  const q = new Map<string, number>();
  for (const part of accept.split(',')) {
    const [rawName, ...params] = part.split(';');
    let name = rawName.trim().toLowerCase();
    if (name === '') continue;
    if (name === 'x-gzip') name = 'gzip';
    let value = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m !== null) {
        const v = Number(m[1]);
        value = Number.isFinite(v) ? Math.min(Math.max(v, 0), 1) : 0;
      }
    }
    // A coding named twice keeps its highest q-value.
    q.set(name, Math.max(q.get(name) ?? 0, value));
  }
  const star = q.get('*');
  let best: Algorithm | null = null;
  let bestQ = 0;
  for (const a of algorithms) {
    const v = q.get(a) ?? star ?? 0;
    if (v > bestQ) {
      best = a;
      bestQ = v;
    }
  }
  if (best === null) return null;
  const identity = q.get('identity');
  if (identity !== undefined && identity > bestQ) return null;
  return best;
}

function typeMatches(conf: Prepared, contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  const media = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  const slash = media.indexOf('/');
  if (slash <= 0 || slash === media.length - 1) return false;
  if (conf.anyType) return true;
  return conf.types.has(media) || conf.typeRanges.has(media.slice(0, slash));
}

function isEventStream(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*text\/event-stream\s*(;|$)/i.test(contentType);
}

function hasToken(list: string | undefined, token: string): boolean {
  if (list === undefined) return false;
  for (const t of list.split(',')) {
    const v = t.trim().toLowerCase();
    if (v === token || v.startsWith(token + '=')) return true;
  }
  return false;
}

/** Whether this response is one the plugin compresses for a client that accepts it. */
function compressible(conf: Prepared, method: string, res: ResponseApi): boolean {
  const status = res.status;
  if (method === 'HEAD' || status < 200 || status === 204 || status === 206 || status === 304) return false;
  const ce = res.getHeader('content-encoding');
  if (ce !== undefined && ce.trim().toLowerCase() !== 'identity' && ce.trim() !== '') return false;
  if (res.getHeader('content-range') !== undefined) return false;
  if (hasToken(res.getHeader('cache-control'), 'no-transform')) return false;
  const cl = res.getHeader('content-length');
  if (cl !== undefined) {
    const n = Number(cl);
    if (n === 0 || n < conf.minLength) return false;
  }
  return typeMatches(conf, res.getHeader('content-type'));
}

function addVary(res: ResponseApi): void {
  const vary = res.getHeader('vary');
  if (vary !== undefined && (hasToken(vary, 'accept-encoding') || hasToken(vary, '*'))) return;
  res.addHeader('Vary', 'Accept-Encoding');
}

/**
 * A body filter over a node:zlib stream. Each chunk is written and the filter resolves once
 * zlib has taken it, with the compressed bytes produced so far: zlib buffers until it has a
 * block's worth, unless `flushKind` is set, when every chunk is flushed through. Because the
 * pipeline pauses the upstream while a chunk is pending, at most about one chunk plus the
 * compressor's window is held per response, however long the body.
 */
class ZlibFilter implements BodyFilter {
  private out: Buffer[] = [];
  private error: Error | null = null;
  private ended: Promise<void> | null = null;

  constructor(
    private readonly z: zlib.Gzip | zlib.BrotliCompress,
    private readonly flushKind: number | null,
  ) {
    z.on('data', (b: Buffer) => this.out.push(b));
    z.on('error', (e: Error) => (this.error ??= e));
  }

  private take(): Buffer | null {
    const out = this.out;
    if (out.length === 0) return null;
    this.out = [];
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  chunk(data: Buffer): Promise<Buffer | null> {
    if (this.error !== null) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      const done = (err?: Error | null) => {
        const e = err ?? this.error;
        if (e) reject(e);
        else resolve(this.take());
      };
      if (this.flushKind === null) this.z.write(data, done);
      else {
        this.z.write(data);
        this.z.flush(this.flushKind, () => done());
      }
    });
  }

  end(): Promise<Buffer | null> {
    if (this.error !== null) return Promise.reject(this.error);
    this.ended ??= new Promise<void>((resolve, reject) => {
      this.z.once('end', () => resolve());
      this.z.once('error', reject);
      this.z.end();
    });
    return this.ended.then(() => this.take());
  }

  /** The response was abandoned: release the compressor's native memory now, not at GC. */
  abort(): void {
    this.out = [];
    this.z.destroy();
  }
}

function open(alg: Algorithm, conf: Prepared, contentLength: number | null, flush: boolean): BodyFilter {
  if (alg === 'gzip')
    return new ZlibFilter(zlib.createGzip({ level: conf.level.gzip }), flush ? zlib.constants.Z_SYNC_FLUSH : null);
  const params: Record<number, number> = {
    [zlib.constants.BROTLI_PARAM_QUALITY]: conf.level.br,
    [zlib.constants.BROTLI_PARAM_LGWIN]: BROTLI_LGWIN,
    [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
  };
  if (contentLength !== null) params[zlib.constants.BROTLI_PARAM_SIZE_HINT] = contentLength;
  return new ZlibFilter(zlib.createBrotliCompress({ params }), flush ? zlib.constants.BROTLI_OPERATION_FLUSH : null);
}

export default definePlugin({
  name: 'response-compression',
  version: '0.1.0',
  priority: 5,
  schema: ResponseCompressionSchema,
  prepare,
  phases: {
    body(ctx, conf) {
      const res = ctx.response;
      if (res === null || !compressible(conf, ctx.request.method, res)) return null;
      // Caches must keep the compressed and plain variants apart, whichever this client gets.
      if (conf.vary) addVary(res);
      const alg = negotiate(ctx.request.getHeader('accept-encoding'), conf.algorithms);
      if (alg === null) return null;
      const cl = res.getHeader('content-length');
      const flush = conf.flush || isEventStream(res.getHeader('content-type'));
      const n = cl === undefined ? NaN : Number(cl);
      res.setHeader('Content-Encoding', alg);
      // The bytes differ now: a strong validator would lie (nginx weakens it the same way).
      const etag = res.getHeader('etag');
      if (etag !== undefined && etag.startsWith('"')) res.setHeader('ETag', 'W/' + etag);
      // Byte ranges of the compressed body are not served.
      res.removeHeader('accept-ranges');
      return open(alg, conf, Number.isSafeInteger(n) && n > 0 ? n : null, flush);
    },
  },
});
