// 32-bit polynomial string hashes used by the indexes. At compile time a key's hash is
// computed once; at match time the same hash is rolled over the request's host or path
// so that every candidate length costs one multiply and (only for lengths some route
// uses) one Map probe — no substring is ever allocated. Hits are verified with
// startsWith/endsWith, so collisions cost time, never correctness.

/** Hash of s[0, end), characters taken left to right. */
export function hashForward(s: string, end: number): number {
  let h = 0;
  for (let i = 0; i < end; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Hash of s[start, s.length), characters taken right to left. */
export function hashReverse(s: string, start: number): number {
  let h = 0;
  for (let i = s.length - 1; i >= start; i--) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
