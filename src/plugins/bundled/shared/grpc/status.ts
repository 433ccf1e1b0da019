// gRPC status codes and their HTTP equivalents, as grpc-gateway maps them
// (runtime.HTTPStatusFromCode; google.rpc.Code documents the same table).

const HTTP_FROM_GRPC: readonly number[] = [
  200, // 0 OK
  499, // 1 CANCELLED (client closed request)
  500, // 2 UNKNOWN
  400, // 3 INVALID_ARGUMENT
  504, // 4 DEADLINE_EXCEEDED
  404, // 5 NOT_FOUND
  409, // 6 ALREADY_EXISTS
  403, // 7 PERMISSION_DENIED
  429, // 8 RESOURCE_EXHAUSTED
  400, // 9 FAILED_PRECONDITION (grpc-gateway: 400, not 412)
  409, // 10 ABORTED
  400, // 11 OUT_OF_RANGE
  501, // 12 UNIMPLEMENTED
  500, // 13 INTERNAL
  503, // 14 UNAVAILABLE
  500, // 15 DATA_LOSS
  401, // 16 UNAUTHENTICATED
];

/** The HTTP status for a gRPC status code; codes outside 0–16 are 500. */
export function httpStatusFromGrpc(code: number): number {
  return Number.isInteger(code) && code >= 0 && code < HTTP_FROM_GRPC.length ? HTTP_FROM_GRPC[code] : 500;
}

/** gRPC's grpc-message is percent-encoded (gRPC over HTTP/2 spec); decodes it, leaving bad escapes as they are. */
export function decodeGrpcMessage(m: string): string {
  try {
    return decodeURIComponent(m);
  } catch {
    return m;
  }
}

/** grpc-message on the wire: UTF-8, with '%' and every byte outside printable ASCII percent-encoded (gRPC over HTTP/2 spec). */
export function encodeGrpcMessage(m: string): string {
  let out = '';
  for (const b of Buffer.from(m, 'utf8'))
    out +=
      b >= 0x20 && b <= 0x7e && b !== 0x25
        ? String.fromCharCode(b)
        : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  return out;
}
