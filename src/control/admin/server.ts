// The Admin API listener (loopback by default). It runs in the primary, beside the store:
// a change is written to the database, the store's change feed reloads the node, and the
// workers (and, on a control plane, the data planes) get the new snapshot. Each request is
// authenticated, dispatched to the handlers of its path, and every change is written to the
// audit log with who made it.
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { ListenAddress } from '../../settings/index.js';
import { StoreError, DatabaseError } from '../store/index.js';
import type { AdminData } from './admin-data.js';
import { Authenticator } from './auth.js';
import { parseBody } from './body.js';
import { handleEntity, type EntityContext } from './entity-handlers.js';
import { matchEntityPath } from './entity-paths.js';
import { HttpError, notFound, type Actor, type AdminRequest, type AdminResponse, type Json } from './http.js';
import { handleSecurity } from './security-handlers.js';
import { handleSystem, type SystemContext } from './system-handlers.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AdminDeps extends EntityContext, SystemContext {
  log: Logger;
  data: AdminData;
  /** TURNPIKE_ADMIN_TOKEN (or the admin_token_file's content): an admin token that is not stored. */
  bootstrapToken: string | null;
  /** admin_max_body_size: the largest request body, bytes; more gets a 413. */
  maxBodySize: number;
  /** Certificate and key for listeners with `ssl`. */
  tls: { cert: string; key: string; minVersion: 'TLSv1.2' | 'TLSv1.3' } | null;
}

export interface AdminServer {
  close(): Promise<void>;
}

export async function startAdminServer(addrs: ListenAddress[], deps: AdminDeps): Promise<AdminServer> {
  const auth = new Authenticator(deps.data, deps.bootstrapToken, deps.log);
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void serve(req, res, deps, auth);
  };
  const servers: http.Server[] = [];
  for (const a of addrs) {
    let server: http.Server;
    if (a.ssl) {
      if (deps.tls === null)
        throw new Error(`admin_listen "${a.spec}": ssl needs a certificate (ssl_cert / ssl_cert_key)`);
      server = https.createServer({ cert: deps.tls.cert, key: deps.tls.key, minVersion: deps.tls.minVersion }, handler);
    } else server = http.createServer(handler);
    server.requestTimeout = 60_000;
    server.headersTimeout = 20_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `admin_listen "${a.spec}": ${err.code === 'EADDRINUSE' ? 'the address is already in use; stop what is listening there or choose another port (--admin-listen or TURNPIKE_ADMIN_LISTEN)' : err.message}`,
          ),
        ),
      );
      server.listen({ host: a.host, port: a.port }, () => resolve());
    });
    servers.push(server);
  }
  return {
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
    },
  };
}

async function serve(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: AdminDeps,
  auth: Authenticator,
): Promise<void> {
  const method = req.method ?? 'GET';
  const started = Date.now();
  let actor: Actor | null = null;
  let parsed: AdminRequest | null = null;
  let out: AdminResponse;
  try {
    const url = new URL(req.url ?? '/', 'http://admin');
    let segments: string[];
    try {
      segments = url.pathname
        .split('/')
        .filter((x) => x !== '')
        .map(decodeURIComponent);
    } catch {
      throw new HttpError(400, `the path ${url.pathname} is not validly percent-encoded`);
    }
    if (method === 'OPTIONS') {
      out = { status: 204, headers: { allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' } };
    } else {
      actor = await auth.authenticate(req.headers);
      auth.authorize(actor, method);
      const raw = await readBody(req, res, deps.maxBodySize);
      const contentType = String(req.headers['content-type'] ?? '');
      const isConfig = segments.length === 1 && segments[0] === 'config';
      parsed = {
        method,
        segments,
        path: url.pathname.replace(/\/+$/, '') || '/',
        query: url.searchParams,
        // POST /config takes YAML too: its body is read as text by its handler.
        body:
          isConfig && !/json|form/.test(contentType) && !raw.trimStart().startsWith('{')
            ? null
            : parseBody(raw, contentType),
        rawBody: raw,
        contentType,
        actor,
        remote: req.socket.remoteAddress ?? '',
      };
      out =
        (await handleSecurity(parsed, { data: deps.data, auth })) ??
        (await handleSystem(parsed, deps)) ??
        (await entity(parsed, deps));
    }
  } catch (err) {
    out = errorResponse(err, deps.log);
  }
  send(res, out, method);
  if (WRITES.has(method) && out.status !== 405) {
    // After the answer: the audit write must not hold the client, and a database outage
    // (which refused the change anyway) is logged instead.
    const error = out.status >= 400 ? String((out.body as Json | undefined)?.message ?? '') : null;
    deps.data
      .record({
        at: new Date(started).toISOString(),
        actor: actor?.name ?? 'unauthenticated',
        role: actor?.role ?? '',
        remote: req.socket.remoteAddress ?? '',
        method,
        path: parsed?.path ?? (req.url ?? '').split('?')[0]!,
        status: out.status,
        entity:
          out.audit === undefined ? null : { kind: out.audit.kind, id: out.audit.id, name: out.audit.name ?? null },
        error,
      })
      .catch((err: Error) =>
        deps.log.warn(
          `audit log: could not record ${method} ${parsed?.path ?? req.url} by ${actor?.name ?? 'unauthenticated'} (status ${out.status}): ${err.message}`,
        ),
      );
  }
  deps.log.debug(
    { method, path: parsed?.path ?? req.url, status: out.status, actor: actor?.name, ms: Date.now() - started },
    'admin request',
  );
}

async function entity(req: AdminRequest, deps: AdminDeps): Promise<AdminResponse> {
  const p = matchEntityPath(req.segments);
  if (p === null) throw notFound();
  return handleEntity(req, p, deps);
}

/**
 * The request body as text, at most `limit` bytes. A larger one (announced by Content-Length,
 * or found while reading) is refused with a 413 that the client gets: the connection is closed
 * after the answer, and what the client still sends meanwhile is read and dropped, so the
 * socket is not reset under the answer.
 */
function readBody(req: http.IncomingMessage, res: http.ServerResponse, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tooLarge = (): void => {
      req.removeAllListeners('data');
      req.on('data', () => {});
      res.shouldKeepAlive = false;
      res.setHeader('connection', 'close');
      // A client that keeps sending after the answer is cut off after a while.
      res.once('finish', () => setTimeout(() => req.socket.destroy(), 2000).unref());
      reject(
        new HttpError(
          413,
          `request body is larger than the Admin API's limit of ${formatSize(limit)} (admin_max_body_size)`,
        ),
      );
    };
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) tooLarge();
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function formatSize(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function errorResponse(err: unknown, log: Logger): AdminResponse {
  if (err instanceof HttpError)
    return { status: err.status, body: { message: err.message, ...err.extra }, headers: err.headers };
  if (err instanceof DatabaseError) {
    return {
      status: 503,
      body: {
        ...err.body,
        message: `${err.message}; changes are refused until the database is back, and the proxy keeps serving the last configuration`,
      },
    };
  }
  if (err instanceof StoreError) return { status: err.status, body: err.body };
  log.error({ err }, `admin API: unexpected error: ${(err as Error).message}`);
  return { status: 500, body: { message: 'An unexpected error occurred' } };
}

function send(res: http.ServerResponse, out: AdminResponse, method: string): void {
  const headers: Record<string, string | number> = { ...out.headers };
  if (out.status === 204 || out.status === 304 || out.body === undefined) {
    res.writeHead(out.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(out.body) + '\n';
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = Buffer.byteLength(text);
  res.writeHead(out.status, headers);
  res.end(method === 'HEAD' ? undefined : text);
}
