export { contextOptions } from './options.js';
export { SniContexts, secureContext } from './contexts.js';
export { readPemPairs, ensureDefaultCertificate, defaultCertPaths, type PemPair } from './default-cert.js';
export { createTlsServer, type TlsListenerOptions } from './server.js';
