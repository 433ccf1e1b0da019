// The node settings' public surface: import from here, not from the files behind it.
export { resolveSettings, rawFromEnv, SETTING_NAMES, type Settings } from './node.js';
export { SettingsError, type RawSettings } from './values.js';
export { parseListen, parseStreamListen, type ListenAddress } from './listen.js';
export type { ClusterSettings } from './cluster.js';
export { resolveTlsOptions, CIPHER_SUITES, type CipherSuite, type TlsOptions } from './tls.js';
export {
  databaseSettings,
  rawDatabaseEnv,
  DatabaseSettingsError,
  DATABASE_SETTING_NAMES,
  PG_DEFAULTS,
  type DatabaseSettings,
  type PgSettings,
} from './database.js';
