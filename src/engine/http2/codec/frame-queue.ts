// The connection's output: frames queued while a read is handled (and by the application in
// the same tick) leave in one socket write, so a burst of responses costs one TLS record and
// one syscall instead of one per frame.
import type { Duplex } from 'node:stream';

export class FrameQueue {
  private out: Buffer[] = [];
  private bytes = 0;
  private scheduled = false;
  /** Set while a read is handled: the read's end flushes, no tick needed. */
  holding = false;
  /** Set once the socket is gone: nothing more is written. */
  closed = false;

  constructor(private readonly socket: Duplex) {}

  push(frame: Buffer): void {
    this.out.push(frame);
    this.bytes += frame.length;
    if (!this.holding) this.flushSoon();
  }

  /** Drops what is queued (a connection error replaces it with GOAWAY). */
  clear(): void {
    this.out = [];
    this.bytes = 0;
  }

  flushSoon(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    process.nextTick(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** One write for everything queued: small frames joined, large ones corked together. */
  flush(): void {
    if (this.out.length === 0 || this.closed) return;
    const frames = this.out;
    const bytes = this.bytes;
    this.clear();
    if (frames.length === 1) this.socket.write(frames[0]!);
    else if (bytes <= 65_536) this.socket.write(Buffer.concat(frames, bytes));
    else {
      this.socket.cork();
      for (const f of frames) this.socket.write(f);
      this.socket.uncork();
    }
  }
}
