// The Host of a request (a Host header, an absolute-form target's authority, or HTTP/2's
// :authority): what a valid one looks like — reg-name / IPv4 / [IPv6] with an optional
// port, nothing else — and the lower-case name without the port that routing uses.

/** reg-name characters (RFC 3986 unreserved, sub-delims, pct-encoded '%'). */
const REG_NAME = new Uint8Array(256);
for (const c of "-._~!$&'()*+,;=%") REG_NAME[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) REG_NAME[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) REG_NAME[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) REG_NAME[c] = 1;
const IPV6_LITERAL = /^\[[0-9a-fA-F:.]+\](?::\d{1,5})?$/;

/** Host header: reg-name / IPv4 with an optional port, or [IPv6] (a table loop, not a regex, for the common case). */
export function validHost(h: string): boolean {
  if (h.charCodeAt(0) === 0x5b /* [ */) return IPV6_LITERAL.test(h);
  let i = 0;
  for (; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (c === 0x3a /* : */) break;
    if (c > 0xff || REG_NAME[c] !== 1) return false;
  }
  if (i === 0) return false;
  if (i === h.length) return true;
  const digits = h.length - i - 1;
  if (digits < 1 || digits > 5) return false;
  for (let j = i + 1; j < h.length; j++) {
    const c = h.charCodeAt(j);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

export function hostnameOf(host: string): string {
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']');
    return host.slice(0, close + 1).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}
