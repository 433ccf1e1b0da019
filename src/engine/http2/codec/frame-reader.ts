// Incremental frame reading: bytes in as the socket delivers them, whole frames out. Checks
// the client preface first and each frame's length against our SETTINGS_MAX_FRAME_SIZE before
// buffering its payload, so a peer cannot make us hold more than one frame (RFC 9113 §4.2).
import { ErrorCode, FRAME_HEADER_LENGTH, PREFACE } from './constants.js';
import { ConnectionError } from './errors.js';

export interface FrameSink {
  /** One whole frame; `payload` is only valid during the call (it may share the read buffer). */
  frame(type: number, flags: number, streamId: number, payload: Buffer): void;
}

export class FrameReader {
  private pending: Buffer | null = null;
  private prefaceSeen = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxFrameSize: number,
  ) {}

  /** Feeds bytes; throws ConnectionError on a bad preface or an oversized frame. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    if (!this.prefaceSeen) {
      const n = Math.min(buf.length, PREFACE.length);
      if (buf.compare(PREFACE, 0, n, 0, n) !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad preface');
      if (n < PREFACE.length) {
        this.pending = buf;
        return;
      }
      this.prefaceSeen = true;
      off = PREFACE.length;
    }
    const end = buf.length;
    while (end - off >= FRAME_HEADER_LENGTH) {
      const len = (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
      if (len > this.maxFrameSize)
        throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${len} bytes above ${this.maxFrameSize}`);
      if (end - off < FRAME_HEADER_LENGTH + len) break;
      const type = buf[off + 3]!;
      const flags = buf[off + 4]!;
      const id = buf.readUInt32BE(off + 5) & 0x7fff_ffff; // the reserved bit is ignored (§4.1)
      const start = off + FRAME_HEADER_LENGTH;
      off = start + len;
      this.sink.frame(type, flags, id, buf.subarray(start, off));
    }
    // Keep the partial frame; copied so that the socket's chunk is not retained whole.
    if (off < end) this.pending = Buffer.from(buf.subarray(off));
  }
}
