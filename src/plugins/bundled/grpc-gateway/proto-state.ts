// The bindings of one grpc-gateway instance, and what happens when its .proto is not there.
//
// Kong reads the .proto on the first request, so a Kong configuration whose file is missing
// (or that has no `proto` at all) loads, and only that route fails. Turnpike does the same
// instead of refusing the whole configuration: a file that exists is loaded and checked when
// the configuration loads (a bad one still refuses it), a missing one is a load warning, and
// each request on the route tries again until the file appears. The bindings are then kept
// for the life of this configuration.

import fs from 'node:fs';
import path from 'node:path';
import { loadProto } from '../shared/grpc/proto.js';
import { compileBindings, type Binding } from './bindings.js';

/** Loads `file` and compiles its google.api.http bindings; throws naming the file and the problem. */
export function loadBindings(file: string): Binding[] {
  const { methods } = loadProto('grpc-gateway', file);
  const bindings = compileBindings(methods);
  if (bindings.length === 0) throw new Error(`${file} has no method with an option (google.api.http)`);
  return bindings;
}

/** One line per this many milliseconds at most, per instance, while requests keep failing. */
const LOG_EVERY_MS = 10_000;

export type Lookup = { ok: true; bindings: Binding[] } | { ok: false; message: string; log: string | null };

export class ProtoState {
  private bindings: Binding[] | null;
  /** The last failed attempt on a file that exists: not parsed again until it changes. */
  private failed: { stamp: string; message: string } | null = null;
  private lastLog = 0;
  private unlogged = 0;

  /** `proto`: the configured path (null: none configured); `bindings`: already loaded, or null. */
  constructor(
    readonly proto: string | null,
    bindings: Binding[] | null,
  ) {
    this.bindings = bindings;
  }

  /** The bindings, loading the file if it has appeared since the last attempt. Synchronous, like the load at start. */
  lookup(now: number = Date.now()): Lookup {
    if (this.bindings !== null) return { ok: true, bindings: this.bindings };
    const message = this.attempt();
    if (message === null) return { ok: true, bindings: this.bindings! };
    // Every failing request answers 500; the log gets the reason once per LOG_EVERY_MS.
    let log: string | null = null;
    if (this.lastLog === 0 || now - this.lastLog >= LOG_EVERY_MS) {
      log =
        this.unlogged > 0
          ? `${message} (${this.unlogged} more requests answered 500 for this since the last such line)`
          : message;
      this.lastLog = now;
      this.unlogged = 0;
    } else this.unlogged++;
    return { ok: false, message, log };
  }

  /** Tries to load the file; null on success, else why not. */
  private attempt(): string | null {
    if (this.proto === null)
      return "no .proto file is configured (config.proto is null); set it to the service's .proto";
    const abs = path.resolve(this.proto);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return `the proto file ${abs} (config.proto ${JSON.stringify(this.proto)}) does not exist`;
      return `the proto file ${abs} cannot be read: ${(err as Error).message}`;
    }
    // The same broken file is not parsed again on every request; a changed one is.
    const stamp = `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
    if (this.failed !== null && this.failed.stamp === stamp) return this.failed.message;
    try {
      this.bindings = loadBindings(this.proto);
      this.failed = null;
      return null;
    } catch (err) {
      this.failed = { stamp, message: `the proto file ${abs} cannot be used: ${(err as Error).message}` };
      return this.failed.message;
    }
  }
}

/** Whether `file` is absent (as opposed to present but unreadable or broken). */
export function isMissing(file: string): boolean {
  try {
    fs.statSync(path.resolve(file));
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
