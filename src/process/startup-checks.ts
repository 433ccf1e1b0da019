// Checks made before the primary starts anything, each failing with one line that names
// the setting, what is wrong and what to do (the CLI prints a StartupError without a stack).

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A start-up problem: one line for the user, no stack trace (`name` is how the CLI tells). */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** The flag and environment variable of a setting, for "choose another ... (--x or TURNPIKE_X)". */
function where(setting: string): string {
  return `--${setting.replace(/_/g, '-')} or TURNPIKE_${setting.toUpperCase()}`;
}

/** Fails fast, with a useful message, when a listen address is taken or not ours to bind. */
export async function checkBindable(setting: string, host: string, port: number, spec: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(
          new StartupError(
            `${setting} "${spec}": the address is already in use; stop what is listening there or choose another port (${where(setting)})`,
          ),
        );
      else if (err.code === 'EACCES')
        reject(
          new StartupError(
            `${setting} "${spec}": permission denied; ports below 1024 need privileges, choose a port >= 1024 (${where(setting)})`,
          ),
        );
      else if (err.code === 'EADDRNOTAVAIL')
        reject(new StartupError(`${setting} "${spec}": ${host} is not an address of this machine (${where(setting)})`));
      else reject(new StartupError(`${setting} "${spec}": ${err.message}`));
    });
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

const ANY = new Set(['0.0.0.0', '::', '[::]']);

/** Two listeners of the node on one address would fail one after the other half-started: said at once instead. */
export function checkDistinct(listeners: Record<string, { host: string; port: number; spec: string }[]>): void {
  const seen: { setting: string; host: string; port: number; spec: string }[] = [];
  for (const [setting, addrs] of Object.entries(listeners)) {
    for (const a of addrs) {
      const clash = seen.find((b) => b.port === a.port && (b.host === a.host || ANY.has(b.host) || ANY.has(a.host)));
      if (clash !== undefined) {
        const same = clash.setting === setting ? `${setting} lists` : `${clash.setting} "${clash.spec}" and ${setting}`;
        throw new StartupError(
          `${same} "${a.spec}"${clash.setting === setting ? ' twice' : ''}: one port cannot serve both; give each its own port (${where(setting)})`,
        );
      }
      seen.push({ setting, ...a });
    }
  }
}

/**
 * The prefix holds the pid file, the default certificate, the node id and the SQLite
 * database: it must be a folder this process can create and write to. Checked before
 * anything else uses it, so that a bad one is one clear line rather than a raw errno later.
 */
export function checkPrefix(prefix: string): void {
  const fix = `choose a folder this user can write with --prefix or TURNPIKE_PREFIX`;
  try {
    fs.mkdirSync(prefix, { recursive: true });
  } catch (err) {
    throw new StartupError(`prefix "${prefix}": cannot create it (${describe(err)}); ${fix}`);
  }
  const probe = path.join(prefix, `.write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (err) {
    throw new StartupError(`prefix "${prefix}": cannot write in it (${describe(err)}); ${fix}`);
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const what: Record<string, string> = {
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'a file of that name exists',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
  };
  return e.code !== undefined && what[e.code] !== undefined ? `${e.code}: ${what[e.code]}` : e.message;
}
