// Frame padding (RFC 9113 §6.1, §6.2): a pad-length byte first, that many zero bytes last.
import { ErrorCode, Flag } from './constants.js';
import { ConnectionError } from './errors.js';

/** The payload of a DATA or HEADERS frame without its padding. */
export function unpad(flags: number, payload: Buffer): Buffer {
  if ((flags & Flag.PADDED) === 0) return payload;
  if (payload.length < 1) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'padded frame without pad length');
  const pad = payload[0]!;
  if (pad >= payload.length) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'padding longer than the payload');
  return payload.subarray(1, payload.length - pad);
}
