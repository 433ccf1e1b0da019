// Small raw-socket HTTP client helpers for integration tests: send exact bytes, learn whether
// the peer closed the connection, and split what came back into HTTP/1.x responses.

import net from 'node:net';

export interface RawResult {
  /** Everything received, latin1-decoded. */
  data: string;
  /** The peer ended or reset the connection (as opposed to our timeout firing). */
  closedByPeer: boolean;
  /** Milliseconds from connect to close/timeout. */
  ms: number;
}

/**
 * Connects to 127.0.0.1:port, writes `parts` (each part a separate write, `gapMs` apart),
 * then reads until the peer closes or `timeoutMs` passes.
 */
export async function rawSend(
  port: number,
  parts: string | Buffer | Array<string | Buffer>,
  timeoutMs = 3000,
  gapMs = 0,
): Promise<RawResult> {
  const list = Array.isArray(parts) ? parts : [parts];
  return new Promise((resolve) => {
    const start = Date.now();
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (closedByPeer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ data, closedByPeer, ms: Date.now() - start });
    };
    const t = setTimeout(() => finish(false), timeoutMs);
    s.on('data', (d: Buffer) => (data += d.toString('latin1')));
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
    s.on('connect', async () => {
      for (let i = 0; i < list.length; i++) {
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (s.destroyed) return;
        s.write(typeof list[i] === 'string' ? Buffer.from(list[i] as string, 'latin1') : (list[i] as Buffer));
      }
    });
  });
}

export interface ParsedResponse {
  statusLine: string;
  status: number;
  version: string;
  /** Lower-case name → values (in order). */
  headers: Map<string, string[]>;
  rawHead: string;
  body: string;
  /** How the body was framed on the wire. */
  framing: 'length' | 'chunked' | 'close' | 'none';
  /** Trailer section of a chunked body (raw lines). */
  trailers: string;
}

export function header(r: ParsedResponse, name: string): string | undefined {
  const v = r.headers.get(name.toLowerCase());
  return v === undefined ? undefined : v.join(', ');
}

/**
 * Splits a byte stream (latin1 string) into HTTP/1.x responses. `headRequests[i]` marks
 * responses to HEAD requests (no body). Interim 1xx responses are returned as well.
 * Throws on framing it cannot follow.
 */
export function parseResponses(data: string, headRequests: boolean[] = []): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let pos = 0;
  let finalIndex = 0;
  while (pos < data.length) {
    const end = data.indexOf('\r\n\r\n', pos);
    if (end === -1)
      throw new Error('incomplete response head at ' + pos + ': ' + JSON.stringify(data.slice(pos, pos + 200)));
    const rawHead = data.slice(pos, end + 2);
    const lines = rawHead.split('\r\n').slice(0, -1);
    const statusLine = lines[0];
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: .*)?$/.exec(statusLine);
    if (m === null) throw new Error('bad status line: ' + JSON.stringify(statusLine));
    const headers = new Map<string, string[]>();
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      const n = l.slice(0, c).toLowerCase();
      const v = l.slice(c + 1).trim();
      const arr = headers.get(n);
      if (arr) arr.push(v);
      else headers.set(n, [v]);
    }
    const status = Number(m[2]);
    pos = end + 4;
    const r: ParsedResponse = {
      statusLine,
      status,
      version: m[1],
      headers,
      rawHead,
      body: '',
      framing: 'none',
      trailers: '',
    };
    out.push(r);
    if (status < 200) continue;
    const isHead = headRequests[finalIndex++] === true;
    if (isHead || status === 204 || status === 304) continue;
    const te = headers.get('transfer-encoding');
    const cl = headers.get('content-length');
    if (te !== undefined) {
      r.framing = 'chunked';
      let body = '';
      for (;;) {
        const le = data.indexOf('\r\n', pos);
        if (le === -1) throw new Error('incomplete chunk size line');
        const size = parseInt(data.slice(pos, le).split(';')[0], 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size line: ' + JSON.stringify(data.slice(pos, le)));
        pos = le + 2;
        if (size === 0) {
          const te2 = data.indexOf('\r\n', pos);
          if (te2 === pos) {
            pos += 2;
          } else {
            const tend = data.indexOf('\r\n\r\n', pos);
            if (tend === -1) throw new Error('incomplete trailers');
            r.trailers = data.slice(pos, tend + 2);
            pos = tend + 4;
          }
          break;
        }
        body += data.slice(pos, pos + size);
        if (data.slice(pos + size, pos + size + 2) !== '\r\n') throw new Error('chunk data not followed by CRLF');
        pos += size + 2;
      }
      r.body = body;
    } else if (cl !== undefined) {
      r.framing = 'length';
      const n = Number(cl[0]);
      r.body = data.slice(pos, pos + n);
      if (r.body.length !== n) throw new Error(`truncated body: ${r.body.length} of ${n}`);
      pos += n;
    } else {
      r.framing = 'close';
      r.body = data.slice(pos);
      pos = data.length;
    }
  }
  return out;
}

/** Parses exactly one final response, failing with the raw data on anything else. */
export function parseOne(data: string, isHead = false): ParsedResponse {
  const all = parseResponses(data, [isHead]).filter((r) => r.status >= 200);
  if (all.length !== 1)
    throw new Error(`expected exactly one response, got ${all.length}: ${JSON.stringify(data.slice(0, 500))}`);
  return all[0];
}
