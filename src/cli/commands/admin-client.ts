// The HTTP client of the management commands (get, apply, diff, dump, delete): Kong's Admin
// API semantics, one error type whose message says what to do, and the flags every
// management command shares (--admin-url, --token, --token-file, -o).
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { httpRequest, type HttpReply } from './http-request.js';

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:8001';

/** Exit codes of the management commands (docs/cli.md lists them). */
export const EXIT = { ok: 0, error: 1, usage: 2, differences: 3, notFound: 4 } as const;

/** A failure the CLI reports as one line on stderr, with the exit code to use. */
export class AdminError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface AdminResponse {
  status: number;
  body: unknown;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Kong's error body → "message (field: why, ...)". */
export function kongMessage(body: unknown, fallback: string): string {
  if (!isObj(body)) return typeof body === 'string' && body.trim() !== '' ? body.trim().slice(0, 500) : fallback;
  const message = typeof body.message === 'string' ? body.message : fallback;
  const fields: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (isObj(v)) for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}.${i}`));
    else if (v !== null && v !== undefined) fields.push(`${at}: ${String(v)}`);
  };
  walk(body.fields, '');
  // Kong repeats the field errors in the message ("schema violation (name: ...)"); do not say it twice.
  const extra = fields.filter((f) => !message.includes(f));
  return extra.length > 0 ? `${message} (${extra.join('; ')})` : message;
}

export interface ListOptions {
  /** Page size; with `onePage`, the number of entities wanted. */
  size?: number;
  offset?: string;
  tags?: string;
  /** Only the first page (with `size`), instead of following `next` to the end. */
  onePage?: boolean;
}

export interface ListResult {
  data: Obj[];
  /** The cursor of the page after the last one read; null when everything was read. */
  offset: string | null;
}

export class AdminClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly token?: string,
    private readonly timeoutMs = 30000,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** `path` is an Admin API path ("/services/a") or an absolute URL (a `next` link). */
  url(path: string): string {
    return /^https?:\/\//i.test(path) ? path : `${this.baseUrl}${path.startsWith('/') ? '' : '/'}${path}`;
  }

  /** One request. Network failures, 401, 403 and 5xx throw AdminError; other statuses are returned. */
  async send(method: string, path: string, body?: unknown): Promise<AdminResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: HttpReply;
    try {
      res = await httpRequest(
        this.url(path),
        method,
        headers,
        body === undefined ? undefined : JSON.stringify(body),
        this.timeoutMs,
      );
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000}s` : (e.code ?? e.message);
      throw new AdminError(
        `cannot reach the Admin API at ${this.baseUrl} (${why}); is Turnpike running with its Admin API listening there (TURNPIKE_ADMIN_LISTEN)? ` +
          'Point --admin-url or TURNPIKE_ADMIN_URL at it',
      );
    }
    const text = res.text;
    let parsed: unknown = text;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's error page): kept as text for the message.
      }
    } else parsed = null;
    if (res.status === 401) {
      throw new AdminError(
        `the Admin API at ${this.baseUrl} answered 401 Unauthorized (${kongMessage(parsed, 'unauthorized')}): ` +
          (this.token
            ? 'the token was not accepted; check --token, --token-file or TURNPIKE_ADMIN_TOKEN'
            : 'it needs a token; set --token, --token-file or TURNPIKE_ADMIN_TOKEN'),
        EXIT.error,
        401,
      );
    }
    if (res.status === 403) {
      throw new AdminError(
        `the Admin API at ${this.baseUrl} answered 403 Forbidden to ${method} ${path} (${kongMessage(parsed, 'forbidden')}): ` +
          'the token is not allowed to do this (a read-only token cannot write); use a token with write access',
        EXIT.error,
        403,
      );
    }
    if (res.status >= 500) {
      throw new AdminError(
        `the Admin API at ${this.baseUrl} failed on ${method} ${path}: ${res.status} ${kongMessage(parsed, res.statusText)}`,
        EXIT.error,
        res.status,
      );
    }
    return { status: res.status, body: parsed };
  }

  /** A request that must succeed (2xx); a 404 becomes AdminError with exit code 4. */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const r = await this.send(method, path, body);
    if (r.status >= 200 && r.status < 300) return r.body;
    const message = kongMessage(r.body, `HTTP ${r.status}`);
    throw new AdminError(
      `${method} ${path}: ${r.status} ${message}`,
      r.status === 404 ? EXIT.notFound : EXIT.error,
      r.status,
    );
  }

  /** GET of one entity; null when the server answers 404. */
  async find(path: string): Promise<Obj | null> {
    const r = await this.send('GET', path);
    if (r.status === 404) return null;
    if (r.status >= 200 && r.status < 300 && isObj(r.body)) return r.body;
    throw new AdminError(`GET ${path}: ${r.status} ${kongMessage(r.body, 'unexpected answer')}`, EXIT.error, r.status);
  }

  /** A collection, following `next` to the end (or one page with `onePage`). */
  async list(path: string, opts: ListOptions = {}): Promise<ListResult> {
    const q = new URLSearchParams();
    q.set('size', String(opts.size ?? 1000));
    if (opts.offset) q.set('offset', opts.offset);
    if (opts.tags) q.set('tags', opts.tags);
    let next: string | null = `${path}?${q.toString()}`;
    const data: Obj[] = [];
    let offset: string | null = null;
    for (let pages = 0; next !== null; pages++) {
      if (pages >= 10000)
        throw new AdminError(`GET ${path}: more than 10000 pages; the server's next links do not end`);
      const body = await this.call('GET', next);
      if (!isObj(body) || !Array.isArray(body.data))
        throw new AdminError(`GET ${next}: expected {"data": [...]} from the Admin API at ${this.baseUrl}`);
      data.push(...(body.data as Obj[]));
      offset = typeof body.offset === 'string' ? body.offset : null;
      next = typeof body.next === 'string' && body.next !== '' ? body.next : null;
      if (opts.onePage) break;
    }
    return { data, offset: next === null ? null : offset };
  }
}

export interface AdminFlags {
  adminUrl: string;
  token?: string;
  tokenFile?: string;
  output?: string;
}

export type OutputFormat = 'table' | 'json' | 'yaml';

/** Adds --admin-url, --token, --token-file, and -o with the given formats (the first is the default). */
export function adminOptions(cmd: Command, formats: OutputFormat[] = ['table', 'json', 'yaml']): Command {
  cmd
    .addOption(
      new Option('--admin-url <url>', 'Admin API of the control plane')
        .env('TURNPIKE_ADMIN_URL')
        .default(DEFAULT_ADMIN_URL),
    )
    .addOption(
      new Option('--token <token>', 'Admin API token, sent as "Authorization: Bearer"').env('TURNPIKE_ADMIN_TOKEN'),
    )
    .addOption(new Option('--token-file <file>', 'read the token from a file (first line); wins over --token'));
  if (formats.length > 0)
    cmd.addOption(new Option('-o, --output <format>', 'output format').choices(formats).default(formats[0]));
  return cmd;
}

export function clientFrom(flags: AdminFlags): AdminClient {
  let token = flags.token;
  if (flags.tokenFile !== undefined) {
    try {
      token = fs.readFileSync(flags.tokenFile, 'utf8').split(/\r?\n/)[0]!.trim();
    } catch (err) {
      throw new AdminError(
        `--token-file ${flags.tokenFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message}`,
      );
    }
  }
  try {
    const u = new URL(flags.adminUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw new AdminError(
      `--admin-url ${flags.adminUrl}: expected an http:// or https:// URL such as ${DEFAULT_ADMIN_URL}`,
      EXIT.usage,
    );
  }
  return new AdminClient(flags.adminUrl, token === '' ? undefined : token);
}

/** Runs a command body: its number is the exit code; an AdminError is printed as one line. */
export async function runCommand(
  body: () => Promise<number>,
  err: { write(s: string): unknown } = process.stderr,
): Promise<void> {
  try {
    process.exitCode = await body();
  } catch (e) {
    if (e instanceof AdminError) {
      err.write(`turnpike: error: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    throw e;
  }
}
