// gRPC length-prefixed message framing (gRPC over HTTP/2 and gRPC-Web share it): a 1-byte
// flag, a 4-byte big-endian length, the payload. gRPC-Web adds flag bit 0x80 for the trailer
// frame, whose payload is the trailers as HTTP/1 header lines.

import type { HeaderMap } from '../../../sdk.js';

export const FLAG_COMPRESSED = 0x01;
export const FLAG_TRAILER = 0x80;

/** One message (or trailer) frame. */
export interface Frame {
  flag: number;
  payload: Buffer;
}

export function encodeFrame(flag: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = flag;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, 5);
  return out;
}

/**
 * Splits a byte stream into frames, whatever the read boundaries. Frames larger than
 * `maxFrame` are refused: a length prefix is 4 bytes, and a peer could otherwise make the
 * reader hold up to 4 GiB.
 */
export class FrameReader {
  private pending: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxFrame = 64 * 1024 * 1024) {}

  /** Bytes held that do not make a whole frame yet. */
  get buffered(): number {
    return this.size;
  }

  push(data: Buffer): Frame[] {
    if (data.length > 0) {
      this.pending.push(data);
      this.size += data.length;
    }
    const frames: Frame[] = [];
    if (this.size < 5) return frames;
    let buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.size);
    let pos = 0;
    while (buf.length - pos >= 5) {
      const len = buf.readUInt32BE(pos + 1);
      if (len > this.maxFrame)
        throw new Error(`gRPC frame of ${len} bytes is larger than the limit of ${this.maxFrame}`);
      if (buf.length - pos - 5 < len) break;
      frames.push({ flag: buf[pos], payload: buf.subarray(pos + 5, pos + 5 + len) });
      pos += 5 + len;
    }
    buf = buf.subarray(pos);
    this.pending = buf.length > 0 ? [buf] : [];
    this.size = buf.length;
    return frames;
  }
}

/** A gRPC-Web trailer frame: `name: value\r\n` lines (lower-case names), flag 0x80. */
export function trailerFrame(trailers: HeaderMap): Buffer {
  let s = '';
  for (const name in trailers) {
    const v = trailers[name];
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) s += name.toLowerCase() + ': ' + x + '\r\n';
  }
  return encodeFrame(FLAG_TRAILER, Buffer.from(s, 'latin1'));
}

/** Reads a trailer frame's payload back into a map (lower-case names); what a gRPC-Web client does. */
export function parseTrailerBlock(payload: Buffer): HeaderMap {
  const map: HeaderMap = {};
  for (const line of payload.toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const prev = map[name];
    map[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return map;
}
