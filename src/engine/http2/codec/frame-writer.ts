// Frame serialisation (RFC 9113 §4.1, §6). Each function returns one Buffer holding the whole
// frame (9-byte header and payload), ready to be queued for the socket.
import { FRAME_HEADER_LENGTH, FrameType, Flag, SettingId, type CodecLimits, type ErrorCode } from './constants.js';

export function frameHeader(out: Buffer, off: number, length: number, type: number, flags: number, id: number): void {
  out[off] = (length >>> 16) & 0xff;
  out[off + 1] = (length >>> 8) & 0xff;
  out[off + 2] = length & 0xff;
  out[off + 3] = type;
  out[off + 4] = flags;
  out.writeUInt32BE(id & 0x7fff_ffff, off + 5);
}

export function frame(type: number, flags: number, id: number, payload?: Uint8Array): Buffer {
  const len = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + len);
  frameHeader(out, 0, len, type, flags, id);
  if (payload !== undefined) out.set(payload, FRAME_HEADER_LENGTH);
  return out;
}

/** The SETTINGS a server opens with: its limits, and no server push. */
export function serverSettingsFrame(limits: CodecLimits): Buffer {
  return settingsFrame([
    [SettingId.HEADER_TABLE_SIZE, limits.headerTableSize],
    [SettingId.ENABLE_PUSH, 0],
    [SettingId.MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams],
    [SettingId.INITIAL_WINDOW_SIZE, limits.initialWindowSize],
    [SettingId.MAX_FRAME_SIZE, limits.maxFrameSize],
    [SettingId.MAX_HEADER_LIST_SIZE, limits.maxHeaderListSize],
  ]);
}

/** SETTINGS with [id, value] pairs. */
export function settingsFrame(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 6 * settings.length);
  frameHeader(out, 0, 6 * settings.length, FrameType.SETTINGS, 0, 0);
  let off = FRAME_HEADER_LENGTH;
  for (const [id, value] of settings) {
    out.writeUInt16BE(id, off);
    out.writeUInt32BE(value, off + 2);
    off += 6;
  }
  return out;
}

export const SETTINGS_ACK = frame(FrameType.SETTINGS, Flag.ACK, 0);

export function pingAck(opaque: Uint8Array): Buffer {
  return frame(FrameType.PING, Flag.ACK, 0, opaque);
}

export function windowUpdate(id: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 4);
  frameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, id);
  out.writeUInt32BE(increment, FRAME_HEADER_LENGTH);
  return out;
}

export function rstStream(id: number, code: ErrorCode): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 4);
  frameHeader(out, 0, 4, FrameType.RST_STREAM, 0, id);
  out.writeUInt32BE(code, FRAME_HEADER_LENGTH);
  return out;
}

export function goaway(lastStreamId: number, code: ErrorCode, debug = ''): Buffer {
  const d = Buffer.from(debug, 'latin1');
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + 8 + d.length);
  frameHeader(out, 0, 8 + d.length, FrameType.GOAWAY, 0, 0);
  out.writeUInt32BE(lastStreamId & 0x7fff_ffff, FRAME_HEADER_LENGTH);
  out.writeUInt32BE(code, FRAME_HEADER_LENGTH + 4);
  d.copy(out, FRAME_HEADER_LENGTH + 8);
  return out;
}

/**
 * A header block as HEADERS plus as many CONTINUATION frames as `maxFrameSize` needs, in one
 * Buffer (they must go out back to back, RFC 9113 §6.10).
 */
export function headersFrames(id: number, block: Uint8Array, endStream: boolean, maxFrameSize: number): Buffer {
  const n = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const out = Buffer.allocUnsafe(n * FRAME_HEADER_LENGTH + block.length);
  let off = 0;
  for (let i = 0, from = 0; i < n; i++) {
    const len = Math.min(maxFrameSize, block.length - from);
    const last = i === n - 1;
    const type = i === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
    const flags = (last ? Flag.END_HEADERS : 0) | (i === 0 && endStream ? Flag.END_STREAM : 0);
    frameHeader(out, off, len, type, flags, id);
    out.set(block.subarray(from, from + len), off + FRAME_HEADER_LENGTH);
    off += FRAME_HEADER_LENGTH + len;
    from += len;
  }
  return out;
}

/** One DATA frame carrying `data[start, end)`. */
export function dataFrame(id: number, data: Uint8Array, start: number, end: number, endStream: boolean): Buffer {
  const len = end - start;
  const out = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + len);
  frameHeader(out, 0, len, FrameType.DATA, endStream ? Flag.END_STREAM : 0, id);
  out.set(data.subarray(start, end), FRAME_HEADER_LENGTH);
  return out;
}
