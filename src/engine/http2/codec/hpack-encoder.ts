// HPACK encoding (RFC 7541 §6) of raw header pairs into one header block. A pair found in the
// static or dynamic table is one index; otherwise the pair is added to the dynamic table
// (the next response repeating it costs one byte), except values that must not be kept:
// sensitive fields are sent "never indexed" (§7.1.3) and long values without indexing so they
// do not flush the table. Strings are Huffman-coded when that is shorter.
import { huffmanEncode, huffmanLength } from './huffman.js';
import { DynamicTable, STATIC_LENGTH, STATIC_NAME, STATIC_PAIR } from './hpack-table.js';

const SENSITIVE = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
/** Values longer than this are not indexed: they would evict many small, reusable entries. */
const MAX_INDEXED_VALUE = 256;

export class HpackEncoder {
  private readonly table: DynamicTable;
  /** "name\0value" → absolute insertion number; name → absolute number (latest). */
  private readonly pairs = new Map<string, number>();
  private readonly names = new Map<string, number>();
  /** A size change the peer's SETTINGS asked for, announced at the start of the next block. */
  private pendingSize = -1;
  private buf = Buffer.allocUnsafe(4096);
  private pos = 0;

  constructor(tableSize = 4096) {
    this.table = new DynamicTable(tableSize);
  }

  /** The peer's SETTINGS_HEADER_TABLE_SIZE: we may use at most that much. */
  setPeerMaxSize(size: number): void {
    const next = Math.min(size, 4096); // never keep more than we need, whatever the peer offers
    if (next === this.table.maxSize && this.pendingSize < 0) return;
    this.pendingSize = next;
  }

  /**
   * Encodes `pairs` ([name, value, …], names lower-case), preceded by `status` as :status when
   * given. Returns a Buffer valid until the next call (copy it to keep it).
   */
  encode(pairs: readonly string[], status?: number): Buffer {
    this.pos = 0;
    if (this.pendingSize >= 0) {
      this.table.setMaxSize(this.pendingSize);
      this.integer(this.pendingSize, 5, 0x20);
      this.pendingSize = -1;
      this.forgetEvicted();
    }
    if (status !== undefined) this.field(':status', String(status));
    for (let i = 0; i + 1 < pairs.length; i += 2) this.field(pairs[i]!, pairs[i + 1]!);
    return this.buf.subarray(0, this.pos);
  }

  private field(name: string, value: string): void {
    const key = `${name}\0${value}`;
    const s = STATIC_PAIR.get(key);
    if (s !== undefined) return this.integer(s, 7, 0x80);
    const abs = this.pairs.get(key);
    if (abs !== undefined) {
      const rel = this.table.inserted - 1 - abs;
      if (rel < this.table.length) return this.integer(STATIC_LENGTH + 1 + rel, 7, 0x80);
    }
    const nameIndex = this.nameIndex(name);
    if (SENSITIVE.has(name)) {
      this.literal(nameIndex, name, value, 4, 0x10);
    } else if (value.length > MAX_INDEXED_VALUE || name.length + value.length + 32 > this.table.maxSize) {
      this.literal(nameIndex, name, value, 4, 0x00);
    } else {
      this.literal(nameIndex, name, value, 6, 0x40);
      this.table.add(name, value);
      const n = this.table.inserted - 1;
      this.pairs.set(key, n);
      this.names.set(name, n);
      if (this.pairs.size > 2 * this.table.length + 64) this.forgetEvicted();
    }
  }

  private nameIndex(name: string): number {
    const s = STATIC_NAME.get(name);
    if (s !== undefined) return s;
    const abs = this.names.get(name);
    if (abs === undefined) return 0;
    const rel = this.table.inserted - 1 - abs;
    return rel < this.table.length ? STATIC_LENGTH + 1 + rel : 0;
  }

  /** Drops the maps' entries for evicted table entries (bounded memory). */
  private forgetEvicted(): void {
    const oldest = this.table.inserted - this.table.length;
    for (const [k, abs] of this.pairs) if (abs < oldest) this.pairs.delete(k);
    for (const [k, abs] of this.names) if (abs < oldest) this.names.delete(k);
  }

  private literal(nameIndex: number, name: string, value: string, prefix: number, pattern: number): void {
    this.integer(nameIndex, prefix, pattern);
    if (nameIndex === 0) this.string(name);
    this.string(value);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An integer with an N-bit prefix (§5.1), the prefix's upper bits set to `pattern`. */
  private integer(v: number, prefix: number, pattern: number): void {
    this.ensure(6);
    const max = (1 << prefix) - 1;
    if (v < max) {
      this.buf[this.pos++] = pattern | v;
      return;
    }
    this.buf[this.pos++] = pattern | max;
    v -= max;
    while (v >= 128) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  private string(s: string): void {
    const h = huffmanLength(s);
    if (h <= s.length) {
      this.integer(h, 7, 0x80);
      this.ensure(h);
      this.pos = huffmanEncode(s, this.buf, this.pos);
    } else {
      this.integer(s.length, 7, 0);
      this.ensure(s.length);
      this.pos += this.buf.write(s, this.pos, 'latin1');
    }
  }
}
