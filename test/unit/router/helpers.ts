import type { MatchInput, MatchResult, RouteSpec } from '../../../src/router/types.js';

let seq = 0;
export function route(id: string, r: Partial<RouteSpec<string>> = {}): RouteSpec<string> {
  return {
    id,
    name: null,
    protocols: ['http', 'https'],
    methods: null,
    hosts: null,
    paths: null,
    headers: null,
    regex_priority: 0,
    order: seq++,
    data: id,
    ...r,
  };
}

export function req(r: Partial<Omit<MatchInput, 'header'>> & { headers?: Record<string, string> } = {}): MatchInput {
  const headers = r.headers ?? {};
  return {
    method: r.method ?? 'GET',
    host: r.host ?? 'example.com',
    port: r.port ?? 80,
    path: r.path ?? '/',
    protocol: r.protocol ?? 'http',
    header: (name: string) => headers[name],
  };
}

export function result(): MatchResult<string> {
  return { route: null, matchLength: 0, captures: null };
}
