// Gateway-made answers to gRPC calls. A gRPC client reads the outcome of a call from
// grpc-status / grpc-message, not from the HTTP status (which must be 200), so an error the
// gateway makes (no route, missing credentials, upstream down…) is sent as a gRPC
// "trailers-only" response: HTTP 200, the status in the headers and no body.

import { gatewayHead } from '../errors.js';

/** The HTTP status of a gateway-made error → the gRPC status code the client sees. */
export function grpcStatusFor(httpStatus: number): number {
  switch (httpStatus) {
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 12; // UNIMPLEMENTED (no route: the method does not exist here)
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 500:
      return 13; // INTERNAL
    case 502:
    case 503:
      return 14; // UNAVAILABLE
    case 504:
      return 4; // DEADLINE_EXCEEDED
    default:
      return 2; // UNKNOWN
  }
}

/** content-type application/grpc, application/grpc+proto, application/grpc-web… */
export function isGrpcContentType(ct: string | undefined): boolean {
  return ct !== undefined && ct.length >= 16 && ct.slice(0, 16).toLowerCase() === 'application/grpc';
}

/**
 * grpc-message is percent-encoded UTF-8 (gRPC over HTTP/2 spec, "Responses"): every byte
 * outside printable ASCII 0x20–0x7E, and '%' itself, becomes %XX. encodeURIComponent would
 * also escape spaces and punctuation the spec leaves as is, so this is done by hand.
 */
export function encodeGrpcMessage(message: string): string {
  const bytes = Buffer.from(message, 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b >= 0x20 && b <= 0x7e && b !== 0x25) out += String.fromCharCode(b);
    else out += '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
  }
  return out;
}

/**
 * A complete HTTP/1.1 trailers-only gRPC response. `contentType` echoes the call's own
 * (application/grpc, application/grpc-web+proto…) so that a gRPC-Web client reads it too.
 */
export function grpcErrorResponse(
  httpStatus: number,
  message: string,
  contentType: string,
  serverToken: string,
  close: boolean,
): string {
  return gatewayHead(200, grpcErrorLines(httpStatus, message, contentType), 0, serverToken, close);
}

/** The header lines of a trailers-only gRPC error: content-type, grpc-status, grpc-message. */
export function grpcErrorLines(httpStatus: number, message: string, contentType: string): string {
  return (
    'Content-Type: ' +
    contentType +
    '\r\ngrpc-status: ' +
    grpcStatusFor(httpStatus) +
    '\r\ngrpc-message: ' +
    encodeGrpcMessage(message) +
    '\r\n'
  );
}
