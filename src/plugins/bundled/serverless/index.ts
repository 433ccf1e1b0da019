// Shared by pre-function and post-function (Kong's serverless plugins): the config schema, the
// check that refuses Lua, and the sandboxed runner.
//
// Kong takes Lua source per phase; Turnpike takes JavaScript: each string is the body of
// `async (ctx) => { ... }` and gets the plugin SDK context. Each plugin instance gets one fresh
// `node:vm` context (no require, no process, no timers, no eval) created when the configuration
// loads. A call runs entirely inside `runInContext` with `microtaskMode: 'afterEvaluate'`, so
// the synchronous code and every `await` continuation are bounded by the same `timeout`: a
// throwing or looping function fails its request (a throw from the handler is the engine's
// 500) and frees the worker after at most `timeout_ms`. node:vm is NOT a security boundary
// against hostile code (objects passed in lead back to the host realm); it guards against
// accidents.

import vm from 'node:vm';
import { Type, type Static } from '@sinclair/typebox';
import type { PhaseHandler, PluginContext } from '../../sdk.js';
import { PluginConfigFieldError } from '../shared/config-error.js';

const Sources = Type.Array(Type.String(), { default: [] });

/** Kong 3.x's fields (each phase an array of source strings), plus Turnpike's `timeout_ms`. */
export const ServerlessSchema = Type.Object(
  {
    certificate: Sources,
    rewrite: Sources,
    access: Sources,
    header_filter: Sources,
    body_filter: Sources,
    log: Sources,
    ws_handshake: Sources,
    ws_client_frame: Sources,
    ws_upstream_frame: Sources,
    ws_close: Sources,
    /** Kong 1.x/2.x: the access functions. Moved into `access` by `upgrade`. */
    functions: Type.Optional(Sources),
    /** Time limit of one function call (sync code and its awaits), in milliseconds. */
    timeout_ms: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  },
  { additionalProperties: false },
);

export type ServerlessConfig = Static<typeof ServerlessSchema>;

type Runner = (ctx: PluginContext) => void;

export interface PreparedServerless {
  readonly rewrite: Runner | null;
  readonly access: Runner | null;
  readonly response: Runner | null;
  readonly log: Runner | null;
}

/** Kong 3.x's phase fields, in its order. */
const KONG_PHASES = ['certificate', 'rewrite', 'access', 'header_filter', 'body_filter', 'log'] as const;

const UNSUPPORTED: Record<string, string> = {
  certificate: 'TLS is terminated before plugins run; there is no certificate phase',
  body_filter: 'the plugin SDK has no response body phase yet',
  ws_handshake: 'WebSocket phases are not supported',
  ws_client_frame: 'WebSocket phases are not supported',
  ws_upstream_frame: 'WebSocket phases are not supported',
  ws_close: 'WebSocket phases are not supported',
};

/** Lua markers that no JavaScript function body for Turnpike would contain. */
const LUA_SYNTAX =
  /(^|\n)\s*local\s+[A-Za-z_]|(^|\s)then(\s|$)|(^|\s)end(\s|$)|(^|\s)elseif(\s|$)|--\[\[|~=|(^|\n)\s*--\s/;
const LUA_API =
  /(^|[^\w.'"`$])(kong|ngx)\s*\.\s*(request|response|service|log|ctx|client|var|req|resp|say|print|exit|header|status|shared|ip|node|router|table|cache|db|plugin|worker|time|now|location|ERR|WARN|INFO|DEBUG)\b/;

function luaMessage(field: string): PluginConfigFieldError {
  return new PluginConfigFieldError(
    field,
    'Lua is not supported: Turnpike runs JavaScript here, the body of an `async (ctx) => { ... }` function ' +
      "that gets the plugin SDK context (e.g. `ctx.request.setHeader('X-A', '1')`, `ctx.respond(403, { message: 'no' })`); " +
      'rewrite this Kong Lua function in JavaScript',
  );
}

/** The check: valid JavaScript, and not Lua (which sometimes parses as JavaScript too). */
function compile(field: string, source: string, name: string): vm.Script {
  let script: vm.Script;
  try {
    script = new vm.Script(`(async (ctx) => {\n${source}\n})`, { filename: `${name}:${field}` });
  } catch (err) {
    if (LUA_SYNTAX.test(source) || LUA_API.test(source)) throw luaMessage(field);
    throw new PluginConfigFieldError(field, `not a valid JavaScript function body: ${(err as Error).message}`);
  }
  if (LUA_API.test(source)) throw luaMessage(field);
  return script;
}

const RUN_SETUP = `
globalThis.__turnpike_run = async function (fns, arg, box) {
  try {
    for (let i = 0; i < fns.length; i++) {
      box.index = i;
      await fns[i](arg);
    }
    box.done = true;
  } catch (e) {
    let m;
    try { m = e instanceof Error ? e.name + ': ' + String(e.message) : String(e); } catch { m = 'an unprintable value'; }
    box.message = m;
  }
};`;

const CALL = new vm.Script(
  '(() => { const box = Object.create(null); __turnpike_run(__turnpike_fns[__turnpike_phase], __turnpike_arg, box); return box; })()',
);

/** Compiles every phase's functions into one fresh context for this plugin instance. */
export function prepareServerless(name: string, conf: ServerlessConfig): PreparedServerless {
  for (const [field, why] of Object.entries(UNSUPPORTED)) {
    const list = conf[field as keyof ServerlessConfig] as string[];
    if (list.length > 0)
      throw new PluginConfigFieldError(field, `the '${field}' phase is not supported by Turnpike's ${name} (${why})`);
  }
  if (conf.functions !== undefined && conf.functions.length > 0) {
    throw new PluginConfigFieldError('functions', "set 'access' only ('functions' is Kong's older name for it)");
  }
  // Kong's entity check, same wording: an instance without any function is a mistake.
  if (KONG_PHASES.every((f) => conf[f].length === 0)) {
    throw new PluginConfigFieldError(
      '',
      `at least one of these fields must be non-empty: ${KONG_PHASES.map((f) => `'config.${f}'`).join(', ')}`,
    );
  }
  const phases = { rewrite: conf.rewrite, access: conf.access, response: conf.header_filter, log: conf.log };
  const fields = { rewrite: 'rewrite', access: 'access', response: 'header_filter', log: 'log' } as const;
  const scripts = new Map<keyof typeof phases, vm.Script[]>();
  for (const phase of Object.keys(phases) as (keyof typeof phases)[]) {
    scripts.set(
      phase,
      phases[phase].map((src, i) => compile(`${fields[phase]}[${i}]`, src, name)),
    );
  }
  const sandbox = vm.createContext(Object.create(null) as object, {
    name: `${name} functions`,
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  }) as Record<string, unknown>;
  new vm.Script(RUN_SETUP).runInContext(sandbox, { timeout: conf.timeout_ms });
  const fns: Record<string, unknown[]> = Object.create(null) as Record<string, unknown[]>;
  sandbox.__turnpike_fns = fns;
  const runner = (phase: keyof typeof phases): Runner | null => {
    const list = scripts.get(phase)!;
    if (list.length === 0) return null;
    // Evaluating `(async (ctx) => {...})` only creates the function; bodies run per request.
    fns[phase] = list.map((s) => s.runInContext(sandbox, { timeout: conf.timeout_ms }));
    return (ctx) => {
      sandbox.__turnpike_phase = phase;
      sandbox.__turnpike_arg = ctx;
      let box: { done?: true; message?: string; index?: number };
      try {
        box = CALL.runInContext(sandbox, { timeout: conf.timeout_ms }) as typeof box;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ERR_SCRIPT_EXECUTION_TIMEOUT')
          throw new Error(`${fields[phase]} function ran longer than ${conf.timeout_ms} ms and was stopped`);
        throw err;
      } finally {
        sandbox.__turnpike_arg = undefined;
      }
      const where = `${fields[phase]}[${typeof box.index === 'number' ? box.index : 0}]`;
      if (typeof box.message === 'string') throw new Error(`${where} threw ${box.message}`);
      if (box.done !== true) throw new Error(`${where} did not finish: it awaits something that never settles`);
    };
  };
  return { rewrite: runner('rewrite'), access: runner('access'), response: runner('response'), log: runner('log') };
}

/** Kong 1.x/2.x's `functions` are the access functions. */
export function upgradeServerless(config: Record<string, unknown>): Record<string, unknown> {
  const f = config.functions;
  if (!Array.isArray(f)) return config;
  const access = config.access;
  if (f.length === 0 || access === undefined || (Array.isArray(access) && access.length === 0)) {
    const { functions: _dropped, ...rest } = config;
    void _dropped;
    return f.length === 0 ? rest : { ...rest, access: f };
  }
  return config; // both set: prepare refuses it
}

/** The phase handlers of both plugins: run the instance's functions for that phase, if any. */
export const serverlessPhases: Record<'rewrite' | 'access' | 'response' | 'log', PhaseHandler<PreparedServerless>> = {
  rewrite: (ctx, conf) => conf.rewrite?.(ctx),
  access: (ctx, conf) => conf.access?.(ctx),
  response: (ctx, conf) => conf.response?.(ctx),
  log: (ctx, conf) => conf.log?.(ctx),
};
