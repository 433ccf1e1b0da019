// Node's own ceilings, measured in the same run as the proxies (BENCH.md): nginx answering
// the fixed body itself (`return 200`) over HTTP/1.1, HTTPS and HTTP/2, beside a bare Node
// server doing the same over node:http, node:https and node:http2 (bench/servers/bare.ts).
// Each runs pinned to the proxy's CPU, as the proxies do. Throughput only: the fixed-rate
// latency run would add a minute per round for figures nobody compares.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, pinned, stopProcess } from './proc.js';
import { benchCertificate } from './tls-cert.js';
import { READY_MS, startNginx, startReady, type BenchContext, type Contender } from './contenders.js';

export const NGINX_STATIC_ID = 'nginx-static';
export const NGINX_STATIC_HTTPS_ID = 'nginx-static-https';
export const NGINX_STATIC_H2_ID = 'nginx-static-h2';
export const NODE_HTTP_ID = 'node-http';
export const NODE_HTTPS_ID = 'node-https';
export const NODE_HTTP2_ID = 'node-http2';
export const H2_CODEC_ID = 'h2codec-bare';
export const NODE_PIPE_ID = 'node-pipe';

type Proto = 'http' | 'https' | 'h2';

function nginxStatic(id: string, label: string, proto: Proto): Contender {
  return {
    id,
    label,
    throughputOnly: true,
    ...(proto === 'h2' ? { protocol: 'h2' as const } : {}),
    start: async (ctx) => {
      const port = await freePort();
      const tls = proto !== 'http' ? await benchCertificate(ctx.workDir) : undefined;
      const body = [
        '  server {',
        `    listen 127.0.0.1:${port}${tls ? ' ssl' : ''}${proto === 'h2' ? ' http2' : ''} backlog=4096;`,
        ...(tls
          ? [
              `    ssl_certificate ${tls.certFile};`,
              `    ssl_certificate_key ${tls.keyFile};`,
              '    ssl_protocols TLSv1.2 TLSv1.3;',
              '    ssl_session_cache shared:SSL:10m;',
            ]
          : []),
        '    location / { default_type text/plain; return 200 "hello world\\n"; }',
        '  }',
      ].join('\n');
      const { proc, argv } = await startNginx(ctx.workDir, id, ctx.proxyCpu, body, port, tls ? 'https' : 'http');
      return { url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`, argv, stop: () => stopProcess(proc) };
    },
  };
}

/** bench/servers/bare.js, next to this folder in dist/bench/. */
export function bareServerScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'servers', 'bare.js');
}

/** A bare server of bench/servers/bare.ts (kind http, https, http2 or h2codec) pinned to the proxy CPU. */
export function bareServer(id: string, label: string, kind: string, proto: Proto, extraArgs: string[] = []): Contender {
  return {
    id,
    label,
    throughputOnly: true,
    ...(proto === 'h2' ? { protocol: 'h2' as const } : {}),
    start: async (ctx: BenchContext) => {
      const port = await freePort();
      const tls = proto !== 'http' ? await benchCertificate(ctx.workDir) : undefined;
      const scheme = tls ? 'https' : 'http';
      const argv = pinned(ctx.proxyCpu, [
        process.execPath,
        ...extraArgs,
        bareServerScript(),
        kind,
        String(port),
        ...(tls ? [tls.certFile, tls.keyFile] : []),
        ...(kind === 'pipe' ? [String(ctx.upstreamPort)] : []),
      ]);
      // The HTTP/2 servers speak nothing else: readiness is probed over HTTP/2.
      const proc = await startReady(
        `${scheme}://127.0.0.1:${port}/`,
        READY_MS,
        id,
        argv,
        join(ctx.workDir, `${id}.log`),
        { env: { ...process.env, NODE_ENV: 'production' } },
        proto === 'h2',
      );
      return { url: `${scheme}://127.0.0.1:${port}/`, argv, stop: () => stopProcess(proc) };
    },
  };
}

export const nginxStaticHttp = nginxStatic(NGINX_STATIC_ID, 'nginx, 1 worker, return 200', 'http');
export const nginxStaticHttps = nginxStatic(NGINX_STATIC_HTTPS_ID, 'nginx, 1 worker, return 200, HTTPS', 'https');
export const nginxStaticH2 = nginxStatic(NGINX_STATIC_H2_ID, 'nginx, 1 worker, return 200, HTTP/2', 'h2');
export const nodeHttp = bareServer(NODE_HTTP_ID, 'node:http bare server', 'http', 'http');
export const nodeHttps = bareServer(NODE_HTTPS_ID, 'node:https bare server', 'https', 'https');
export const nodeHttp2 = bareServer(NODE_HTTP2_ID, 'node:http2 bare server (h2load)', 'http2', 'h2');
/** The same fixed answer from Turnpike's own HTTP/2 codec (src/engine/http2/codec/) on a TLS socket. */
export const h2CodecBare = bareServer(H2_CODEC_ID, 'turnpike h2 codec bare server (h2load)', 'h2codec', 'h2');
/**
 * The floor of any Node proxy (bench/servers/bare.ts, kind pipe): bytes copied between a client
 * connection and its own upstream connection, nothing parsed. The HTTP/1.1 proxy rows' "× Node"
 * column compares with it: how much of what Node allows a proxy does.
 */
export const nodePipe = bareServer(NODE_PIPE_ID, 'node raw TCP pipe proxy (floor)', 'pipe', 'http');
