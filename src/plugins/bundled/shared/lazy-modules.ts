// Libraries a few plugins need, loaded on their first use instead of when the plugins are
// registered. Every node, every worker and every CLI command that loads configuration
// registers all bundled plugins, and a bare import costs ioredis ~70 ms, undici ~95 ms,
// protobufjs and jose tens of ms each of start-up (measured on the CI machine), while most
// configurations use none of them.
import { createRequire } from 'node:module';
import type protobufjs from 'protobufjs';

type Jose = typeof import('jose');

const require = createRequire(import.meta.url);
let ioredis: typeof import('ioredis') | undefined;
let undici: typeof import('undici') | undefined;
let protobuf: typeof protobufjs | undefined;
let jose: Jose | undefined;
let joseLoading: Promise<Jose> | undefined;

export const ioredisModule = (): typeof import('ioredis') =>
  (ioredis ??= require('ioredis') as typeof import('ioredis'));
export const undiciModule = (): typeof import('undici') => (undici ??= require('undici') as typeof import('undici'));
export const protobufModule = (): typeof protobufjs => (protobuf ??= require('protobufjs') as typeof protobufjs);
/** jose is ESM-only: an import(), awaited by callers that are all asynchronous already. */
export const joseModule = (): Jose | Promise<Jose> => jose ?? (joseLoading ??= import('jose').then((m) => (jose = m)));
