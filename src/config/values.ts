// Small helpers over the plain values a parsed YAML/JSON document holds.
import type { Segment } from './errors.js';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Set in Kong's sense: not null, and not an empty list or mapping. */
export const isSet = (v: unknown) =>
  v !== null && v !== undefined && (Array.isArray(v) ? v.length > 0 : isObj(v) ? Object.keys(v).length > 0 : true);

/** The value at `segs` under `root`, or undefined. */
export function get(root: unknown, segs: readonly Segment[]): unknown {
  let cur = root;
  for (const s of segs) {
    if (Array.isArray(cur) && typeof s === 'number') cur = cur[s];
    else if (isObj(cur) && typeof s === 'string') cur = cur[s];
    else return undefined;
  }
  return cur;
}
