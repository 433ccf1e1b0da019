// hello-header: adds `X-Hello: <config.greeting>` to every response.
// Load it with TURNPIKE_PLUGINS=bundled,./examples/plugins/hello-header (from the checkout,
// after `npm run build`). Outside this repository, import definePlugin from your turnpike
// install: `turnpike/sdk`.
import { definePlugin } from '../../../dist/src/plugins/sdk.js';

export default definePlugin({
  name: 'hello-header',
  version: '1.0.0',
  priority: 800,
  // JSON Schema (TypeBox's Type.Object(...) builds the same thing in TypeScript).
  schema: {
    type: 'object',
    properties: {
      greeting: { type: 'string', minLength: 1, default: 'world' },
    },
    additionalProperties: false,
  },
  phases: {
    response(ctx, conf) {
      ctx.response.setHeader('X-Hello', conf.greeting);
    },
  },
});
