// request-size-limiting: refuses requests whose body is larger than allowed, with Kong's 413
// (417 when the client sent "Expect: 100-continue"): by their Content-Length when they declare
// one, else (chunked bodies) by reading the body, as Kong does. With require_content_length,
// requests that declare no valid length and are not chunked get a 411. Kong priority 951.

import { definePlugin } from '../../sdk.js';
import { RequestSizeLimitingSchema, type RequestSizeLimitingConfig } from './schema.js';

const FACTOR: Record<RequestSizeLimitingConfig['size_unit'], number> = {
  bytes: 1,
  kilobytes: 1024,
  megabytes: 1048576,
};

interface Prepared {
  readonly allowedBytes: number;
  readonly requireContentLength: boolean;
}

/** Lua's tonumber on a header value: decimal, hex ("0x1f"), exponent; surrounding spaces allowed. */
function toNumber(v: string): number | null {
  const s = v.trim();
  if (s === '' || !/^[+-]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)$/.test(s)) return null;
  const n = /^[+-]?0[xX]/.test(s) ? (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[+-]/, ''), 16) : Number(s);
  return Number.isFinite(n) ? n : null;
}

export default definePlugin({
  name: 'request-size-limiting',
  version: '0.1.0',
  priority: 951,
  schema: RequestSizeLimitingSchema,
  prepare: (c): Prepared => ({
    allowedBytes: c.allowed_payload_size * FACTOR[c.size_unit],
    requireContentLength: c.require_content_length,
  }),
  phases: {
    async access(ctx, p) {
      const req = ctx.request;
      const tooLarge = (): void => {
        const expect = req.getHeader('expect');
        const status = expect !== undefined && expect.trim().toLowerCase() === '100-continue' ? 417 : 413;
        ctx.respond(status, { message: 'Request size limit exceeded' });
      };
      const cl = req.getHeader('content-length');
      const length = cl === undefined ? null : toNumber(cl);
      if (length !== null) {
        if (length > p.allowedBytes) tooLarge();
        return;
      }
      // No Content-Length: a chunked body is read (buffered, up to client_body_buffer_limit) and
      // measured, as Kong does; any other request has no body and needs a length only when
      // require_content_length says so.
      const te = req.getHeader('transfer-encoding');
      if (te === undefined || !/chunked/i.test(te)) {
        if (p.requireContentLength) ctx.respond(411, { message: 'A valid Content-Length header is required' });
        return;
      }
      const body = await req.readBody();
      if (body.length > p.allowedBytes) tooLarge();
    },
  },
});
