// The path sent upstream, from service.path, the request path, the matched part and the
// route's strip_path / path_handling — Kong's algorithm (kong/router/utils.lua
// get_upstream_uri for v0; the traditional router's v1 branch), which produces the
// table in Kong's Admin API reference (Route object, `path_handling`). The query string
// is not part of `requestPath`; the engine appends it.

/** Kong's sanitize_uri_postfix: a stripped remainder may not start a dot-segment. */
function sanitizePostfix(p: string): string {
  if (p === '.' || p === '..') return '';
  if (p.startsWith('./')) return p.slice(2);
  if (p.startsWith('../')) return p.slice(3);
  return p;
}

/**
 * @param servicePath  the Service's path, or null (= "/")
 * @param requestPath  request path without the query string
 * @param matchLength  characters of requestPath matched by the route's path (0 = the route matched without a path)
 */
export function buildUpstreamPath(
  servicePath: string | null,
  requestPath: string,
  matchLength: number,
  stripPath: boolean,
  pathHandling: 'v0' | 'v1',
): string {
  const base = servicePath === null || servicePath === '' ? '/' : servicePath;
  const req = requestPath === '' ? '/' : requestPath;
  // Without a path match the remainder is the whole request path minus its first slash.
  const postfix = sanitizePostfix(matchLength > 0 ? req.slice(matchLength) : req.slice(1));
  const baseSlash = base.charCodeAt(base.length - 1) === 47;

  if (pathHandling === 'v1') {
    if (stripPath) {
      return baseSlash && postfix.charCodeAt(0) === 47 ? base.slice(0, -1) + postfix : base + postfix;
    }
    return base + req.slice(1);
  }

  // v0
  if (baseSlash) {
    if (!stripPath) return base + req.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      return req.charCodeAt(req.length - 1) === 47 ? base : base.slice(0, -1);
    }
    if (postfix.charCodeAt(0) === 47) return base.slice(0, -1) + postfix;
    return base + postfix;
  }
  if (stripPath) {
    if (postfix === '') return req.length > 1 && req.charCodeAt(req.length - 1) === 47 ? base + '/' : base;
    if (postfix.charCodeAt(0) === 47) return base + postfix;
    return base + '/' + postfix;
  }
  return req === '/' ? base : base + req;
}
