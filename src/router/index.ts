export type { RouteSpec, MatchInput, MatchResult, Router } from './types.js';
export { compileRouter } from './compile.js';
export { buildUpstreamPath } from './upstream-path.js';
