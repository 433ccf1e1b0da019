// What every node setting parser shares: the raw form (kong.conf name → text, from flags then
// TURNPIKE_<NAME> variables), the error type, and the readers of numbers, seconds, enums and
// PEM values. Every message names the setting and says what would be valid.

import path from 'node:path';

export class SettingsError extends Error {}

/** Setting name (kong.conf style) → raw string, from flags then environment. */
export type RawSettings = Record<string, string | undefined>;

export function int(name: string, value: string | undefined, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  if (!/^\d+$/.test(value.trim()))
    throw new SettingsError(`${name}: "${value}" is not a whole number (expected ${min}..${max})`);
  const n = Number(value.trim());
  if (n < min || n > max) throw new SettingsError(`${name}: ${n} is out of range (expected ${min}..${max})`);
  return n;
}

export function seconds(name: string, value: string | undefined, def: number, min: number, max: number): number {
  if (value === undefined) return def * 1000;
  if (!/^\d+(\.\d+)?$/.test(value.trim()))
    throw new SettingsError(`${name}: "${value}" is not a number of seconds (expected ${min}..${max}, e.g. 10 or 0.5)`);
  const n = Number(value.trim());
  if (n < min || n > max) throw new SettingsError(`${name}: ${n} is out of range (expected ${min}..${max} seconds)`);
  return Math.round(n * 1000);
}

export function pemSetting(v: string | undefined): string | null {
  if (v === undefined || v.trim() === '') return null;
  return v.includes('-----BEGIN ') ? v : path.resolve(v.trim());
}

export function oneOf<T extends string>(name: string, value: string | undefined, def: T, valid: readonly T[]): T {
  if (value === undefined) return def;
  if (!(valid as readonly string[]).includes(value))
    throw new SettingsError(`${name}: "${value}" is not valid; use one of ${valid.join(', ')}`);
  return value as T;
}
