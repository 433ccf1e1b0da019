// Turnpike's own HTTP/2 server codec: framing, HPACK, flow control and stream states on a
// TLS (or plain) socket, without node:http2. The proxy listeners serve HTTP/2 clients with
// it (../edge.ts); it knows nothing of the gateway and is tested on its own.
export { Http2ServerConnection } from './connection.js';
export type { ConnectionHooks } from './guards.js';
export { ServerStream } from './stream.js';
export { CONNECTION_SPECIFIC, DEFAULT_LIMITS, ErrorCode, type CodecLimits } from './constants.js';
export { ConnectionError, StreamError, HpackError } from './errors.js';
export { HpackDecoder, HeaderListTooLarge } from './hpack-decoder.js';
export { HpackEncoder } from './hpack-encoder.js';
