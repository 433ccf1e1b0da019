// The store's change feed: listeners are told the new `config_version` after a write, this
// node's (at once) or another's (when the backend's watch fires: PostgreSQL's NOTIFY, a
// change of the SQLite file). Each version is told once, in order; an old one never.
import type { Backend } from './backend.js';
import type { ChangeEvent } from './store.js';

export class ChangeFeed {
  private readonly listeners = new Set<(e: ChangeEvent) => void>();
  private stopWatch: (() => void) | null = null;
  private lastVersion = -1;

  constructor(
    private readonly db: Backend,
    /** Reads the current version (the store's, with its errors mapped). */
    private readonly configVersion: () => Promise<number>,
  ) {}

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.stopWatch === null) {
      // The version before listening is the baseline: only what comes after is a change,
      // including a change made between this call and the watch being in place.
      const baseline = this.configVersion().then(
        (v) => {
          if (this.lastVersion < 0) this.lastVersion = v;
        },
        () => {},
      );
      this.stopWatch = this.db.watch(() => {
        void baseline
          .then(() => this.configVersion())
          .then(
            (v) => this.emit(v),
            () => {},
          );
      });
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.stopWatch !== null) {
        this.stopWatch();
        this.stopWatch = null;
      }
    };
  }

  /** A version was written (here, or seen through the watch): listeners hear of it if it is new. */
  emit(version: number): void {
    if (this.lastVersion < 0 && this.listeners.size > 0) {
      // Our own write landed before the baseline read: it is still a change after onChange.
      this.lastVersion = version - 1;
    }
    if (version <= this.lastVersion) return;
    this.lastVersion = version;
    for (const l of this.listeners) {
      try {
        l({ version });
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  close(): void {
    this.stopWatch?.();
    this.stopWatch = null;
    this.listeners.clear();
  }
}
