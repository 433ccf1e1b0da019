// ip-restriction: refuses clients by address. `deny` is checked first, then `allow` (when
// set, an address outside it is refused). Lists are IPv4/IPv6 addresses and CIDR ranges,
// compiled once per configuration into node:net BlockLists. Kong priority 990.

import { BlockList, isIP } from 'node:net';
import { definePlugin } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';
import { IpRestrictionSchema, type IpRestrictionConfig } from './schema.js';

interface Prepared {
  readonly allow: BlockList | null;
  readonly deny: BlockList | null;
  readonly status: number;
  readonly message: string | null;
}

/** Parses "10.0.0.0/8", "10.1.2.3", "2001:db8::/32" or "::1" into a BlockList entry; throws naming the field. */
function addEntry(list: BlockList, entry: string, field: string): void {
  const bad = () =>
    new PluginConfigFieldError(
      field,
      `invalid ip or cidr range: '${entry}' (use an IPv4 or IPv6 address, optionally with a /prefix, such as 10.0.0.0/8 or 2001:db8::/32)`,
    );
  const slash = entry.indexOf('/');
  const addr = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(addr);
  if (family === 0) throw bad();
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash < 0) {
    list.addAddress(addr, type);
    return;
  }
  const p = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p)) throw bad();
  const prefix = Number(p);
  if (prefix > (family === 4 ? 32 : 128)) throw bad();
  list.addSubnet(addr, prefix, type);
}

function compile(entries: readonly string[] | null, name: string): BlockList | null {
  if (entries === null || entries.length === 0) return null;
  const list = new BlockList();
  entries.forEach((e, i) => addEntry(list, e, `${name}.${i}`));
  return list;
}

function prepare(c: IpRestrictionConfig): Prepared {
  const allow = compile(c.allow, 'allow');
  const deny = compile(c.deny, 'deny');
  if (allow === null && deny === null) {
    // Kong's entity check, same wording.
    throw new PluginConfigFieldError(
      '',
      "at least one of these fields must be non-empty: 'config.allow', 'config.deny'",
    );
  }
  return { allow, deny, status: c.status ?? 403, message: c.message };
}

/** "::ffff:10.0.0.1" (a dual-stack socket's view of an IPv4 peer) → "10.0.0.1". */
function clientAddress(ip: string): { addr: string; type: 'ipv4' | 'ipv6' } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const addr = mapped ? mapped[1]! : ip;
  const family = isIP(addr);
  if (family === 0) return null;
  return { addr, type: family === 4 ? 'ipv4' : 'ipv6' };
}

export default definePlugin({
  name: 'ip-restriction',
  version: '0.1.0',
  priority: 990,
  schema: IpRestrictionSchema,
  prepare,
  phases: {
    access(ctx, p) {
      const client = clientAddress(ctx.request.clientIp);
      if (client === null) {
        return ctx.respond(403, {
          message: 'Cannot identify the client IP address, unix domain sockets are not supported.',
        });
      }
      const refused =
        (p.deny !== null && p.deny.check(client.addr, client.type)) ||
        (p.allow !== null && !p.allow.check(client.addr, client.type));
      if (!refused) return;
      const message = p.message ?? `IP address not allowed: ${client.addr}`;
      ctx.log.warn(message);
      ctx.respond(p.status, { message });
    },
  },
});
