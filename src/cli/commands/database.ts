// `turnpike migrations up|status` and `turnpike config db_import|db_export`: the database
// commands. They take the same settings as `start` (--database/--prefix, TURNPIKE_PG_*).
import fs from 'node:fs';
import { stringify } from 'yaml';
import { nodeRegistry } from '../../plugins/node-registry.js';
import { formatConfigErrors, formatConfigWarnings, loadDeclarativeFile } from '../../config/load.js';
import { openBackend, openStore, type DatabaseSettings } from '../../control/store/open.js';
import { StoreError } from '../../control/store/errors.js';

interface Writable {
  write(chunk: string): unknown;
}

interface Io {
  out: Writable;
  err: Writable;
}

const stdio: Io = { out: process.stdout, err: process.stderr };

function where(db: DatabaseSettings): string {
  return db.database === 'sqlite'
    ? `SQLite ${db.sqliteFile}`
    : `PostgreSQL ${db.pg.host}:${db.pg.port}/${db.pg.database} (schema ${db.pg.schema ?? 'public'}, user ${db.pg.user})`;
}

function explain(e: unknown): string {
  if (e instanceof StoreError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ECONNREFUSED')
    return `cannot connect (${err.message}); is PostgreSQL running, and are TURNPIKE_PG_HOST/TURNPIKE_PG_PORT right?`;
  if (err.code === '28P01' || err.code === '28000')
    return `authentication failed (${err.message}); check TURNPIKE_PG_USER/TURNPIKE_PG_PASSWORD`;
  if (err.code === '3D000') return `${err.message}; create it (createdb) or set TURNPIKE_PG_DATABASE`;
  return err.message ?? String(e);
}

export async function runMigrations(action: 'up' | 'status', db: DatabaseSettings, io: Io = stdio): Promise<number> {
  const backend = openBackend(db);
  try {
    if (action === 'up') {
      const applied = await backend.migrateUp();
      io.out.write(
        applied.length === 0
          ? `${where(db)}: up to date, no migration to run\n`
          : `${where(db)}: ran ${applied.join(', ')}\n`,
      );
      return 0;
    }
    const states = await backend.migrationStatus();
    const pending = states.filter((s) => s.executedAt === null);
    for (const s of states) {
      io.out.write(
        `${s.executedAt === null ? 'pending ' : 'executed'}  ${s.name}${s.executedAt !== null ? `  (${new Date(s.executedAt * 1000).toISOString()})` : ''}\n`,
      );
    }
    io.out.write(
      pending.length === 0
        ? `${where(db)}: up to date\n`
        : `${where(db)}: ${pending.length} pending; run \`turnpike migrations up\`\n`,
    );
    // Exit 3 when migrations are pending, so a script can tell "needs migrating" from "failed" (1).
    return pending.length === 0 ? 0 : 3;
  } catch (e) {
    io.err.write(`turnpike: error: ${where(db)}: ${explain(e)}\n`);
    return 1;
  } finally {
    await backend.close().catch(() => {});
  }
}

export async function runDbImport(
  file: string,
  db: DatabaseSettings,
  plugins: string,
  io: Io = stdio,
): Promise<number> {
  let registry;
  try {
    registry = await nodeRegistry(plugins);
  } catch (e) {
    io.err.write(`turnpike: error: plugins: ${(e as Error).message}\n`);
    return 1;
  }
  const loaded = await loadDeclarativeFile(file, registry);
  if (!loaded.ok) {
    const n = loaded.errors.length;
    io.err.write(
      `${formatConfigErrors(loaded.errors, file)}\nturnpike: error: ${file}: ${n} error${n === 1 ? '' : 's'}; nothing was imported (check the file with \`turnpike validate ${file}\`)\n`,
    );
    return 1;
  }
  if (loaded.warnings.length > 0) io.err.write(`${formatConfigWarnings(loaded.warnings, file)}\n`);
  let store;
  try {
    store = await openStore(db);
  } catch (e) {
    io.err.write(`turnpike: error: ${where(db)}: ${explain(e)}\n`);
    return 1;
  }
  try {
    const r = await store.importConfig(loaded.config);
    const parts = Object.entries(r.counts).map(([k, n]) => `${n} ${k}`);
    io.out.write(
      `${file}: imported into ${where(db)}: ${parts.length ? parts.join(', ') : 'nothing (the file is empty)'} (configuration version ${r.version})\n`,
    );
    return 0;
  } catch (e) {
    io.err.write(`turnpike: error: ${file}: ${explain(e)}; nothing was imported\n`);
    return 1;
  } finally {
    await store.close().catch(() => {});
  }
}

export async function runDbExport(file: string, db: DatabaseSettings, force: boolean, io: Io = stdio): Promise<number> {
  if (file !== '-' && fs.existsSync(file) && !force) {
    io.err.write(`turnpike: error: ${file} already exists; choose another name or pass --force to overwrite it\n`);
    return 1;
  }
  let store;
  try {
    store = await openStore(db, { migrate: false });
  } catch (e) {
    io.err.write(`turnpike: error: ${where(db)}: ${explain(e)}\n`);
    return 1;
  }
  try {
    const config = await store.toDeclarative();
    const text = `# exported by turnpike config db_export from ${where(db)}\n${stringify(config, { lineWidth: 0 })}`;
    if (file === '-') io.out.write(text);
    else {
      fs.writeFileSync(file, text);
      io.err.write(`${where(db)}: exported to ${file}\n`);
    }
    return 0;
  } catch (e) {
    io.err.write(`turnpike: error: ${explain(e)}\n`);
    return 1;
  } finally {
    await store.close().catch(() => {});
  }
}
