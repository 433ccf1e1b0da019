// Where the primary takes its configuration from: a declarative file (DB-less mode, watched
// and reloaded on change) or the database (src/control/db-source.ts). The primary validates,
// compiles and pushes what a source reads the same way for both.
import fs from 'node:fs';
import path from 'node:path';
import { loadDeclarativeFile, type LoadResult } from '../config/load.js';
import type { PluginRegistry } from '../plugins/registry.js';

export interface ConfigSource {
  /** For messages: the file path, or the database. */
  readonly label: string;
  /** Reads and loads the configuration; throws SourceUnavailable when it cannot be read now. */
  read(): Promise<LoadResult>;
  /** Calls `onChange(trigger)` when the configuration may have changed; returns a stop function. */
  watch(onChange: (trigger: string) => void): () => void;
  close(): Promise<void>;
}

/** The source cannot be read right now (the database is away): keep serving, try again later. */
export class SourceUnavailable extends Error {}

export class FileSource implements ConfigSource {
  readonly label: string;
  /** A configuration posted to the Admin API (POST /config): served instead of the file until the file changes. */
  private posted: LoadResult | null = null;
  constructor(
    private readonly file: string,
    private readonly registry: PluginRegistry,
  ) {
    this.label = file;
  }

  read(): Promise<LoadResult> {
    if (this.posted !== null) return Promise.resolve(this.posted);
    return loadDeclarativeFile(this.file, this.registry);
  }

  /** DB-less POST /config: `result` (a valid load) is what the next read returns, until the file changes. */
  post(result: LoadResult & { ok: true }): void {
    this.posted = result;
  }

  watch(onChange: (trigger: string) => void): () => void {
    // Watch the directory rather than the file: editors and `mv` replace the file's inode.
    const file = this.file;
    let debounce: NodeJS.Timeout | null = null;
    let lastMtime = 0;
    try {
      lastMtime = fs.statSync(file).mtimeMs;
    } catch {
      /* checked by the first read */
    }
    const watcher = fs.watch(path.dirname(file), (_event, name) => {
      if (name !== null && name !== path.basename(file)) return;
      if (debounce !== null) clearTimeout(debounce);
      debounce = setTimeout(() => {
        debounce = null;
        let mtime = 0;
        try {
          mtime = fs.statSync(file).mtimeMs;
        } catch {
          mtime = -1;
        }
        if (mtime === lastMtime && mtime !== -1) return;
        lastMtime = mtime;
        this.posted = null;
        onChange('file change');
      }, 150);
    });
    return () => {
      if (debounce !== null) clearTimeout(debounce);
      watcher.close();
    };
  }

  async close(): Promise<void> {}
}
