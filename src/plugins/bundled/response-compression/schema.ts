// response-compression config. Not a Kong plugin (Kong compresses with nginx directives,
// KONG_NGINX_PROXY_GZIP*/BROTLI*); the fields follow nginx's gzip module, APISIX's `gzip` and
// `brotli` plugins and Envoy's compressor filter, with one plugin for both algorithms.
import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../../../config/schema/common.js';

export const ALGORITHMS = ['br', 'gzip'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Text-like types worth compressing; already-compressed formats (images, video, zip) are left out. */
export const DEFAULT_CONTENT_TYPES = [
  'text/*',
  'application/json',
  'application/javascript',
  'application/xml',
  'application/xhtml+xml',
  'application/rss+xml',
  'application/atom+xml',
  'application/ld+json',
  'application/problem+json',
  'application/graphql-response+json',
  'application/wasm',
  'image/svg+xml',
  'font/ttf',
  'font/otf',
];

const MediaRange = Type.String({
  pattern: '^(\\*|\\*/\\*|[A-Za-z0-9!#$&^_.+-]+/(\\*|[A-Za-z0-9!#$&^_.+-]+))$',
  'x-error': "must be a media type such as 'application/json', a range such as 'text/*', or '*'",
});

export const ResponseCompressionSchema = Type.Object(
  {
    /** Encodings the gateway may produce, most preferred first (breaks ties between equal q-values). */
    algorithms: Type.Array(StringEnum(ALGORITHMS), { minItems: 1, uniqueItems: true, default: ['br', 'gzip'] }),
    /** Responses whose Content-Length is below this many bytes are sent as they are. */
    min_length: Type.Integer({ minimum: 0, default: 1024 }),
    /** Media types to compress (parameters such as charset ignored); 'type/*' and '*' match ranges. */
    content_types: Type.Array(MediaRange, { minItems: 1, default: DEFAULT_CONTENT_TYPES }),
    /** Compression effort per algorithm: gzip level 1–9, brotli quality 0–11. */
    level: Type.Object(
      {
        gzip: Type.Integer({ minimum: 1, maximum: 9, default: 6 }),
        br: Type.Integer({ minimum: 0, maximum: 11, default: 4 }),
      },
      { additionalProperties: false, default: {} },
    ),
    /**
     * Flush the compressor after every piece the upstream sends (Z_SYNC_FLUSH / brotli FLUSH),
     * so that a slow stream reaches the client as it comes, at some cost in ratio. Without it,
     * output leaves in blocks (gzip: tens of KiB; brotli: up to about 512 KiB of input) and at
     * the end. `text/event-stream` is always flushed.
     */
    flush: Type.Boolean({ default: false }),
    /** Add `Vary: Accept-Encoding` to every response the plugin could compress. */
    vary: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export type ResponseCompressionConfig = Static<typeof ResponseCompressionSchema>;
