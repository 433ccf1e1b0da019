// The gRPC-Web content types (Kong's list): the body is binary or base64 text ("-text"), and
// the messages protobuf or JSON ("+json", which needs the .proto to re-encode them).

export interface WebMime {
  /** The client's media type, sent back on the response (as Kong does). */
  readonly mime: string;
  readonly text: boolean;
  readonly json: boolean;
}

const TYPES: Record<string, { text: boolean; json: boolean }> = {
  'application/grpc-web': { text: false, json: false },
  'application/grpc-web+proto': { text: false, json: false },
  'application/grpc-web-text': { text: true, json: false },
  'application/grpc-web-text+proto': { text: true, json: false },
  'application/grpc-web+json': { text: false, json: true },
  'application/grpc-web-text+json': { text: true, json: true },
};

export const WEB_MIME_TYPES = Object.keys(TYPES);

/** The gRPC-Web type of a Content-Type header value (parameters ignored), or null. */
export function parseWebMime(contentType: string | undefined): WebMime | null {
  if (contentType === undefined) return null;
  const semi = contentType.indexOf(';');
  const mime = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  const t = TYPES[mime];
  return t === undefined ? null : { mime, text: t.text, json: t.json };
}
