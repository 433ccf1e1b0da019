// The entity table: the rules its rows keep, that the store's frozen SQL is what the rows
// derive, and that one more row (a throw-away kind in a test-only table) is all a new kind
// needs to be loaded from a file, given Admin API paths and a table, and named by the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  adminNested,
  adminTop,
  ENTITY_TABLE,
  listedOrder,
  rowOf,
  type EntityKind,
  type EntityTable,
} from '../../../src/config/entities/index.js';
import { schemaOf } from '../../../src/config/entities/schemas.js';
import { fileSchemaOf } from '../../../src/config/entities/file-schema.js';
import { collectionsOf } from '../../../src/config/reporter.js';
import { nestedPaths, topLevelPaths } from '../../../src/control/admin/entity-paths.js';
import { entityDef, ENTITIES } from '../../../src/control/store/entities.js';
import { TABLES_001, tableSpecOf } from '../../../src/control/store/migrations.js';
import { kindList } from '../../../src/cli/commands/kinds.js';
import { APPLY_ORDER } from '../../../src/cli/commands/diff.js';
import { parseDeclarative } from '../../../src/config/load.js';
import { PluginRegistry } from '../../../src/plugins/registry.js';
import { yml } from './helpers.js';

test('rows: a row references only rows above it (the store writes and dumps top to bottom)', () => {
  ENTITY_TABLE.forEach((row, i) => {
    const above = new Set(ENTITY_TABLE.slice(0, i).map((r) => r.name));
    for (const f of row.foreign) assert.ok(above.has(f.references), `${row.name}.${f.field} → ${f.references}`);
    for (const l of 'idLists' in row ? row.idLists : [])
      assert.ok(above.has(l.references), `${row.name}.${l.field} → ${l.references}`);
  });
});

test('rows: names, listing positions, Admin API segments and CLI names are each unique', () => {
  const unique = (what: string, values: unknown[]) =>
    assert.equal(new Set(values).size, values.length, `${what} repeat: ${values.join(', ')}`);
  const rows: EntityTable = ENTITY_TABLE;
  unique(
    'names',
    rows.map((r) => r.name),
  );
  unique(
    'ones',
    rows.map((r) => r.one),
  );
  unique(
    'listed',
    rows.map((r) => r.listed),
  );
  unique(
    'top segments',
    rows.map(adminTop).filter((s) => s !== null),
  );
  unique(
    'CLI names',
    kindList(rows).flatMap((k) => [k.name, ...k.aliases]),
  );
  for (const r of rows) {
    assert.ok(schemaOf(r), r.name);
    for (const k of [...r.endpointKeys, ...r.unique.flatMap((u) => u.fields)]) {
      const props = (schemaOf(r) as unknown as { properties: Record<string, unknown> }).properties;
      assert.ok(k in props, `${r.name}: key field '${k}' is not in its schema`);
    }
  }
});

test('store: the tables of migration 001 are what the rows derive', () => {
  for (const t of TABLES_001) assert.deepEqual(tableSpecOf(ENTITIES[t.table as keyof typeof ENTITIES]), t);
});

test('diff/apply: its order holds every kind of the table once, referenced kinds first', () => {
  assert.deepEqual([...APPLY_ORDER].sort(), ENTITY_TABLE.map((r) => r.name).sort());
  APPLY_ORDER.forEach((kind, i) => {
    for (const f of rowOf(ENTITY_TABLE, kind).foreign)
      assert.ok(APPLY_ORDER.indexOf(f.references as never) < i, `${kind} before ${f.references}`);
  });
});

// A consumer's badges, for this test only: shaped like an ACL group (its schema is the Acl
// schema), but an ordinary kind, listed after every real one.
const BADGES = {
  name: 'badges',
  one: 'badge',
  singular: 'badge',
  schema: 'Acl',
  listed: 99,
  applied: 99,
  endpointKeys: ['group'],
  unique: [{ fields: ['consumer', 'group'], file: { shown: "badge '{group}' of this consumer", at: 'group' } }],
  foreign: [{ field: 'consumer', references: 'consumers', onDelete: 'cascade', nests: true }],
  file: { required: ['group'], id: 'unique-key', label: ['group'] },
  admin: { nested: 'badge' },
  cli: { aliases: ['badge'], columns: ['group', { field: 'consumer', show: 'ref' }, 'id'] },
} as const satisfies EntityKind;
const WITH_BADGES: EntityTable = [...ENTITY_TABLE, BADGES];

test('one more row: the file schema, the loader, the Admin API paths, the store and the CLI all have the kind', () => {
  // The file: top-level `badges` naming their consumer, and `badges` under a consumer.
  const schema = fileSchemaOf(WITH_BADGES) as { properties: Record<string, { items: { properties: object } }> };
  assert.ok('badges' in schema.properties);
  assert.ok('badges' in schema.properties.consumers!.items.properties);
  assert.deepEqual(collectionsOf(WITH_BADGES).consumers!.nested.includes('badges'), true);
  assert.ok(!('badges' in (fileSchemaOf(ENTITY_TABLE) as { properties: object }).properties));

  const text = yml(
    '_format_version: "3.0"',
    'consumers:',
    '- username: alice',
    '  badges:',
    '  - group: gold',
    '- username: bob',
    'badges:',
    '- consumer: bob',
    '  group: silver',
  );
  const loaded = parseDeclarative(text, 'kong.yml', new PluginRegistry(), WITH_BADGES);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  const consumers = new Map(loaded.config.consumers.map((c) => [c.id, c.username]));
  const badges = (loaded.config as unknown as { badges: { id: string; group: string; consumer: { id: string } }[] })
    .badges;
  assert.deepEqual(
    badges.map((b) => [consumers.get(b.consumer.id), b.group]),
    [
      ['alice', 'gold'],
      ['bob', 'silver'],
    ],
  );
  assert.equal(new Set(badges.map((b) => b.id)).size, 2);
  // The real table does not know the kind: the same file is refused.
  assert.equal(parseDeclarative(text, 'kong.yml', new PluginRegistry()).ok, false);

  // Its rules come from the row: references, and the unique key's message.
  const bad = parseDeclarative(
    yml(
      '_format_version: "3.0"',
      'consumers:',
      '- username: alice',
      '  badges:',
      '  - group: gold',
      '  - group: gold',
      'badges:',
      '- consumer: carol',
      '  group: x',
    ),
    'kong.yml',
    new PluginRegistry(),
    WITH_BADGES,
  );
  assert.equal(bad.ok, false);
  const messages = (bad as { errors: { path: string; message: string }[] }).errors.map(
    (e) => `${e.path}: ${e.message}`,
  );
  assert.deepEqual(messages, [
    "consumers[0].badges[1].group: badge 'gold' of this consumer is already used by badge 'gold' (consumers[0].badges[0]); configure it once",
    "badges[0].consumer: references consumer 'carol', which is not defined in this file; defined consumers: alice",
  ]);

  // The Admin API: /badges and /consumers/{consumer}/badge; the store: a table with its keys.
  assert.deepEqual(topLevelPaths(WITH_BADGES).at(-1), ['badges', 'badges']);
  assert.deepEqual(nestedPaths(WITH_BADGES).at(-1), ['consumers', 'consumer', 'badge', 'badges']);
  assert.deepEqual(tableSpecOf(entityDef(BADGES)), {
    table: 'badges',
    unique: ['uk_consumer_group'],
    fks: { consumer_id: ['consumers', 'CASCADE'] },
  });

  // The CLI: `turnpike get badge --consumer alice`, a table with the consumer by name.
  const kind = kindList(WITH_BADGES).find((k) => k.name === 'badge')!;
  assert.deepEqual([kind.aliases, kind.under, kind.top, kind.refs], [['badge'], ['consumer'], 'badges', ['consumers']]);
  assert.deepEqual(
    kind.columns.map((c) => [
      c.header,
      c.value({ group: 'gold', consumer: { id: 'c1' }, id: 'b1' }, (_k, id) => `<${id}>`),
    ]),
    [
      ['GROUP', 'gold'],
      ['CONSUMER', '<c1>'],
      ['ID', 'b1'],
    ],
  );
  assert.equal(listedOrder(WITH_BADGES).at(-1), BADGES);
  assert.equal(adminNested(rowOf(WITH_BADGES, 'badges')), 'badge');
});
