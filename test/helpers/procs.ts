// Process-tree checks through /proc (Linux): which processes descend from a pid, and whether
// they are gone. A pid is recorded with its start time, so a reused pid is not mistaken for
// the process that had it.

import fs from 'node:fs';
import { sleep } from './gateway.js';

export interface ProcRef {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks after boot when the process started. */
  start: string;
  cmd: string;
}

function stat(pid: number): { ppid: number; state: string; start: string } | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ..." — comm may hold spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0], ppid: Number(rest[1]), start: rest[19] };
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** `root` and every process below it, now. */
export function processTree(root: number): ProcRef[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s === null) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(name));
    children.set(s.ppid, list);
  }
  const out: ProcRef[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.shift()!;
    const s = stat(pid);
    if (s === null) continue;
    out.push({ pid, start: s.start, cmd: cmdline(pid) });
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Whether the very process recorded still runs (a zombie, waiting to be reaped, does not). */
export function isRunning(p: ProcRef): boolean {
  const s = stat(p.pid);
  return s !== null && s.start === p.start && s.state !== 'Z' && s.state !== 'X';
}

export function procRef(pid: number): ProcRef | null {
  const s = stat(pid);
  return s === null ? null : { pid, start: s.start, cmd: cmdline(pid) };
}

/** Waits until none of `procs` runs; returns those still running after `ms`. */
export async function waitGone(procs: ProcRef[], ms: number): Promise<ProcRef[]> {
  const end = Date.now() + ms;
  for (;;) {
    const left = procs.filter(isRunning);
    if (left.length === 0 || Date.now() >= end) return left;
    await sleep(50);
  }
}

/** Kills what is left (cleanup after a failed test), by pid. */
export function killAll(procs: ProcRef[]): void {
  for (const p of procs) {
    if (!isRunning(p)) continue;
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
}
