// The store suite on a real SQLite file in a temporary folder.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir } from '../../helpers/gateway.js';
import { openStore } from '../../../src/control/store/index.js';
import { databaseSettings } from '../../../src/control/store/open.js';
import { storeSuite } from './suite.js';
import { bundledRegistry } from '../../../src/plugins/registry.js';

const dir = tmpDir('turnpike-store-');
after(() => fs.rmSync(dir, { recursive: true, force: true }));

storeSuite({
  open: () => openStore(databaseSettings('sqlite', dir, {}), { registry: bundledRegistry() }),
});

test('the database is $TURNPIKE_PREFIX/turnpike.db, in WAL mode', () => {
  assert.ok(fs.existsSync(path.join(dir, 'turnpike.db')));
  assert.ok(
    fs.existsSync(path.join(dir, 'turnpike.db-wal')) ||
      fs.readFileSync(path.join(dir, 'turnpike.db')).readUInt8(18) === 2,
    'WAL mode',
  );
});
