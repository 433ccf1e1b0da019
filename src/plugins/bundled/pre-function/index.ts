// pre-function (Kong's serverless plugin, priority 1000000: runs before every other plugin).
// Kong takes Lua per phase; Turnpike takes JavaScript function bodies, run isolated with a
// time limit (see ../serverless/index.ts). Lua source is refused when the configuration loads.

import { definePlugin } from '../../sdk.js';
import { prepareServerless, serverlessPhases, ServerlessSchema, upgradeServerless } from '../serverless/index.js';

export default definePlugin({
  name: 'pre-function',
  version: '0.1.0',
  priority: 1_000_000,
  schema: ServerlessSchema,
  upgrade: upgradeServerless,
  prepare: (c) => prepareServerless('pre-function', c),
  phases: serverlessPhases,
});
