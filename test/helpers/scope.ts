// Per-file test resources: gateways and upstreams started through these are stopped after
// the file's tests (in reverse order), whatever the tests did.

import { after } from 'node:test';
import { startGateway, type Gateway } from './gateway.js';
import { startUpstream, type TestUpstream } from './upstream.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** Registers something to undo after the file's tests. */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

export async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<TestUpstream> {
  const u = await startUpstream(name, handler);
  cleanups.push(() => u.close());
  return u;
}

export async function gateway(opts: Parameters<typeof startGateway>[0]): Promise<Gateway> {
  const gw = await startGateway(opts);
  cleanups.push(() => gw.stop());
  return gw;
}
