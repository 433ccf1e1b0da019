// A header block as it arrives: one HEADERS frame, then CONTINUATION frames on the same
// stream until END_HEADERS (RFC 9113 §6.2, §6.10), checked against the flood limits before a
// byte is kept. Nothing else may come in between: the connection asks `expecting` first.
import { ErrorCode, Flag } from './constants.js';
import { ConnectionError, StreamError } from './errors.js';
import type { AbuseGuard } from './guards.js';
import { unpad } from './padding.js';

export class HeaderBlockReader {
  /** The stream whose block is still open (0: none). */
  expecting = 0;
  private flags = 0;
  private parts: Buffer[] = [];
  private bytes = 0;
  private frames = 0;

  constructor(
    private readonly guard: AbuseGuard,
    /** A whole block: its stream, the HEADERS frame's flags and the compressed bytes. */
    private readonly onBlock: (id: number, flags: number, block: Buffer) => void,
  ) {}

  headers(flags: number, id: number, payload: Buffer): void {
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    if ((id & 1) === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'even stream id from a client');
    let fragment = unpad(flags, payload);
    if (flags & Flag.PRIORITY) {
      if (fragment.length < 5) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'HEADERS priority fields');
      if ((fragment.readUInt32BE(0) & 0x7fff_ffff) === id)
        throw new StreamError(id, ErrorCode.PROTOCOL_ERROR, 'stream depends on itself');
      fragment = fragment.subarray(5);
    }
    if (flags & Flag.END_HEADERS) return this.onBlock(id, flags, fragment);
    this.flags = flags;
    this.frames = 0;
    this.bytes = fragment.length;
    this.guard.headerBlock(0, this.bytes);
    this.parts = [Buffer.from(fragment)]; // the read buffer is reused: keep a copy
    this.expecting = id;
  }

  continuation(flags: number, id: number, payload: Buffer): void {
    if (this.expecting === 0 || id !== this.expecting)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    this.frames++;
    this.bytes += payload.length;
    this.guard.headerBlock(this.frames, this.bytes);
    this.parts.push(Buffer.from(payload));
    if ((flags & Flag.END_HEADERS) === 0) return;
    const block = Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.expecting = 0;
    this.onBlock(id, this.flags, block);
  }
}
