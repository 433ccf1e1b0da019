// file-log: appends one JSON line per request (Kong's basic log serializer shape, see
// ../shared/log-entry.ts) to a file. Kong priority 9, phase log. The line is built in the
// log phase (after the response) and handed to a batched asynchronous writer: the file is
// opened lazily on the first write, never on the request path, and a failing file costs
// log lines (logged), never requests.

import { definePlugin } from '../../sdk.js';
import { refuseLua, serializeLogEntry } from '../shared/log-entry.js';
import { FileLogSchema, type FileLogConfig } from './schema.js';
import { sinkFor, type FileSink } from './sink.js';

interface Prepared {
  readonly path: string;
  readonly reopen: boolean;
  /** Resolved on first use, so that `turnpike validate` and config loads touch no file. */
  sink: FileSink | null;
}

function prepare(c: FileLogConfig): Prepared {
  refuseLua(c.custom_fields_by_lua);
  return { path: c.path, reopen: c.reopen, sink: null };
}

export default definePlugin({
  name: 'file-log',
  version: '0.1.0',
  priority: 9,
  schema: FileLogSchema,
  prepare,
  phases: {
    // Empty on purpose: a response phase on the route makes the response headers visible to `log`.
    response() {},
    log(ctx, p) {
      const sink = (p.sink ??= sinkFor(p.path));
      if (p.reopen) sink.reopen = true;
      sink.push(JSON.stringify(serializeLogEntry(ctx)) + '\n');
    },
  },
});
