// A response body on its way through the plugins' body filters (the body phase): the
// upstream's bytes, de-chunked when the upstream framed them so, go into the BodyPipeline;
// what comes out goes to the client (framed by the exchange) and the upstream is paused
// while the filters fall behind.

import type { HeaderMap } from '../../plugins/sdk.js';
import { ChunkedParser } from '../http1/chunked.js';
import { BodyPipeline, PIPELINE_HIGH_WATER, type BodySink, type NamedFilter } from './body-pipeline.js';

/** The exchange, as the filters' output sees it. */
export interface FilterHost {
  readonly finished: boolean;
  /** Writes filtered body bytes to the client; false when it is not draining. */
  writeBody(data: Buffer): boolean;
  /** Every filter has ended: the last chunk (with the trailers the filters left), then finish. */
  endFiltered(trailers: HeaderMap): void;
  filterFailed(plugin: string, err: unknown): void;
  /** The client is not draining what was written. */
  readonly clientNeedsDrain: boolean;
  pauseUpstream(): void;
  resumeUpstream(): void;
}

/** Trailer fields ("name: value\n"…: ChunkedParser.trailers, already validated) as a map with lower-case names. */
function parseTrailers(text: string): HeaderMap {
  const map: HeaderMap = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    addTrailer(map, line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return map;
}

function addTrailer(map: HeaderMap, name: string, value: string): void {
  const prev = map[name];
  if (prev === undefined) map[name] = value;
  else if (Array.isArray(prev)) prev.push(value);
  else map[name] = [prev, value];
}

/** A trailer line a filter left or set: checked like a header (no CR/LF injection, a token name). */
export function trailerLine(name: string, value: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new Error(`invalid trailer name ${JSON.stringify(name)}`);
  if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value))
    throw new Error(`invalid value for trailer ${name}: control characters are not allowed`);
  return name + ': ' + value + '\r\n';
}

export class FilteredResponse implements BodySink {
  private readonly pipeline: BodyPipeline;
  /** The filters get the body without its chunk framing (already validated upstream-side). */
  private readonly dechunk: ChunkedParser | null = null;

  constructor(
    private readonly host: FilterHost,
    filters: NamedFilter[],
    chunked: boolean,
  ) {
    const pipeline = new BodyPipeline(filters, this);
    this.pipeline = pipeline;
    if (chunked) {
      const d = new ChunkedParser();
      d.sink = (b, s, e) => pipeline.push(Buffer.from(b.subarray(s, e)));
      d.trailers = ''; // collected: the filters' `end` sees them
      this.dechunk = d;
    }
  }

  /** Upstream body bytes (a view of the shared read buffer: copied before they queue). */
  push(buf: Buffer, start: number, end: number): void {
    const p = this.pipeline;
    if (this.dechunk !== null) this.dechunk.feed(buf, start, end);
    else p.push(Buffer.from(buf.subarray(start, end)));
    if (p.backlog >= PIPELINE_HIGH_WATER) this.host.pauseUpstream();
  }

  /**
   * The upstream body ended (`trailers`: an HTTP/2 upstream's; a chunked one's are in its last
   * chunk): the exchange finishes once the filters have had the last word.
   */
  end(trailers: readonly (readonly [string, string])[] | null): void {
    if (this.dechunk === null) {
      const map: HeaderMap = {};
      if (trailers !== null) for (const [k, v] of trailers) addTrailer(map, k.toLowerCase(), v);
      this.pipeline.end(map);
      return;
    }
    const t = this.dechunk.trailers;
    this.pipeline.end(t === null || t === '' ? {} : parseTrailers(t));
  }

  abort(): void {
    this.pipeline.abort();
  }

  // ── BodySink ──────────────────────────────────────────────────────────────
  write(data: Buffer): void {
    if (this.host.finished) return;
    if (!this.host.writeBody(data)) this.host.pauseUpstream();
  }

  finish(trailers: HeaderMap): void {
    if (this.host.finished) return;
    this.host.endFiltered(trailers);
  }

  fail(plugin: string, err: unknown): void {
    this.host.filterFailed(plugin, err);
  }

  idle(): void {
    if (!this.host.clientNeedsDrain) this.host.resumeUpstream();
  }
}
