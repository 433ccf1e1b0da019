// bot-detection: refuses requests whose User-Agent is a known bot (Kong's built-in list) or
// matches `deny`, unless it matches `allow`. Requests without a User-Agent pass. Kong
// priority 2500. Verdicts are cached per configuration and User-Agent, as Kong does.

import { definePlugin } from '../../sdk.js';
import { compileRegex } from '../shared/config-error.js';
import { BOT_PATTERNS } from './rules.js';
import { BotDetectionSchema, type BotDetectionConfig } from './schema.js';

const BUILT_IN: readonly RegExp[] = BOT_PATTERNS.map((p) => new RegExp(p));
const CACHE_SIZE = 10_000;

interface Prepared {
  readonly allow: readonly RegExp[];
  readonly deny: readonly RegExp[];
  /** User-Agent → refused? */
  readonly cache: Map<string, boolean>;
}

function prepare(c: BotDetectionConfig): Prepared {
  return {
    allow: c.allow.map((s, i) => compileRegex(s, `allow.${i}`)),
    deny: c.deny.map((s, i) => compileRegex(s, `deny.${i}`)),
    cache: new Map(),
  };
}

function refused(p: Prepared, ua: string): boolean {
  if (p.allow.some((re) => re.test(ua))) return false;
  if (p.deny.some((re) => re.test(ua))) return true;
  return BUILT_IN.some((re) => re.test(ua));
}

export default definePlugin({
  name: 'bot-detection',
  version: '0.1.0',
  priority: 2500,
  schema: BotDetectionSchema,
  prepare,
  phases: {
    access(ctx, p) {
      const header = ctx.request.getHeader('user-agent');
      if (header === undefined) return;
      const ua = header.trim();
      let verdict = p.cache.get(ua);
      if (verdict === undefined) {
        verdict = refused(p, ua);
        if (p.cache.size >= CACHE_SIZE) p.cache.clear();
        p.cache.set(ua, verdict);
      }
      if (verdict) ctx.respond(403, { message: 'Forbidden' });
    },
  },
});
