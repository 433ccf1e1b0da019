// The checks of the frames off a request's usual path (PRIORITY, PING, GOAWAY, RST_STREAM,
// SETTINGS, trailers): each throws the error RFC 9113 names, or returns and the connection
// acts on the frame. Kept apart so connection.ts stays about frame dispatch, stream state and
// flow control; imported there as `check`.
import { ErrorCode, Flag, MAX_WINDOW } from './constants.js';
import { ConnectionError, StreamError } from './errors.js';
import { checkTrailers } from './request-head.js';
import type { ServerStream } from './stream.js';

export function priority(id: number, payload: Buffer): void {
  if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
  if (payload.length !== 5) throw new StreamError(id, ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY length');
  if ((payload.readUInt32BE(0) & 0x7fff_ffff) === id)
    throw new StreamError(id, ErrorCode.PROTOCOL_ERROR, 'stream depends on itself');
}

export function ping(id: number, payload: Buffer): void {
  if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
  if (payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PING length');
}

export function goaway(id: number, payload: Buffer): void {
  if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
  if (payload.length < 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'GOAWAY length');
}

export function rstStream(id: number, payload: Buffer, lastStreamId: number): void {
  if (payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM length');
  if (id === 0 || id > lastStreamId)
    throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
}

/** SETTINGS on stream 0, and an ACK without a payload (the values themselves: peer-settings.ts). */
export function settings(flags: number, id: number, payload: Buffer): void {
  if (id !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
  if ((flags & Flag.ACK) !== 0 && payload.length !== 0)
    throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
}

/** A new initial window moves every open stream's window by the difference (§6.9.2), within MAX_WINDOW. */
export function initialWindowChange(streams: Iterable<ServerStream>, delta: number): void {
  for (const s of streams) {
    s.sendWindow += delta;
    if (s.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'window overflow');
  }
}

/** A header block on an open stream: trailers, which must end the stream's request. */
export function trailers(s: ServerStream, pairs: string[] | undefined, endStream: boolean): asserts pairs is string[] {
  if (s.remoteClosed) throw new ConnectionError(ErrorCode.STREAM_CLOSED, 'HEADERS after END_STREAM');
  if (!endStream) throw new StreamError(s.id, ErrorCode.PROTOCOL_ERROR, 'trailers without END_STREAM');
  if (pairs === undefined) throw new StreamError(s.id, ErrorCode.PROTOCOL_ERROR, 'trailer list too large');
  const bad = checkTrailers(pairs);
  if (bad !== null) throw new StreamError(s.id, ErrorCode.PROTOCOL_ERROR, bad);
  if (s.contentLength >= 0 && s.received !== s.contentLength)
    throw new StreamError(s.id, ErrorCode.PROTOCOL_ERROR, 'body length differs from content-length');
}
