// The store suite on the real PostgreSQL (TURNPIKE_TEST_PG_URL), in a schema of its own.

import { after, describe } from 'node:test';
import { SqlStore } from '../../../src/control/store/index.js';
import { PostgresBackend } from '../../../src/control/store/postgres.js';
import { dropSchema, pgAvailable, pgOptions, uniqueSchema } from '../../helpers/pg.js';
import { storeSuite } from './suite.js';
import { bundledRegistry } from '../../../src/plugins/registry.js';

const available = await pgAvailable();
const schema = uniqueSchema('tp_store');
if (available) after(() => dropSchema(schema));

describe('store on PostgreSQL', { skip: available ? false : 'PostgreSQL unreachable (see the message above)' }, () => {
  storeSuite({
    open: async () => {
      const backend = new PostgresBackend(pgOptions(schema));
      await backend.migrateUp();
      return new SqlStore(backend, { registry: bundledRegistry() });
    },
  });
});
