// Streaming base64 for gRPC-Web's text mode (application/grpc-web-text). A request body may
// be several base64 segments one after the other, each with its own padding (a client may
// encode each message separately), so a decoder cannot hand the whole text to one
// Buffer.from(…, 'base64'): it cuts after every padded quantum. Both directions keep the
// bytes that do not yet make a whole quantum for the next piece.

const B64 = /^[A-Za-z0-9+/=]*$/;

export class Base64Decoder {
  /** Characters (fewer than 4) waiting for the rest of their quantum. */
  private carry = '';

  /** Decodes `text` (whitespace ignored); throws on characters outside base64. */
  push(text: string): Buffer {
    let s = this.carry + text.replace(/[\s]+/g, '');
    if (!B64.test(s)) throw new Error('the grpc-web-text body is not base64');
    const whole = s.length - (s.length % 4);
    this.carry = s.slice(whole);
    s = s.slice(0, whole);
    const parts: Buffer[] = [];
    let pos = 0;
    while (pos < s.length) {
      const pad = s.indexOf('=', pos);
      if (pad === -1) {
        parts.push(Buffer.from(s.slice(pos), 'base64'));
        break;
      }
      // The quantum holding this '=' ends a segment; the next segment starts after it.
      const end = pad + 4 - (pad % 4);
      const seg = s.slice(pos, end);
      if (/=[^=]/.test(seg.slice(seg.indexOf('='))))
        throw new Error('the grpc-web-text body has padding inside a base64 quantum');
      parts.push(Buffer.from(seg, 'base64'));
      pos = end;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The end of the text: a partial quantum left over is an error. */
  end(): void {
    if (this.carry !== '') throw new Error('the grpc-web-text body ends in the middle of a base64 quantum');
  }
}

export class Base64Encoder {
  /** Bytes (fewer than 3) waiting for the rest of their quantum. */
  private carry: Buffer = Buffer.alloc(0);

  push(data: Buffer): Buffer {
    const all = this.carry.length === 0 ? data : Buffer.concat([this.carry, data]);
    const whole = all.length - (all.length % 3);
    this.carry = Buffer.from(all.subarray(whole));
    return whole === 0 ? Buffer.alloc(0) : Buffer.from(all.subarray(0, whole).toString('base64'), 'latin1');
  }

  /** The last bytes, padded. */
  end(): Buffer {
    const out = Buffer.from(this.carry.toString('base64'), 'latin1');
    this.carry = Buffer.alloc(0);
    return out;
  }
}
