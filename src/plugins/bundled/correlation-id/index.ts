// correlation-id: gives every request an id in a header (kept when the client sent one),
// passes it upstream and, with echo_downstream, back to the client. Kong priority 100001
// (Kong 3.x runs it before every other plugin so that they all see the id).

import { randomUUID } from 'node:crypto';
import { definePlugin, type PluginContext } from '../../sdk.js';
import { CorrelationIdSchema, type CorrelationIdConfig } from './schema.js';

const SHARED_KEY = 'correlation-id';

// Kong's uuid#counter: one uuid per worker, and a counter appended after "#".
const processUuid = randomUUID();
let counter = 0;

const generators: Record<CorrelationIdConfig['generator'], (ctx: PluginContext) => string> = {
  uuid: () => randomUUID(),
  'uuid#counter': () => `${processUuid}#${++counter}`,
  // Kong: server_addr-server_port-pid-connection-connection_requests-seconds.millis. The SDK
  // exposes neither the server address nor the connection serial: the request's host and port
  // stand for the server's, and a per-process counter for the connection and its request count.
  tracker: (ctx) =>
    `${ctx.request.host}-${ctx.request.port}-${process.pid}-${++counter}-1-${(Date.now() / 1000).toFixed(3)}`,
};

export default definePlugin({
  name: 'correlation-id',
  version: '0.1.0',
  priority: 100001,
  schema: CorrelationIdSchema,
  phases: {
    access(ctx, conf) {
      let id = ctx.request.getHeader(conf.header_name);
      if (id === undefined || id === '') {
        id = generators[conf.generator](ctx);
        ctx.request.setHeader(conf.header_name, id);
      }
      ctx.shared[SHARED_KEY] = id;
    },
    response(ctx, conf) {
      if (!conf.echo_downstream || ctx.response === null) return;
      // When an earlier plugin answered before this one ran, fall back to the client's header.
      const id = (ctx.shared[SHARED_KEY] as string | undefined) ?? ctx.request.getHeader(conf.header_name);
      if (id !== undefined && id !== '') ctx.response.setHeader(conf.header_name, id);
    },
  },
});
