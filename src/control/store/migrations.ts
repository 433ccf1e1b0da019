// The database schema, as numbered migrations recorded in `schema_migrations`. A migration is
// never edited once released: a change to the schema is a new entry at the end of the list.
//
// The layout is pragmatic: one table per entity kind with `id`, the unique keys and the
// foreign keys as real columns (so the database itself enforces uniqueness and references,
// also between several control planes writing at once), `tags` as ",a,b," for the tags
// filter, and the whole entity as JSON (TEXT in SQLite, JSONB in PostgreSQL).
import type { Dialect } from './backend.js';
import { ENTITIES, KINDS, uniqueColumn, type EntityDef } from './entities.js';

export interface Migration {
  name: string;
  up(dialect: Dialect): string[];
}

export interface TableSpec {
  table: string;
  /** Text columns with a UNIQUE constraint each. */
  unique: string[];
  /** Foreign key columns: column → [referenced table, on delete]. */
  fks: Record<string, [string, 'CASCADE' | 'RESTRICT']>;
}

// The tables of migration 001, frozen here rather than derived from the entity definitions,
// so that a later change to those cannot silently change what this migration does.
export const TABLES_001: readonly TableSpec[] = [
  { table: 'ca_certificates', unique: ['cert_digest'], fks: {} },
  { table: 'certificates', unique: [], fks: {} },
  { table: 'snis', unique: ['name'], fks: { certificate_id: ['certificates', 'CASCADE'] } },
  { table: 'services', unique: ['name'], fks: { client_certificate_id: ['certificates', 'RESTRICT'] } },
  { table: 'routes', unique: ['name'], fks: { service_id: ['services', 'RESTRICT'] } },
  { table: 'upstreams', unique: ['name'], fks: { client_certificate_id: ['certificates', 'RESTRICT'] } },
  { table: 'targets', unique: ['uk_upstream_target'], fks: { upstream_id: ['upstreams', 'CASCADE'] } },
  { table: 'consumers', unique: ['username', 'custom_id'], fks: {} },
  { table: 'keyauth_credentials', unique: ['key'], fks: { consumer_id: ['consumers', 'CASCADE'] } },
  { table: 'basicauth_credentials', unique: ['username'], fks: { consumer_id: ['consumers', 'CASCADE'] } },
  { table: 'hmacauth_credentials', unique: ['username'], fks: { consumer_id: ['consumers', 'CASCADE'] } },
  { table: 'jwt_secrets', unique: ['key'], fks: { consumer_id: ['consumers', 'CASCADE'] } },
  { table: 'acls', unique: ['uk_consumer_group'], fks: { consumer_id: ['consumers', 'CASCADE'] } },
  { table: 'oauth2_credentials', unique: ['client_id'], fks: { consumer_id: ['consumers', 'CASCADE'] } },
  {
    table: 'plugins',
    unique: ['uk_name_instance_name_service_route_consumer', 'instance_name'],
    fks: {
      service_id: ['services', 'CASCADE'],
      route_id: ['routes', 'CASCADE'],
      consumer_id: ['consumers', 'CASCADE'],
    },
  },
];

/** A kind's table as its entity definition says: id, foreign key columns, unique key columns. */
export function tableSpecOf(def: EntityDef): TableSpec {
  return {
    table: def.kind,
    unique: def.unique.map(uniqueColumn),
    fks: Object.fromEntries(
      def.foreign.map((f) => [`${f.field}_id`, [f.references, f.onDelete === 'cascade' ? 'CASCADE' : 'RESTRICT']]),
    ),
  };
}

/**
 * A kind added to the entity table after 001 gets its table from a migration of its own,
 * derived from its row when that migration first runs (the kind's first release). A later
 * change to the kind's keys is a new, hand-written migration at the end of the list, as for
 * any released migration. Id lists (join tables) are not derived: write that migration by hand.
 */
function entityMigrations(): Migration[] {
  const frozen = new Set(TABLES_001.map((t) => t.table));
  return KINDS.filter((k) => !frozen.has(k)).map((k) => {
    const def = ENTITIES[k];
    if (def.idLists?.length) throw new Error(`entity kind '${k}': a list of ids needs a hand-written migration`);
    return { name: `entity_${k}`, up: (dialect: Dialect) => createTable(tableSpecOf(def), dialect) };
  });
}

function createTable(t: TableSpec, dialect: Dialect): string[] {
  const json = dialect === 'postgres' ? 'JSONB' : 'TEXT';
  const cols = ['"id" TEXT PRIMARY KEY'];
  for (const c of Object.keys(t.fks)) cols.push(`"${c}" TEXT`);
  for (const c of t.unique) cols.push(`"${c}" TEXT`);
  cols.push(`"tags" TEXT NOT NULL DEFAULT ','`, `"entity" ${json} NOT NULL`);
  // Constraint names follow PostgreSQL's own convention (<table>_<column>_key/_fkey): the
  // store reads the column back from the name when the database reports a violation.
  for (const c of t.unique) cols.push(`CONSTRAINT "${t.table}_${c}_key" UNIQUE ("${c}")`);
  for (const [c, [ref, onDelete]] of Object.entries(t.fks)) {
    cols.push(
      `CONSTRAINT "${t.table}_${c}_fkey" FOREIGN KEY ("${c}") REFERENCES "${ref}" ("id") ON DELETE ${onDelete}`,
    );
  }
  const out = [`CREATE TABLE "${t.table}" (\n  ${cols.join(',\n  ')}\n)`];
  for (const c of Object.keys(t.fks)) out.push(`CREATE INDEX "${t.table}_${c}_idx" ON "${t.table}" ("${c}")`);
  return out;
}

export const MIGRATIONS: Migration[] = [
  {
    name: '001_entities',
    up(dialect) {
      return [
        ...TABLES_001.flatMap((t) => createTable(t, dialect)),
        // services.ca_certificates is a list of ids: a join table keeps those references real.
        `CREATE TABLE "services_ca_certificates" (
  "service_id" TEXT NOT NULL,
  "ca_certificate_id" TEXT NOT NULL,
  PRIMARY KEY ("service_id", "ca_certificate_id"),
  CONSTRAINT "services_ca_certificates_service_id_fkey" FOREIGN KEY ("service_id") REFERENCES "services" ("id") ON DELETE CASCADE,
  CONSTRAINT "services_ca_certificates_ca_certificate_id_fkey" FOREIGN KEY ("ca_certificate_id") REFERENCES "ca_certificates" ("id") ON DELETE RESTRICT
)`,
        `CREATE INDEX "services_ca_certificates_ca_idx" ON "services_ca_certificates" ("ca_certificate_id")`,
        // Bumped by every write in the same transaction: the change feed compares it.
        `CREATE TABLE "config_version" ("id" INTEGER PRIMARY KEY CHECK ("id" = 1), "version" BIGINT NOT NULL)`,
        `INSERT INTO "config_version" ("id", "version") VALUES (1, 0)`,
        // Settings of the stored configuration as a whole (the declarative `_transform`).
        `CREATE TABLE "store_meta" ("key" TEXT PRIMARY KEY, "value" TEXT NOT NULL)`,
      ];
    },
  },
  {
    name: '002_admin',
    up(dialect) {
      const json = dialect === 'postgres' ? 'JSONB' : 'TEXT';
      return [
        // Admin API tokens: only a SHA-256 of the secret is kept; the secret is shown once.
        `CREATE TABLE "admin_tokens" (
  "id" TEXT PRIMARY KEY,
  "name" TEXT NOT NULL,
  "role" TEXT NOT NULL,
  "token_hash" TEXT NOT NULL,
  "created_at" BIGINT NOT NULL,
  "comment" TEXT,
  CONSTRAINT "admin_tokens_name_key" UNIQUE ("name"),
  CONSTRAINT "admin_tokens_token_hash_key" UNIQUE ("token_hash")
)`,
        // The audit log of the Admin API: one row per change request. The id sorts by time
        // (zero-padded milliseconds first), which is the paging order.
        `CREATE TABLE "admin_audit" (
  "id" TEXT PRIMARY KEY,
  "at" BIGINT NOT NULL,
  "entry" ${json} NOT NULL
)`,
      ];
    },
  },
  ...entityMigrations(),
];

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "schema_migrations" ("name" TEXT PRIMARY KEY, "executed_at" BIGINT NOT NULL)`;
