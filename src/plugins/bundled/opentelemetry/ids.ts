// Random trace and span ids, as lower-case hex. Bytes come from a pooled crypto buffer (one
// randomFillSync per 4 KiB, not one per id); an all-zero id is invalid and never returned.
import { randomFillSync } from 'node:crypto';

const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  for (;;) {
    if (offset + bytes > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const hex = pool.toString('hex', offset, offset + bytes);
    offset += bytes;
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** 16 random bytes, 32 hex digits. */
export const newTraceId = (): string => randomHex(16);
/** 8 random bytes, 16 hex digits. */
export const newSpanId = (): string => randomHex(8);
