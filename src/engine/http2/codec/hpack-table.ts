// HPACK's static table (RFC 7541 Appendix A) and the dynamic table both sides keep (§2.3, §4):
// entries cost name + value + 32 bytes; a new entry evicts the oldest until it fits.

// prettier-ignore
export const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  ['', ''], // index 0 is not used
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''],
  ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''],
  ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''],
  ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''],
  ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''],
  ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];

export const STATIC_LENGTH = STATIC_TABLE.length - 1; // 61

/** name → first static index with that name; "name\0value" → static index of the exact pair. */
export const STATIC_NAME = new Map<string, number>();
export const STATIC_PAIR = new Map<string, number>();
for (let i = STATIC_LENGTH; i >= 1; i--) {
  const [name, value] = STATIC_TABLE[i]!;
  STATIC_NAME.set(name, i);
  if (value !== '') STATIC_PAIR.set(`${name}\0${value}`, i);
}

export const ENTRY_OVERHEAD = 32;

/**
 * The dynamic table as a ring of names and values, newest first in HPACK's numbering
 * (index 62 is the newest). `inserted` counts every insertion, so an entry keeps an absolute
 * number the encoder can remember it by while indices shift.
 */
export class DynamicTable {
  private names: string[] = [];
  private values: string[] = [];
  private head = 0; // ring slot of the oldest entry
  private count = 0;
  size = 0;
  inserted = 0;

  constructor(public maxSize: number) {}

  get length(): number {
    return this.count;
  }

  /** Entry at HPACK index 62 + i (i = 0 is the newest); undefined when out of range. */
  name(i: number): string | undefined {
    return i < this.count ? this.names[this.slot(i)] : undefined;
  }

  value(i: number): string {
    return this.values[this.slot(i)]!;
  }

  /** The absolute insertion number of the entry at relative position i. */
  absolute(i: number): number {
    return this.inserted - 1 - i;
  }

  private slot(i: number): number {
    return (this.head + this.count - 1 - i) % this.names.length;
  }

  add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.evictTo(this.maxSize - size);
    this.inserted++;
    if (size > this.maxSize) return; // too big: the table ends up empty (RFC 7541 §4.4)
    if (this.count === this.names.length) this.grow();
    const slot = (this.head + this.count) % this.names.length;
    this.names[slot] = name;
    this.values[slot] = value;
    this.count++;
    this.size += size;
  }

  setMaxSize(max: number): void {
    this.maxSize = max;
    this.evictTo(max);
  }

  private evictTo(limit: number): void {
    while (this.count > 0 && this.size > limit) {
      const slot = this.head;
      this.size -= this.names[slot]!.length + this.values[slot]!.length + ENTRY_OVERHEAD;
      this.names[slot] = '';
      this.values[slot] = '';
      this.head = (this.head + 1) % this.names.length;
      this.count--;
    }
  }

  private grow(): void {
    const n = Math.max(16, this.names.length * 2);
    const names = new Array<string>(n);
    const values = new Array<string>(n);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % (this.names.length || 1);
      names[i] = this.names[from]!;
      values[i] = this.values[from]!;
    }
    this.names = names;
    this.values = values;
    this.head = 0;
  }
}
