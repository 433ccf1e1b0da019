// A real gRPC upstream for the tests: @grpc/grpc-js serving test/fixtures/echo.proto (all four
// call kinds and a failing method), plaintext (h2c) or TLS, plus the gRPC wire framing used to
// make calls by hand over HTTP/1.1.

import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { ROOT } from './gateway.js';

export const PROTO = path.join(ROOT, 'test', 'fixtures', 'echo.proto');

export interface EchoRequest {
  text?: string;
  count?: number;
  delay_ms?: number;
}
export interface EchoReply {
  text: string;
  index: number;
  metadata: string[];
}

const definition = protoLoader.loadSync(PROTO, { keepCase: true, defaults: true });
export const echoPackage = grpc.loadPackageDefinition(definition) as any;
const healthPackage = grpc.loadPackageDefinition(
  protoLoader.loadSync(path.join(ROOT, 'test', 'fixtures', 'health.proto'), {
    keepCase: true,
    defaults: true,
    enums: String,
  }),
) as any;
/** The generated client constructor for turnpike.test.Echo. */
export const EchoClient: new (address: string, creds: grpc.ChannelCredentials, options?: object) => any =
  echoPackage.turnpike.test.Echo;

// keepCase: the field names stay as written in the .proto (delay_ms), as proto-loader is told too.
const root = new protobuf.Root().loadSync(PROTO, { keepCase: true });
const RequestType = root.lookupType('turnpike.test.EchoRequest');
const ReplyType = root.lookupType('turnpike.test.EchoReply');

/** One length-prefixed gRPC message (uncompressed) carrying an EchoRequest. */
export function frameRequest(req: EchoRequest): Buffer {
  const msg = Buffer.from(RequestType.encode(RequestType.fromObject(req)).finish());
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
}

/** Splits a gRPC response body into its messages, decoded as EchoReply. */
export function parseReplies(body: Buffer): EchoReply[] {
  const out: EchoReply[] = [];
  let o = 0;
  while (o + 5 <= body.length) {
    const len = body.readUInt32BE(o + 1);
    const msg = body.subarray(o + 5, o + 5 + len);
    out.push(ReplyType.toObject(ReplyType.decode(msg), { defaults: true }) as EchoReply);
    o += 5 + len;
  }
  if (o !== body.length) throw new Error(`trailing ${body.length - o} bytes after the last gRPC message`);
  return out;
}

function seenMetadata(md: grpc.Metadata): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(md.getMap()))
    if (k.startsWith('x-')) out.push(`${k}=${Buffer.isBuffer(v) ? v.toString('hex') : v}`);
  return out.sort();
}

export interface EchoServer {
  port: number;
  server: grpc.Server;
  /** Calls the server has seen, by method name. */
  calls: string[];
  /** Replies ServerStream has handed to its stream so far (it waits for 'drain' when told to). */
  sent: () => number;
  /** What grpc.health.v1.Health/Check answers; `health.checks` counts the checks. */
  health: { status: 'SERVING' | 'NOT_SERVING'; checks: number };
  /** Calls the client (or the gateway on its behalf) cancelled. */
  cancelled: () => number;
  /** Unary calls cancelled before their `delay_ms` was up (counted apart from `cancelled`). */
  unaryCancelled: () => number;
  close(): Promise<void>;
}

/**
 * Starts the echo service. Unary echoes `text` (after `delay_ms`) and sends header and trailer
 * metadata; ServerStream sends `count` replies; ClientStream joins the texts it received;
 * Bidi answers each message; Fail fails with status `count` and trailer metadata.
 */
export async function startEchoServer(
  tlsPair?: { cert: string; key: string },
  port = 0,
  options: grpc.ServerOptions = {},
): Promise<EchoServer> {
  const server = new grpc.Server(options);
  const calls: string[] = [];
  let sent = 0;
  let cancelled = 0;
  let unaryCancelled = 0;
  const health: EchoServer['health'] = { status: 'SERVING', checks: 0 };
  server.addService(healthPackage.grpc.health.v1.Health.service, {
    Check(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      health.checks++;
      cb(null, { status: health.status });
    },
  });
  server.addService(echoPackage.turnpike.test.Echo.service, {
    Unary(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) {
      calls.push('Unary');
      const md = new grpc.Metadata();
      md.set('x-echo-header', 'from-server');
      call.sendMetadata(md);
      const timer = setTimeout(() => {
        const trailer = new grpc.Metadata();
        trailer.set('x-echo-trailer', 'done');
        cb(null, { text: call.request.text ?? '', index: 0, metadata: seenMetadata(call.metadata) }, trailer);
      }, call.request.delay_ms ?? 0);
      // A cancelled call is not answered: a long delay_ms then keeps nothing waiting.
      call.on('cancelled', () => {
        if (call.request.delay_ms !== undefined && call.request.delay_ms > 0) unaryCancelled++;
        clearTimeout(timer);
      });
    },
    ServerStream(call: grpc.ServerWritableStream<EchoRequest, EchoReply>) {
      calls.push('ServerStream');
      call.on('cancelled', () => cancelled++);
      const n = call.request.count ?? 0;
      // Honours backpressure (waits for 'drain'), so `sent` shows how far the reader let it go.
      let i = 0;
      const more = (): void => {
        while (i < n && !call.cancelled) {
          const ok = call.write({ text: `${call.request.text}-${i}`, index: i, metadata: [] });
          i++;
          sent++;
          if (!ok) {
            call.once('drain', more);
            return;
          }
        }
        if (!call.cancelled) call.end();
      };
      more();
    },
    ClientStream(call: grpc.ServerReadableStream<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) {
      calls.push('ClientStream');
      const texts: string[] = [];
      call.on('data', (r: EchoRequest) => texts.push(r.text ?? ''));
      call.on('end', () =>
        cb(null, { text: texts.join(','), index: texts.length, metadata: seenMetadata(call.metadata) }),
      );
    },
    Bidi(call: grpc.ServerDuplexStream<EchoRequest, EchoReply>) {
      calls.push('Bidi');
      let i = 0;
      call.on('data', (r: EchoRequest) => call.write({ text: `echo:${r.text}`, index: i++, metadata: [] }));
      call.on('end', () => call.end());
    },
    Fail(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) {
      calls.push('Fail');
      const md = new grpc.Metadata();
      md.set('x-fail-reason', 'asked to fail');
      md.set('x-fail-bin', Buffer.from([0, 1, 2, 255]));
      cb({ code: call.request.count ?? grpc.status.UNKNOWN, details: call.request.text ?? 'failed', metadata: md });
    },
  });
  const creds =
    tlsPair === undefined
      ? grpc.ServerCredentials.createInsecure()
      : grpc.ServerCredentials.createSsl(null, [
          { cert_chain: Buffer.from(tlsPair.cert), private_key: Buffer.from(tlsPair.key) },
        ]);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: bound,
    server,
    calls,
    sent: () => sent,
    health,
    cancelled: () => cancelled,
    unaryCancelled: () => unaryCancelled,
    close: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
}
