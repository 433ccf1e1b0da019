// A request body held in memory because a plugin asked for it (RequestApi.readBody) or put
// another in its place (setBody). Without either, the body never comes here: it streams
// from the client connection to the upstream as it arrives (exchange.ts, onRequestData).

export class BufferedBody {
  /** The client's body, once read whole. */
  received: Buffer | null = null;
  /** A body a plugin put in place of the client's. */
  replacement: Buffer | null = null;
  /** The client's body is being read off the connection (kept, or dropped when replaced). */
  reading = false;
  /** The request phases are over and wait for the read to end before going upstream. */
  waiting = false;
  private chunks: Buffer[] = [];
  private size = 0;
  private pending: Promise<Buffer> | null = null;
  private resolve: ((body: Buffer) => void) | null = null;

  /** What goes upstream in place of a streamed body: the replacement, else the client's; null until known. */
  get toSend(): Buffer | null {
    return this.replacement ?? this.received;
  }

  /** The client's body is being (or has been) read. */
  get started(): boolean {
    return this.pending !== null;
  }

  /** Starts reading the client's body; every reader gets the same promise. The caller lets the body flow. */
  start(): Promise<Buffer> {
    if (this.pending !== null) return this.pending;
    this.pending = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.reading = true;
    this.chunks = [];
    this.size = 0;
    return this.pending;
  }

  /**
   * Decoded body bytes, in a buffer the exchange may keep (one per socket read). False when
   * the body grew past `limit`: reading stops and the promise never settles (the request
   * is answered 413).
   */
  push(buf: Buffer, start: number, end: number, limit: number): boolean {
    if (this.replacement !== null) return true; // replaced: the client's bytes are dropped
    this.size += end - start;
    if (this.size > limit) {
      this.reading = false;
      this.chunks = [];
      this.resolve = null;
      return false;
    }
    this.chunks.push(buf.subarray(start, end));
    return true;
  }

  /** The client's body ended: readers get it (or the replacement). */
  end(): void {
    this.reading = false;
    const chunks = this.chunks;
    this.chunks = [];
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.size);
    this.received = body;
    const resolve = this.resolve;
    this.resolve = null;
    if (resolve !== null) resolve(this.replacement ?? body);
  }
}
