// What a LogSink holds between a write() and the write(2) that carries it: whole lines, taken
// out in runs of at most `maxWrite` bytes (at least one line, however long).
//
// Two kinds. LineQueue keeps each line as the string it was given (any text; encoded as
// UTF-8 when taken). AsciiQueue copies each line at once into large buffers: for a busy access
// log this was measured as the cheaper one, because a line built by concatenation is a tree
// of string pieces that Buffer#latin1Write copies without flattening, where joining the lines
// and then encoding the joined string (LineQueue) copies everything twice and allocates a
// three-times-larger scratch buffer per write (bench profile: the log's cost per request went
// from about 2.1 µs to 1.4 µs of 28).
// Its lines must be ASCII (the access log escapes everything else), or bytes are lost.

export interface Taken {
  data: string | Buffer;
  lines: number;
}

export interface LogQueue {
  /** Bytes waiting (string length for LineQueue: the same for ASCII). */
  readonly size: number;
  push(line: string): void;
  /** The next run of whole lines of at most maxWrite bytes (one line at least), or null when empty. */
  take(maxWrite: number): Taken | null;
  /** Everything waiting, as one piece (for a last synchronous write), or null when empty. */
  takeAll(): Taken | null;
  /** Empties the queue; returns how many lines were in it. */
  clear(): number;
}

export class LineQueue implements LogQueue {
  private parts: string[] = [];
  size = 0;

  push(line: string): void {
    this.parts.push(line);
    this.size += line.length;
  }

  take(maxWrite: number): Taken | null {
    if (this.parts.length === 0) return null;
    let n = 0;
    let bytes = 0;
    while (n < this.parts.length && (n === 0 || bytes + this.parts[n].length <= maxWrite))
      bytes += this.parts[n++].length;
    const taken = this.parts.splice(0, n);
    this.size -= bytes;
    return { data: taken.length === 1 ? taken[0] : taken.join(''), lines: n };
  }

  takeAll(): Taken | null {
    if (this.parts.length === 0) return null;
    const out = { data: this.parts.join(''), lines: this.parts.length };
    this.parts = [];
    this.size = 0;
    return out;
  }

  clear(): number {
    const n = this.parts.length;
    this.parts = [];
    this.size = 0;
    return n;
  }
}

/**
 * Buffer#latin1Write: what buf.write(s, offset, 'latin1') calls after sorting out its
 * arguments, which cost three times the copy itself on the bench profile. Present in every
 * Node release, missing from @types/node.
 */
interface LatinWritable {
  latin1Write(s: string, offset: number): number;
}

interface Chunk {
  buf: Buffer & LatinWritable;
  used: number;
  lines: number;
}

export class AsciiQueue implements LogQueue {
  /** Filled chunks, oldest first; `open` is the one being filled. */
  private full: Chunk[] = [];
  private open: Chunk | null = null;
  size = 0;

  /** `chunkBytes`: the size of a chunk, which is also the most one write(2) carries. */
  constructor(private readonly chunkBytes: number) {}

  push(line: string): void {
    let c = this.open;
    if (c === null || c.used + line.length > c.buf.length) {
      if (c !== null) this.full.push(c);
      // A fresh buffer each time: the chunk before may still be in a write(2).
      c = this.open = {
        buf: Buffer.allocUnsafe(Math.max(this.chunkBytes, line.length)) as Buffer & LatinWritable,
        used: 0,
        lines: 0,
      };
    }
    c.used += c.buf.latin1Write(line, c.used);
    c.lines++;
    this.size += line.length;
  }

  /** The oldest chunk (the open one when none is full): chunks already hold at most chunkBytes. */
  take(): Taken | null {
    let c = this.full.shift();
    if (c === undefined) {
      if (this.open === null || this.open.lines === 0) return null;
      c = this.open;
      this.open = null;
    }
    this.size -= c.used;
    return { data: c.buf.subarray(0, c.used), lines: c.lines };
  }

  takeAll(): Taken | null {
    if (this.open !== null) this.full.push(this.open);
    this.open = null;
    const chunks = this.full;
    this.full = [];
    this.size = 0;
    if (chunks.length === 0) return null;
    let lines = 0;
    for (const c of chunks) lines += c.lines;
    return { data: Buffer.concat(chunks.map((c) => c.buf.subarray(0, c.used))), lines };
  }

  clear(): number {
    let n = this.open?.lines ?? 0;
    for (const c of this.full) n += c.lines;
    this.full = [];
    this.open = null;
    this.size = 0;
    return n;
  }
}
