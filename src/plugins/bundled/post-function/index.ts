// post-function (Kong's serverless plugin, priority -1000: runs after every other plugin).
// Kong takes Lua per phase; Turnpike takes JavaScript function bodies, run isolated with a
// time limit (see ../serverless/index.ts). Lua source is refused when the configuration loads.

import { definePlugin } from '../../sdk.js';
import { prepareServerless, serverlessPhases, ServerlessSchema, upgradeServerless } from '../serverless/index.js';

export default definePlugin({
  name: 'post-function',
  version: '0.1.0',
  priority: -1000,
  schema: ServerlessSchema,
  upgrade: upgradeServerless,
  prepare: (c) => prepareServerless('post-function', c),
  phases: serverlessPhases,
});
