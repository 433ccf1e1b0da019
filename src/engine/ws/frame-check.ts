// Checks the WebSocket frame headers a client sends (RFC 6455 §5.2), without buffering or
// unmasking payloads: the tunnel relays the bytes as they come and this walks beside them,
// looking only at the 2 to 14 header bytes of each frame and skipping over payloads by count.
// A client that breaks the framing is closed with 1002 (protocol error) before the bad frame
// reaches the upstream. Upstream → client bytes are not checked (the upstream is trusted;
// the client's own WebSocket stack fails on anything malformed).

const enum S {
  Head, // reading a frame header (bytes gathered in `hdr`)
  Payload, // skipping `left` payload bytes
}

export class FrameChecker {
  private state = S.Head;
  /** Header bytes gathered so far (a header may span reads). */
  private readonly hdr = new Uint8Array(14);
  private got = 0;
  private left = 0;
  /** Inside a fragmented data message (a continuation frame is expected to come). */
  private fragmented = false;

  /** `rsv1`: permessage-deflate was negotiated, so RSV1 may be set on data frames. */
  constructor(private readonly rsv1: boolean) {}

  /** Walks buf[start, end). Returns null when every frame header was valid, else why not. */
  check(buf: Buffer, start: number, end: number): string | null {
    let i = start;
    while (i < end) {
      if (this.state === S.Payload) {
        const avail = end - i;
        if (avail < this.left) {
          this.left -= avail;
          return null;
        }
        i += this.left;
        this.left = 0;
        this.state = S.Head;
        continue;
      }
      this.hdr[this.got++] = buf[i++];
      // An unmasked frame is refused as soon as its second byte is in, not when 4 more come.
      if (this.got === 2 && (this.hdr[1] & 0x80) === 0) return 'a client frame was not masked';
      const need = this.headerLength();
      if (this.got < need) continue;
      const err = this.frame();
      if (err !== null) return err;
      this.got = 0;
      if (this.left > 0) this.state = S.Payload;
    }
    return null;
  }

  /** Bytes of the header being read, as far as known from what arrived. */
  private headerLength(): number {
    if (this.got < 2) return 2;
    const len7 = this.hdr[1] & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + 4; // clients always mask (+4)
  }

  private frame(): string | null {
    const h = this.hdr;
    const fin = (h[0] & 0x80) !== 0;
    const rsv = h[0] & 0x70;
    const opcode = h[0] & 0x0f;
    if ((h[1] & 0x80) === 0) return 'a client frame was not masked';
    if (rsv !== 0 && !(rsv === 0x40 && this.rsv1 && (opcode === 1 || opcode === 2)))
      return 'reserved bits set without a negotiated extension';
    const len7 = h[1] & 0x7f;
    let len: number;
    if (len7 === 126) len = (h[2] << 8) | h[3];
    else if (len7 === 127) {
      if ((h[2] & 0x80) !== 0) return 'frame length has its most significant bit set';
      // Payloads beyond 2^53 cannot be expressed here and exceed anything sane anyway.
      if (h[2] !== 0 || h[3] > 0x1f) return 'frame length too large';
      len = h[3] * 2 ** 48 + h[4] * 2 ** 40 + h[5] * 2 ** 32 + ((h[6] << 24) >>> 0) + (h[7] << 16) + (h[8] << 8) + h[9];
    } else len = len7;
    if (opcode >= 8) {
      if (opcode > 10) return `unknown control opcode ${opcode}`;
      if (!fin) return 'a control frame was fragmented';
      if (len > 125) return 'a control frame payload is longer than 125 bytes';
    } else if (opcode === 0) {
      if (!this.fragmented) return 'a continuation frame without a message to continue';
      if (fin) this.fragmented = false;
    } else if (opcode === 1 || opcode === 2) {
      if (this.fragmented) return 'a new data frame inside a fragmented message';
      if (!fin) this.fragmented = true;
    } else return `unknown data opcode ${opcode}`;
    this.left = len;
    return null;
  }
}

/** A server-to-client close frame (unmasked) with a status code and a short reason. */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const r = Buffer.from(reason.slice(0, 120), 'utf8');
  const len = 2 + r.length;
  const out = Buffer.alloc(2 + (masked ? 4 : 0) + len);
  out[0] = 0x88;
  out[1] = (masked ? 0x80 : 0) | len;
  let o = 2;
  const payload = Buffer.alloc(len);
  payload.writeUInt16BE(code, 0);
  r.copy(payload, 2);
  if (masked) {
    // A fixed mask is allowed for this one frame: it carries nothing secret and ends the connection.
    const mask = [0x5a, 0x3c, 0xa5, 0xc3];
    for (let k = 0; k < 4; k++) out[o + k] = mask[k];
    o += 4;
    for (let k = 0; k < len; k++) out[o + k] = payload[k] ^ mask[k & 3];
  } else payload.copy(out, o);
  return out;
}
