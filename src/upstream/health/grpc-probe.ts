// Active health probe of type grpc/grpcs: the standard gRPC health-checking protocol
// (grpc.health.v1.Health/Check with an empty service name, i.e. the server as a whole) over
// a fresh HTTP/2 connection, h2c for grpc and ALPN h2 over TLS for grpcs. A target is healthy
// when the call succeeds (grpc-status 0) and answers SERVING; any other answer (NOT_SERVING,
// UNIMPLEMENTED because the server has no health service…) is a failure.

import http2 from 'node:http2';
import net from 'node:net';
import type { Endpoint } from '../types.js';
import type { ProbeResult } from './probe-result.js';

export const GRPC_HEALTH_PATH = '/grpc.health.v1.Health/Check';

/** An empty HealthCheckRequest (service ""), framed: uncompressed flag and a zero length. */
const EMPTY_REQUEST = Buffer.alloc(5);

const SERVING = 1;

/**
 * The `status` of a framed HealthCheckResponse (field 1, an enum, so a varint), or -1.
 * Decoded by hand: one varint field does not justify a protobuf runtime on the gateway.
 */
export function servingStatus(body: Buffer): number {
  if (body.length < 5 || body[0] !== 0) return -1;
  const len = body.readUInt32BE(1);
  const msg = body.subarray(5, 5 + len);
  let i = 0;
  while (i < msg.length) {
    const key = msg[i++];
    const wire = key & 7;
    let v = 0;
    let shift = 0;
    if (wire === 0) {
      while (i < msg.length) {
        const b = msg[i++];
        v += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
      }
      if (key >> 3 === 1) return v;
    } else if (wire === 2) {
      let l = 0;
      while (i < msg.length) {
        const b = msg[i++];
        l += (b & 0x7f) * 2 ** shift;
        shift += 7;
        if ((b & 0x80) === 0) break;
      }
      i += l;
    } else return -1; // fields of other wire types do not exist in this message
  }
  return 0; // status absent: proto3's default, UNKNOWN
}

export interface GrpcProbeConfig {
  tls: boolean;
  verify: boolean;
  sni: string | null;
}

export function probeGrpc(
  ep: Endpoint,
  cfg: GrpcProbeConfig,
  timeoutMs: number,
  track: ((abort: () => void) => () => void) | undefined,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const authority = `${cfg.tls ? 'https' : 'http'}://${net.isIPv6(ep.host) ? `[${ep.host}]` : ep.host}:${ep.port}`;
    const session = http2.connect(
      authority,
      cfg.tls
        ? {
            rejectUnauthorized: cfg.verify,
            ALPNProtocols: ['h2'],
            ...(cfg.sni !== null ? { servername: cfg.sni } : {}),
          }
        : {},
    );
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      untrack();
      session.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    timer.unref();
    const untrack = track !== undefined ? track(() => finish({ kind: 'tcp_failure', error: 'aborted' })) : () => {};
    session.on('error', (err) => finish({ kind: 'tcp_failure', error: err.message }));
    const req = session.request({
      ':method': 'POST',
      ':path': GRPC_HEALTH_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      'user-agent': 'turnpike-healthcheck',
    });
    const parts: Buffer[] = [];
    let status: string | undefined;
    let message = '';
    req.on('response', (h) => {
      // Trailers-only answers (an error) carry grpc-status in the headers.
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined) message = String(h['grpc-message']);
    });
    req.on('trailers', (t) => {
      status = String(t['grpc-status']);
      if (t['grpc-message'] !== undefined) message = String(t['grpc-message']);
    });
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      if (status !== '0')
        return finish({
          kind: 'grpc',
          serving: false,
          detail: `grpc-status ${status ?? 'missing'}${message !== '' ? ' ' + decodeURIComponent(message) : ''}`,
        });
      const s = servingStatus(Buffer.concat(parts));
      finish({ kind: 'grpc', serving: s === SERVING, detail: s === SERVING ? 'SERVING' : `serving status ${s}` });
    });
    req.on('error', (err) => finish({ kind: 'tcp_failure', error: err.message }));
    req.end(EMPTY_REQUEST);
  });
}
