// The body phase's machinery: the upstream response body passes through the plugins' body
// filters in order, one piece at a time. Filters may be asynchronous (zlib, a cache write),
// so pieces queue up and the exchange pauses the upstream while the queue is long; order is
// kept because only one piece is in the filters at any time.

import type { BodyFilter, HeaderMap } from '../../plugins/sdk.js';

export interface NamedFilter {
  readonly plugin: string;
  readonly filter: BodyFilter;
}

/** Where the filtered body goes. */
export interface BodySink {
  write(data: Buffer): void;
  /** Every filter has ended and everything was written; `trailers` is what the filters left of the upstream's. */
  finish(trailers: HeaderMap): void;
  /** A filter threw or rejected: the response cannot be completed. */
  fail(plugin: string, err: unknown): void;
  /** The queue went empty: the upstream may be read again. */
  idle(): void;
}

/** Queue length at which the exchange stops reading the upstream. */
export const PIPELINE_HIGH_WATER = 8;

export class BodyPipeline {
  /** Pieces waiting to enter the filters; null marks the end of the body. */
  private readonly queue: (Buffer | null)[] = [];
  private running = false;
  private failed = false;
  /** The upstream's trailers, handed to every filter's `end` in turn. */
  private trailers: HeaderMap = {};

  constructor(
    private readonly filters: readonly NamedFilter[],
    private readonly sink: BodySink,
  ) {}

  get backlog(): number {
    return this.queue.length;
  }

  push(data: Buffer): void {
    if (this.failed) return;
    this.queue.push(data);
    if (!this.running) void this.run();
  }

  /** The body ended; `trailers` are the upstream's trailer fields (lower-case names). */
  end(trailers: HeaderMap): void {
    if (this.failed) return;
    this.trailers = trailers;
    this.queue.push(null);
    if (!this.running) void this.run();
  }

  /** The response was abandoned: no more pieces; each filter may free what it holds. */
  abort(): void {
    if (this.failed) return;
    this.failed = true;
    this.queue.length = 0;
    for (const { filter } of this.filters) {
      try {
        filter.abort?.();
      } catch {
        /* a filter's cleanup failing changes nothing for the (already abandoned) response */
      }
    }
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0 && !this.failed) {
      const piece = this.queue.shift()!;
      try {
        await this.stage(0, piece);
      } catch (err) {
        if (this.failed) break; // aborted meanwhile
        const e = err as { plugin?: string; cause?: unknown };
        this.abort();
        this.sink.fail(e.plugin ?? '?', e.cause ?? err);
      }
    }
    this.running = false;
    if (!this.failed) this.sink.idle();
  }

  /** Feeds `piece` (null = end) to filter `i` and what comes out to the next ones. */
  private async stage(i: number, piece: Buffer | null): Promise<void> {
    if (i === this.filters.length) {
      if (piece === null) this.sink.finish(this.trailers);
      else if (piece.length > 0) this.sink.write(piece);
      return;
    }
    const { plugin, filter } = this.filters[i];
    let out: Buffer | null;
    try {
      out = await (piece === null ? filter.end(this.trailers) : filter.chunk(piece));
    } catch (cause) {
      throw { plugin, cause };
    }
    if (out !== null && out !== undefined) {
      if (!Buffer.isBuffer(out)) throw { plugin, cause: new Error('a body filter must return a Buffer or null') };
      if (out.length > 0) await this.stage(i + 1, out);
    }
    if (piece === null) await this.stage(i + 1, null);
  }
}
