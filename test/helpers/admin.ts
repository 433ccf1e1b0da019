// Talking to a gateway's Admin API in tests: a started gateway with an admin listener on a
// free loopback port, and a small JSON client over real HTTP (fetch).
import type { Gateway } from './gateway.js';
import { freePort, sleep } from './gateway.js';
import { gateway } from './scope.js';

export interface AdminReply {
  status: number;
  body: any;
  headers: Headers;
}

export class AdminClient {
  constructor(
    readonly url: string,
    public token: string | null = null,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    opts: { token?: string | null; form?: boolean; contentType?: string; headers?: Record<string, string> } = {},
  ): Promise<AdminReply> {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? this.token : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      if (opts.form === true) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = new URLSearchParams(body as Record<string, string>).toString();
      } else if (typeof body === 'string') {
        headers['content-type'] = opts.contentType ?? 'application/yaml';
        payload = body;
      } else {
        headers['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
    }
    const res = await fetch(this.url + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get = (path: string, opts?: { token?: string | null }) => this.call('GET', path, undefined, opts);
  post = (path: string, body: unknown, opts?: { token?: string | null; form?: boolean }) =>
    this.call('POST', path, body, opts);
  put = (path: string, body: unknown, opts?: { token?: string | null }) => this.call('PUT', path, body, opts);
  patch = (path: string, body: unknown, opts?: { token?: string | null }) => this.call('PATCH', path, body, opts);
  delete = (path: string, opts?: { token?: string | null }) => this.call('DELETE', path, undefined, opts);
}

/** A gateway with the Admin API on a free port (database mode unless `config` is given). */
export async function adminGateway(opts: {
  env?: Record<string, string>;
  prefix?: string;
  config?: string;
  workers?: number;
  adminPort?: number;
}): Promise<{ gw: Gateway; admin: AdminClient; adminPort: number }> {
  const adminPort = opts.adminPort ?? (await freePort());
  const gw = await gateway({
    config: opts.config ?? '',
    database: opts.config === undefined,
    prefix: opts.prefix,
    workers: opts.workers,
    env: { TURNPIKE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`, ...opts.env },
  });
  return { gw, admin: new AdminClient(`http://127.0.0.1:${adminPort}`), adminPort };
}

/** Polls `url` until it answers `status`; the milliseconds it took. */
export async function until(url: string, status: number, timeoutMs = 5000): Promise<number> {
  const start = Date.now();
  let last = 0;
  while (Date.now() - start < timeoutMs) {
    try {
      last = (await fetch(url)).status;
      if (last === status) return Date.now() - start;
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last ${last})`);
}
