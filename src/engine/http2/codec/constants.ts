// HTTP/2 wire constants (RFC 9113) and the codec's default limits.

export const enum FrameType {
  DATA = 0x0,
  HEADERS = 0x1,
  PRIORITY = 0x2,
  RST_STREAM = 0x3,
  SETTINGS = 0x4,
  PUSH_PROMISE = 0x5,
  PING = 0x6,
  GOAWAY = 0x7,
  WINDOW_UPDATE = 0x8,
  CONTINUATION = 0x9,
}

export const enum Flag {
  END_STREAM = 0x1,
  ACK = 0x1,
  END_HEADERS = 0x4,
  PADDED = 0x8,
  PRIORITY = 0x20,
}

export const enum ErrorCode {
  NO_ERROR = 0x0,
  PROTOCOL_ERROR = 0x1,
  INTERNAL_ERROR = 0x2,
  FLOW_CONTROL_ERROR = 0x3,
  SETTINGS_TIMEOUT = 0x4,
  STREAM_CLOSED = 0x5,
  FRAME_SIZE_ERROR = 0x6,
  REFUSED_STREAM = 0x7,
  CANCEL = 0x8,
  COMPRESSION_ERROR = 0x9,
  CONNECT_ERROR = 0xa,
  ENHANCE_YOUR_CALM = 0xb,
  INADEQUATE_SECURITY = 0xc,
  HTTP_1_1_REQUIRED = 0xd,
}

export const enum SettingId {
  HEADER_TABLE_SIZE = 0x1,
  ENABLE_PUSH = 0x2,
  MAX_CONCURRENT_STREAMS = 0x3,
  INITIAL_WINDOW_SIZE = 0x4,
  MAX_FRAME_SIZE = 0x5,
  MAX_HEADER_LIST_SIZE = 0x6,
}

/** Connection-specific fields (RFC 9113 §8.2.2): they mean something on one HTTP/1.1 connection only. */
export const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/** The client connection preface (RFC 9113 §3.4). */
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER_LENGTH = 9;
export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 0x7fff_ffff;
export const MIN_MAX_FRAME_SIZE = 16_384;
export const MAX_MAX_FRAME_SIZE = 16_777_215;

/** What this side allows, advertised in its SETTINGS; every one a bound on memory or work. */
export interface CodecLimits {
  /** SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table the peer may make us keep. */
  headerTableSize: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS: more open streams are refused (REFUSED_STREAM). */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: bytes of request body buffered per stream before the app reads. */
  initialWindowSize: number;
  /** The connection's receive window (grown with WINDOW_UPDATE at the start). */
  connectionWindowSize: number;
  /** SETTINGS_MAX_FRAME_SIZE we accept. */
  maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: decoded header bytes (name + value + 32 each) per block. */
  maxHeaderListSize: number;
  /** CONTINUATION frames one header block may span (flood protection, CVE-2024-27316 and kin). */
  maxContinuationFrames: number;
  /** Streams the client may reset (RST_STREAM) per `resetWindowMs` before GOAWAY(ENHANCE_YOUR_CALM). */
  maxResets: number;
  resetWindowMs: number;
  /** Control frames (PING, SETTINGS, empty DATA/HEADERS …) we answer per window before calling it a flood. */
  maxControlFrames: number;
}

export const DEFAULT_LIMITS: CodecLimits = {
  headerTableSize: 4096,
  maxConcurrentStreams: 128,
  initialWindowSize: 65_535,
  connectionWindowSize: 1 << 20,
  maxFrameSize: 16_384,
  maxHeaderListSize: 65_536,
  maxContinuationFrames: 32,
  maxResets: 1000,
  resetWindowMs: 30_000,
  maxControlFrames: 10_000,
};
