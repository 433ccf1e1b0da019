// Stopping with the process that started the node, when that process cannot pass on a signal.
//
// `npx turnpike start`, `npm exec turnpike start` and `npm run`/`npm start` run the command
// through `sh -c`; npm forwards SIGTERM and SIGINT to that shell, which dies of it without
// passing it on (dash does not exec the last command), and the node is left running as an
// orphan. So when npm started us (npm sets npm_command), or TURNPIKE_STOP_WITH_PARENT=1 says
// so, the primary treats the loss of its parent like SIGTERM. TURNPIKE_STOP_WITH_PARENT=0
// turns this off (e.g. `npx turnpike start &` from a script that then exits).

import { StartupError } from './startup-checks.js';

/** How often the parent is checked: a getppid() call, cheap. */
const CHECK_MS = 500;

/** Throws StartupError for a TURNPIKE_STOP_WITH_PARENT that is none of 1, true, 0, false or empty. */
export function stopsWithParent(env: NodeJS.ProcessEnv = process.env): boolean {
  const flag = env.TURNPIKE_STOP_WITH_PARENT;
  if (flag === '1' || flag === 'true') return true;
  if (flag === '0' || flag === 'false') return false;
  if (flag !== undefined && flag !== '') {
    throw new StartupError(
      `TURNPIKE_STOP_WITH_PARENT="${flag}": expected 1 or true (stop when the starting process exits), 0 or false (never), or unset (only when started by npm)`,
    );
  }
  return env.npm_command !== undefined && env.npm_command !== '';
}

/** Calls `onGone` once, when this process's parent has exited (it was re-parented). */
export function watchParent(onGone: (parent: number) => void): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone(parent);
  }, CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
