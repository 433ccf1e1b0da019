// Reads the server name (SNI) out of a TLS ClientHello without decrypting or consuming
// anything: the bytes are only looked at, and the caller forwards them unchanged to the
// upstream (TLS passthrough). The hello may span several TLS records; the caller buffers
// until this says the hello is complete, within a size cap.
//
// Wire layout (RFC 8446 §4.1.2, RFC 6066 §3):
//   record:    type(1)=22 handshake · legacy_version(2) · length(2) · fragment
//   handshake: msg_type(1)=1 client_hello · length(3) · body
//   body:      version(2) · random(32) · session_id<0..32> · cipher_suites<2..2^16-2>
//              · compression_methods<1..2^8-1> · extensions<0..2^16-1>
//   extension: type(2) · length(2) · data;   server_name = type 0:
//              list_length(2) · { name_type(1)=0 host_name · length(2) · name }

export type HelloPeek =
  /** Not enough bytes yet: read more (the caller enforces its cap and timeout). */
  | { kind: 'more' }
  /** The bytes are not a TLS ClientHello. */
  | { kind: 'not-tls'; reason: string }
  /** A complete ClientHello; `sni` is null when it names no server. Lower case. */
  | { kind: 'hello'; sni: string | null };

const RECORD_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SERVER_NAME = 0;

/** Largest ClientHello looked at; bigger ones are treated as not-TLS (hellos are a few KiB). */
export const MAX_HELLO_BYTES = 64 * 1024;

/** Joins the fragments of the handshake records at the start of `buf`, or says why not. */
function handshakeBytes(buf: Buffer): Buffer | HelloPeek {
  const parts: Buffer[] = [];
  let have = 0;
  let off = 0;
  let need = -1; // handshake message length incl. its 4-byte header, once known
  for (;;) {
    if (buf.length < off + 5) return { kind: 'more' };
    if (buf[off] !== RECORD_HANDSHAKE)
      return off === 0
        ? { kind: 'not-tls', reason: 'first byte is not a TLS handshake record' }
        : { kind: 'not-tls', reason: 'ClientHello interrupted by a non-handshake record' };
    if (buf[off + 1] !== 3) return { kind: 'not-tls', reason: 'not a TLS record version' };
    const len = buf.readUInt16BE(off + 3);
    if (len === 0 || len > 16384 + 2048) return { kind: 'not-tls', reason: 'bad TLS record length' };
    if (buf.length < off + 5 + len) return { kind: 'more' };
    const frag = buf.subarray(off + 5, off + 5 + len);
    parts.push(frag);
    have += frag.length;
    off += 5 + len;
    if (need < 0 && have >= 4) {
      const first = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      if (first[0] !== HANDSHAKE_CLIENT_HELLO)
        return { kind: 'not-tls', reason: 'first handshake message is not a ClientHello' };
      need = 4 + first.readUIntBE(1, 3);
      if (need > MAX_HELLO_BYTES) return { kind: 'not-tls', reason: 'ClientHello too large' };
    }
    if (need >= 0 && have >= need) return (parts.length === 1 ? parts[0] : Buffer.concat(parts)).subarray(0, need);
  }
}

/** Looks at the first bytes a client sent. Pure: `buf` is not modified. */
export function peekClientHello(buf: Buffer): HelloPeek {
  const hs = handshakeBytes(buf);
  if (!Buffer.isBuffer(hs)) return hs;
  const bad: HelloPeek = { kind: 'not-tls', reason: 'malformed ClientHello' };
  let p = 4 + 2 + 32; // header, version, random
  if (hs.length < p + 1) return bad;
  p += 1 + hs[p]; // session id
  if (hs.length < p + 2) return bad;
  p += 2 + hs.readUInt16BE(p); // cipher suites
  if (hs.length < p + 1) return bad;
  p += 1 + hs[p]; // compression methods
  if (hs.length === p) return { kind: 'hello', sni: null }; // no extensions at all
  if (hs.length < p + 2) return bad;
  const extEnd = p + 2 + hs.readUInt16BE(p);
  if (extEnd > hs.length) return bad;
  p += 2;
  while (p + 4 <= extEnd) {
    const type = hs.readUInt16BE(p);
    const len = hs.readUInt16BE(p + 2);
    p += 4;
    if (p + len > extEnd) return bad;
    if (type === EXT_SERVER_NAME) {
      let q = p + 2;
      const listEnd = Math.min(p + len, q + (len >= 2 ? hs.readUInt16BE(p) : 0));
      while (q + 3 <= listEnd) {
        const nameType = hs[q];
        const nameLen = hs.readUInt16BE(q + 1);
        q += 3;
        if (q + nameLen > listEnd) return bad;
        if (nameType === 0) {
          const name = hs.toString('latin1', q, q + nameLen);
          if (!/^[A-Za-z0-9._-]+$/.test(name)) return bad;
          return { kind: 'hello', sni: name.toLowerCase().replace(/\.$/, '') };
        }
        q += nameLen;
      }
      return { kind: 'hello', sni: null };
    }
    p += len;
  }
  return { kind: 'hello', sni: null };
}
