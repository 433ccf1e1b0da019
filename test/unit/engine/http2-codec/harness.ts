// A codec connection on an in-memory duplex: the test writes hand-made frames, reads the
// frames the server wrote back, decoded (HPACK blocks through a decoder of its own).
import { Duplex } from 'node:stream';
import { Http2ServerConnection, type ConnectionHooks } from '../../../../src/engine/http2/codec/connection.js';
import type { CodecLimits } from '../../../../src/engine/http2/codec/constants.js';
import { HpackDecoder } from '../../../../src/engine/http2/codec/hpack-decoder.js';
import { HpackEncoder } from '../../../../src/engine/http2/codec/hpack-encoder.js';
import type { ServerStream } from '../../../../src/engine/http2/codec/stream.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface Frame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
  /** HEADERS: the decoded fields. */
  fields?: string[];
}

export function rawFrame(type: number, flags: number, id: number, payload: Buffer | number[] = []): Buffer {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const h = Buffer.alloc(9);
  h.writeUIntBE(p.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(id, 5);
  return Buffer.concat([h, p]);
}

export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export const setting = (id: number, value: number): Buffer => {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(id);
  b.writeUInt32BE(value, 2);
  return b;
};

export class Harness {
  readonly socket: Duplex;
  readonly conn: Http2ServerConnection;
  readonly streams: ServerStream[] = [];
  readonly abuse: string[] = [];
  private written: Buffer[] = [];
  private readonly decoder = new HpackDecoder();
  readonly encoder = new HpackEncoder();
  ended = false;

  constructor(onStream?: (s: ServerStream) => void, limits: Partial<CodecLimits> = {}, hooks: ConnectionHooks = {}) {
    this.socket = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        this.written.push(chunk);
        cb();
      },
      final: (cb) => {
        this.ended = true;
        cb();
      },
    });
    this.conn = new Http2ServerConnection(
      this.socket,
      (s) => {
        this.streams.push(s);
        onStream?.(s);
      },
      limits,
      { onAbuse: (kind) => this.abuse.push(kind), ...hooks },
    );
  }

  /** Sends bytes as the client and lets the connection answer (its writes settle on nextTick). */
  async send(...chunks: Buffer[]): Promise<void> {
    for (const c of chunks) this.socket.push(c);
    await new Promise((r) => setImmediate(r));
  }

  /** The client's opening: preface and an empty SETTINGS. */
  async open(settings: Buffer[] = []): Promise<void> {
    await this.send(PREFACE, rawFrame(4, 0, 0, Buffer.concat(settings)));
  }

  headers(id: number, pairs: string[], flags = 0x5): Buffer {
    return rawFrame(1, flags, id, Buffer.from(this.encoder.encode(pairs)));
  }

  /** Every frame written since the last call. */
  frames(): Frame[] {
    const buf = Buffer.concat(this.written);
    this.written = [];
    const out: Frame[] = [];
    for (let off = 0; off + 9 <= buf.length;) {
      const len = buf.readUIntBE(off, 3);
      const f: Frame = {
        type: buf[off + 3]!,
        flags: buf[off + 4]!,
        id: buf.readUInt32BE(off + 5),
        payload: buf.subarray(off + 9, off + 9 + len),
      };
      if (f.type === 1) f.fields = this.decoder.decode(Buffer.from(f.payload));
      out.push(f);
      off += 9 + len;
    }
    return out;
  }
}

export const GET = [':method', 'GET', ':scheme', 'https', ':authority', 'example.test', ':path', '/a?b=1'];
