// The codec's errors. HTTP/2 distinguishes an error that ends the whole connection (GOAWAY)
// from one that ends one stream (RST_STREAM); HPACK errors are always connection errors
// (COMPRESSION_ERROR, RFC 9113 §4.3), since the two sides' tables no longer agree.
import { ErrorCode } from './constants.js';

export class HpackError extends Error {
  override name = 'HpackError';
}

/** Ends the connection with GOAWAY(code). */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** What a connection fails with: the error itself, or INTERNAL_ERROR for anything else thrown. */
export function toConnectionError(err: unknown): ConnectionError {
  return err instanceof ConnectionError
    ? err
    : new ConnectionError(ErrorCode.INTERNAL_ERROR, err instanceof Error ? err.message : String(err));
}

/** Ends one stream with RST_STREAM(code); the connection goes on. */
export class StreamError extends Error {
  override name = 'StreamError';
  constructor(
    readonly streamId: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
