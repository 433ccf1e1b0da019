// Libraries a few plugins need, loaded on their first use instead of when the plugins are
// registered. Every node, every worker and every CLI command that loads configuration
// registers all bundled plugins, and a bare import costs ioredis ~70 ms and undici ~95 ms of
// start-up (measured on the CI machine), while most configurations use neither.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let ioredis: typeof import('ioredis') | undefined;
let undici: typeof import('undici') | undefined;

export const ioredisModule = (): typeof import('ioredis') => (ioredis ??= require('ioredis') as typeof import('ioredis'));
export const undiciModule = (): typeof import('undici') => (undici ??= require('undici') as typeof import('undici'));
