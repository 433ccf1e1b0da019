// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per module, with
// each module put in one of the places the time can go: ours (dist/src), a dependency
// (node_modules), Node's JavaScript (node:internal/…, by subsystem), or time V8 cannot
// attribute to JavaScript — "(program)" is native work entered from the event loop (libuv,
// OpenSSL, nghttp2, the syscalls), "(garbage collector)" is GC, "(idle)" is waiting.

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  module: string;
  place: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Busy time: everything but (idle). */
  busyMs: number;
  functions: SelfTime[];
  modules: Array<{ module: string; place: string; ms: number; share: number }>;
  places: Array<{ place: string; ms: number; share: number }>;
}

/** The module a frame's url names: `src/engine/http1/x.js`, `npm:pino`, `node:internal/streams/writable`. */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : `native:${functionName || 'anonymous'}`;
  const src = url.lastIndexOf('/dist/src/');
  if (src >= 0) return `src/${url.slice(src + '/dist/src/'.length)}`;
  const bench = url.lastIndexOf('/dist/bench/');
  if (bench >= 0) return `bench/${url.slice(bench + '/dist/bench/'.length)}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url;
  return url;
}

/** Which part of the stack a module belongs to (the rows of the summary's second table). */
export function placeOf(module: string): string {
  if (module === '(garbage collector)') return 'V8 garbage collector';
  if (module === '(idle)') return 'idle (waiting for I/O)';
  if (module === '(program)') return 'native, outside JS (libuv, OpenSSL, nghttp2, syscalls)';
  if (module.startsWith('native:')) {
    // Node's stream bindings write synchronously when the kernel takes the bytes: their self
    // time is the send syscall, plus the encryption under TLS (TLSWrap encrypts in the call).
    const fn = module.slice('native:'.length);
    if (/^write(v|Buffer|Latin1String|Utf8String|AsciiString|String|Generic)?$/.test(fn) || fn === 'shutdown')
      return 'native: socket writes (send syscalls; encryption under TLS)';
    if (fn === 'readStart' || fn === 'readStop') return 'native: socket reads';
    return 'native: other bindings and V8 builtins';
  }
  if (module === '(root)') return 'native: other bindings and V8 builtins';
  if (module.startsWith('src/')) return 'Turnpike';
  if (module.startsWith('npm:')) return 'dependencies (npm)';
  if (module.startsWith('node:')) {
    const m = /^node:(?:internal\/)?([a-z_0-9]+)/.exec(module);
    const sub = m?.[1] ?? 'other';
    if (sub === 'streams' || sub === 'stream_base_commons') return 'Node: streams';
    if (sub === 'tls' || sub === '_tls_wrap' || sub === 'crypto') return 'Node: TLS';
    if (sub === 'http2') return 'Node: http2 (nghttp2 binding)';
    if (sub === 'net' || sub === 'dns') return 'Node: net';
    if (sub.startsWith('http') || sub === '_http_common' || sub === '_http_server') return 'Node: http';
    if (sub === 'process' || sub === 'timers' || sub === 'async_hooks') return 'Node: event loop, timers, ticks';
    return `Node: ${sub}`;
  }
  return 'other';
}

/** Self time per function, module and place, from the samples (timeDeltas, µs). */
export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    // A sample's delta is the time since the previous one: attribute it to the sampled node.
    for (let i = 0; i < samples.length; i++) {
      const d = deltas[i]!;
      if (d > 0) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + d);
    }
  } else {
    const total = profile.endTime - profile.startTime;
    const hits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
    for (const n of profile.nodes) selfUs.set(n.id, ((n.hitCount ?? 0) * total) / hits);
  }
  const fns = new Map<string, SelfTime>();
  const mods = new Map<string, { module: string; place: string; ms: number; share: number }>();
  const places = new Map<string, { place: string; ms: number; share: number }>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (n === undefined) continue;
    const ms = us / 1000;
    const { functionName, url, lineNumber } = n.callFrame;
    const module = moduleOf(url, functionName);
    const place = placeOf(module);
    const name = module.startsWith('native:')
      ? `${functionName} (native)`
      : `${functionName || '(anonymous)'} ${module}${url ? `:${lineNumber + 1}` : ''}`;
    const f = fns.get(name) ?? { name, module, place, ms: 0, share: 0 };
    f.ms += ms;
    fns.set(name, f);
    const m = mods.get(module) ?? { module, place, ms: 0, share: 0 };
    m.ms += ms;
    mods.set(module, m);
    const p = places.get(place) ?? { place, ms: 0, share: 0 };
    p.ms += ms;
    places.set(place, p);
    totalMs += ms;
    if (module === '(idle)') idleMs += ms;
  }
  const busyMs = totalMs - idleMs;
  // Shares are of the busy time: idle time only says the load did not saturate the CPU.
  const share = <T extends { ms: number; share: number }>(xs: Iterable<T>): T[] =>
    [...xs].map((x) => ({ ...x, share: busyMs > 0 ? x.ms / busyMs : 0 })).sort((a, b) => b.ms - a.ms);
  return {
    totalMs,
    busyMs,
    functions: share(fns.values())
      .filter((f) => f.module !== '(idle)')
      .slice(0, top),
    modules: share(mods.values())
      .filter((m) => m.module !== '(idle)')
      .slice(0, top),
    places: share(places.values()),
  };
}

/** The summary as Markdown tables (places, then modules, then functions). */
export function renderProfile(title: string, s: ProfileSummary, rows = 12): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const out = [
    `### ${title}`,
    '',
    `busy ${(s.busyMs / 1000).toFixed(1)} s of ${(s.totalMs / 1000).toFixed(1)} s sampled`,
    '',
  ];
  out.push('| where | self time | share of busy |', '| --- | ---: | ---: |');
  // Places under 0.5% are summed into one row.
  const shown = s.places.filter((p) => !p.place.startsWith('idle') && p.share >= 0.005);
  const rest = s.places.filter((p) => !p.place.startsWith('idle') && p.share < 0.005);
  for (const p of shown) out.push(`| ${p.place} | ${p.ms.toFixed(0)} ms | ${pct(p.share)} |`);
  if (rest.length > 0) {
    const ms = rest.reduce((a, p) => a + p.ms, 0);
    const share = rest.reduce((a, p) => a + p.share, 0);
    out.push(
      `| ${rest.length} others (${rest.map((p) => p.place.replace(/^Node: /, '')).join(', ')}) | ${ms.toFixed(0)} ms | ${pct(share)} |`,
    );
  }
  out.push('', '| module | where | self | share |', '| --- | --- | ---: | ---: |');
  for (const m of s.modules.slice(0, rows))
    out.push(`| \`${m.module}\` | ${m.place} | ${m.ms.toFixed(0)} ms | ${pct(m.share)} |`);
  out.push('', '| function | self | share |', '| --- | ---: | ---: |');
  for (const f of s.functions.slice(0, rows)) out.push(`| \`${f.name}\` | ${f.ms.toFixed(0)} ms | ${pct(f.share)} |`);
  return out.join('\n');
}
