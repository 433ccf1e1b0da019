export * from './common.js';
export * from './service.js';
export * from './route.js';
export * from './upstream.js';
export * from './target.js';
export * from './consumer.js';
export * from './plugin.js';
export * from './declarative.js';
