import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stopsWithParent } from '../../../src/process/launcher.js';
import { StartupError } from '../../../src/process/startup-checks.js';

test('stop-with-parent: on under npm, TURNPIKE_STOP_WITH_PARENT overrides, anything else is a start-up error', () => {
  assert.equal(stopsWithParent({}), false);
  assert.equal(stopsWithParent({ npm_command: 'exec' }), true);
  assert.equal(stopsWithParent({ npm_command: 'exec', TURNPIKE_STOP_WITH_PARENT: '0' }), false);
  assert.equal(stopsWithParent({ TURNPIKE_STOP_WITH_PARENT: 'true' }), true);
  assert.equal(stopsWithParent({ TURNPIKE_STOP_WITH_PARENT: '', npm_command: 'start' }), true);
  assert.throws(
    () => stopsWithParent({ TURNPIKE_STOP_WITH_PARENT: 'maybe' }),
    (e: unknown) =>
      e instanceof StartupError && /TURNPIKE_STOP_WITH_PARENT="maybe": expected 1 or true/.test(e.message),
  );
});
