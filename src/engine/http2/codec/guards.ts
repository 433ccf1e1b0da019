// What a client could make a server do too much of, counted per connection: stream resets
// (the HTTP/2 "rapid reset" attack, CVE-2023-44487), control frames the server must answer
// or process (PING, SETTINGS, empty DATA) and header blocks spread over endless CONTINUATION
// frames (CVE-2024-27316 and kin). Past a limit the connection ends with ENHANCE_YOUR_CALM;
// the hooks let an operator count what happened.
import { ErrorCode, type CodecLimits } from './constants.js';
import { ConnectionError } from './errors.js';

/** Where the connection reports what an operator may want to count (rapid resets, floods). */
export interface ConnectionHooks {
  /** The client reset a stream (RST_STREAM); `total` in the current window. */
  onClientReset?(streamId: number, total: number): void;
  /** The connection is being closed for abuse (rapid reset, CONTINUATION or control flood). */
  onAbuse?(kind: 'rapid-reset' | 'continuation-flood' | 'control-flood', detail: string): void;
  /** The connection ended (after GOAWAY or a socket close); `error` when it ended on one. */
  onClose?(error?: ConnectionError): void;
}

export class AbuseGuard {
  private resets = 0;
  private resetWindowStart = 0;
  private controlFrames = 0;
  private controlWindowStart = 0;

  constructor(
    private readonly limits: CodecLimits,
    private readonly hooks: ConnectionHooks,
  ) {}

  /** A client RST_STREAM. */
  reset(streamId: number): void {
    const now = Date.now();
    if (now - this.resetWindowStart > this.limits.resetWindowMs) {
      this.resetWindowStart = now;
      this.resets = 0;
    }
    this.resets++;
    this.hooks.onClientReset?.(streamId, this.resets);
    if (this.resets > this.limits.maxResets) {
      this.hooks.onAbuse?.('rapid-reset', `${this.resets} resets within ${this.limits.resetWindowMs} ms`);
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many stream resets');
    }
  }

  /** A frame that costs work without carrying a request: PING, SETTINGS, empty DATA. */
  control(): void {
    const now = Date.now();
    if (now - this.controlWindowStart > 1000) {
      this.controlWindowStart = now;
      this.controlFrames = 0;
    }
    if (++this.controlFrames > this.limits.maxControlFrames) {
      this.hooks.onAbuse?.('control-flood', `${this.controlFrames} control frames within 1 s`);
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'control frame flood');
    }
  }

  /**
   * A header block so far: `frames` CONTINUATION frames, `bytes` compressed. A compressed block
   * over the header list limit cannot decode under it in practice: refused before decoding.
   */
  headerBlock(frames: number, bytes: number): void {
    if (frames > this.limits.maxContinuationFrames) {
      this.hooks.onAbuse?.('continuation-flood', `${frames} CONTINUATION frames`);
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'too many CONTINUATION frames');
    }
    if (bytes > this.limits.maxHeaderListSize) {
      this.hooks.onAbuse?.('continuation-flood', `header block of ${bytes} bytes`);
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, 'header block too large');
    }
  }
}
