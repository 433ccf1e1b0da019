// The peer's SETTINGS frame read and checked (RFC 9113 §6.5): every value in range, or the
// connection error the RFC names. The connection applies what comes back.
import { ErrorCode, MAX_MAX_FRAME_SIZE, MAX_WINDOW, MIN_MAX_FRAME_SIZE, SettingId } from './constants.js';
import { ConnectionError } from './errors.js';

export interface PeerSettings {
  headerTableSize?: number;
  initialWindowSize?: number;
  maxFrameSize?: number;
}

export function readSettings(payload: Buffer): PeerSettings {
  if (payload.length % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length');
  const out: PeerSettings = {};
  for (let off = 0; off < payload.length; off += 6) {
    const key = payload.readUInt16BE(off);
    const value = payload.readUInt32BE(off + 2);
    switch (key) {
      case SettingId.HEADER_TABLE_SIZE:
        out.headerTableSize = value;
        break;
      case SettingId.ENABLE_PUSH:
        if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'ENABLE_PUSH not 0 or 1');
        break;
      case SettingId.INITIAL_WINDOW_SIZE:
        if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE');
        out.initialWindowSize = value;
        break;
      case SettingId.MAX_FRAME_SIZE:
        if (value < MIN_MAX_FRAME_SIZE || value > MAX_MAX_FRAME_SIZE)
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'MAX_FRAME_SIZE out of range');
        out.maxFrameSize = value;
        break;
      default:
        break; // MAX_CONCURRENT_STREAMS and MAX_HEADER_LIST_SIZE bind pushes and requests a server does not make
    }
  }
  return out;
}
