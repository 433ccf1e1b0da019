// The store's public surface: import from here, not from the files behind it.
export type {
  Store,
  Entity,
  Page,
  ListOptions,
  WriteOptions,
  Scope,
  ChangeEvent,
  ImportSummary,
  DeclarativeObject,
} from './store.js';
export { KINDS, CREDENTIAL_KINDS, ENTITIES, type Kind, type CredentialKind } from './entities.js';
export * from './errors.js';
export {
  databaseSettings,
  openBackend,
  openStore,
  DatabaseSettingsError,
  PG_DEFAULTS,
  type DatabaseSettings,
} from './open.js';
export { SqlStore, type SqlStoreOptions } from './sql-store.js';
export type { Backend, MigrationState } from './backend.js';
