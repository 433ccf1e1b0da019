// The request head both parsers fill (the HTTP/1.1 parser in ./request-head.ts and the
// HTTP/2 request head in ../http2/request-head.ts), and the one decision they share: how each
// header field is forwarded (hop-by-hop, Via, X-Forwarded-*, …) and which fields are refused.

export const MAX_HEADERS = 100;

/** A request the gateway refuses to forward: answered with `status` and a JSON message. */
export class HttpParseError {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

/** Why a header is not copied to the upstream as-is. */
export const enum Skip {
  Keep = 0,
  HopByHop = 1, // Connection and friends, re-framed by the proxy
  Host = 2, // rewritten (preserve_host decides)
  Forwarded = 3, // X-Forwarded-*, X-Real-IP: replaced unless the client is trusted
  Via = 4, // appended to
  Removed = 5, // removed by a plugin: neither forwarded nor visible to later plugins
}

/** One parsed request head. Reused per connection: requests on one connection run in order. */
export class RequestHead {
  method = '';
  /** Path without the query, normalized (see router/normalize.ts): what is routed and forwarded. */
  path = '';
  /** Path exactly as the client sent it (X-Forwarded-Path, access log). */
  rawPath = '';
  /** Query string including its leading '?', or ''. */
  query = '';
  httpMinor = 1;
  host = '';
  /** Host without port, lower-case (for routing). */
  hostname = '';
  names: string[] = [];
  lnames: string[] = [];
  values: string[] = [];
  skip = new Uint8Array(MAX_HEADERS);
  count = 0;
  contentLength = -1;
  chunked = false;
  keepAlive = true;
  expectContinue = false;
  /** Index of headers the forwarding logic needs; -1 when absent. */
  xffIndex = -1;
  xfProtoIndex = -1;
  xfHostIndex = -1;
  xfPortIndex = -1;
  xfPathIndex = -1;
  xfPrefixIndex = -1;
  viaIndex = -1;
  /**
   * A WebSocket opening handshake (RFC 6455 §4.1): GET, HTTP/1.1, no body, `Upgrade:
   * websocket` and `Connection: upgrade`. Only this upgrade is tunnelled; any other Upgrade
   * token is dropped as a hop-by-hop header (and h2c is refused).
   */
  upgradeWebSocket = false;
  /** Bytes of the head on the wire. */
  size = 0;

  /** Arrays are overwritten by index, not truncated: only the first `count` entries are valid. */
  reset(): void {
    this.count = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.keepAlive = true;
    this.expectContinue = false;
    this.upgradeWebSocket = false;
    this.host = '';
    this.hostname = '';
    this.query = '';
    this.xffIndex =
      this.xfProtoIndex =
      this.xfHostIndex =
      this.xfPortIndex =
      this.xfPathIndex =
      this.xfPrefixIndex =
      this.viaIndex =
        -1;
  }

  /** Header value by lower-case name (repeated fields joined with ", "). */
  header(lname: string): string | undefined {
    let found: string | undefined;
    const l = this.lnames;
    for (let i = 0; i < this.count; i++) {
      if (l[i] === lname) found = found === undefined ? this.values[i] : found + ', ' + this.values[i];
    }
    return found;
  }
}

/**
 * A field whose handling is the protocol's own: Host, Connection, Upgrade, Transfer-Encoding
 * (framing, connection management and the authority differ between HTTP/1.1 and HTTP/2).
 */
export const PROTOCOL_FIELD = -1;

/**
 * How the field at index `n`, named `lname` (lower case), is forwarded: its Skip, recording in
 * `head` what the forwarding needs (Via, X-Forwarded-* indexes, Content-Length, Expect); an
 * error for a field the gateway refuses; PROTOCOL_FIELD for the caller to decide. Runs once
 * per field on the HTTP/1.1 parser's hot path: it switches on the name's length first (one
 * comparison for most names) and allocates nothing unless it refuses the request.
 */
export function classifyField(
  head: RequestHead,
  n: number,
  lname: string,
  value: string,
): Skip | typeof PROTOCOL_FIELD | HttpParseError {
  switch (lname.length) {
    case 2:
      if (lname === 'te') return Skip.HopByHop;
      break;
    case 3:
      if (lname === 'via') {
        if (head.viaIndex === -1) head.viaIndex = n;
        return Skip.Via;
      }
      break;
    case 4:
      if (lname === 'host') return PROTOCOL_FIELD;
      break;
    case 6:
      if (lname === 'expect') {
        if (value.toLowerCase() !== '100-continue')
          return new HttpParseError(
            417,
            `Expectation failed: only "Expect: 100-continue" is supported, got "${value}"`,
          );
        head.expectContinue = true;
        return Skip.HopByHop;
      }
      break;
    case 7:
      if (lname === 'trailer') return Skip.HopByHop;
      if (lname === 'upgrade') return PROTOCOL_FIELD;
      break;
    case 9:
      if (lname === 'x-real-ip') return Skip.Forwarded;
      break;
    case 10:
      if (lname === 'connection') return PROTOCOL_FIELD;
      if (lname === 'keep-alive') return Skip.HopByHop;
      break;
    case 14:
      if (lname === 'content-length') {
        if (head.contentLength !== -1)
          return new HttpParseError(400, 'Bad request: more than one Content-Length header');
        if (value.length === 0 || value.length > 15 || !/^\d+$/.test(value))
          return new HttpParseError(400, 'Bad request: Content-Length must be a decimal number');
        head.contentLength = Number(value);
      }
      break;
    case 15:
      if (lname === 'x-forwarded-for') {
        if (head.xffIndex === -1) head.xffIndex = n;
        return Skip.Forwarded;
      }
      break;
    case 16:
      if (lname === 'x-forwarded-host') {
        head.xfHostIndex = n;
        return Skip.Forwarded;
      }
      if (lname === 'x-forwarded-port') {
        head.xfPortIndex = n;
        return Skip.Forwarded;
      }
      if (lname === 'x-forwarded-path') {
        head.xfPathIndex = n;
        return Skip.Forwarded;
      }
      if (lname === 'proxy-connection') return Skip.HopByHop;
      break;
    case 17:
      if (lname === 'x-forwarded-proto') {
        head.xfProtoIndex = n;
        return Skip.Forwarded;
      }
      if (lname === 'transfer-encoding') return PROTOCOL_FIELD;
      break;
    case 18:
      if (lname === 'x-forwarded-prefix') {
        head.xfPrefixIndex = n;
        return Skip.Forwarded;
      }
      break;
  }
  return Skip.Keep;
}
