// Declarative (Kong 3.0 format) configurations for the Turnpike contenders.

/** One service, one route `paths: ["/"]`. */
export function oneRouteConfig(upstreamPort: number): string {
  return [
    '_format_version: "3.0"',
    'services:',
    '  - name: bench-upstream',
    `    url: http://127.0.0.1:${upstreamPort}`,
    '    routes:',
    '      - name: bench',
    '        paths: ["/"]',
    '',
  ].join('\n');
}

export const MANY_ROUTES = 10_000;
const HOSTS = 50;

/**
 * `count` routes: distinct prefixes `/r<i>/…`, three in four bound to one of 50 hosts
 * (`h<k>.bench.test`), some also to a method, plus the route that the benchmark's
 * requests (GET / with Host 127.0.0.1) match, listed last.
 */
export function manyRoutesConfig(upstreamPort: number, count = MANY_ROUTES): string {
  const out: string[] = [
    '_format_version: "3.0"',
    'services:',
    '  - name: bench-upstream',
    `    url: http://127.0.0.1:${upstreamPort}`,
    '    routes:',
  ];
  for (let i = 0; i < count - 1; i++) {
    out.push(`      - name: r${i}`);
    out.push(`        paths: ["/r${i}/items", "/r${i}/v${i % 7}/"]`);
    if (i % 4 !== 0) out.push(`        hosts: ["h${i % HOSTS}.bench.test"]`);
    if (i % 3 === 0) out.push('        methods: ["GET", "POST"]');
  }
  out.push('      - name: bench');
  out.push('        paths: ["/"]');
  out.push('');
  return out.join('\n');
}

/** The key the plugin route's requests carry (as `?apikey=`, so wrk needs no header option). */
export const BENCH_API_KEY = 'bench-key-0123456789';

/**
 * The issue-3 plugin row: one route with key-auth, rate-limiting (local policy, a limit the
 * run never reaches) and prometheus (status code, latency and bandwidth metrics on), and one
 * consumer whose key the requests carry.
 */
export function pluginRouteConfig(upstreamPort: number): string {
  return [
    '_format_version: "3.0"',
    'services:',
    '  - name: bench-upstream',
    `    url: http://127.0.0.1:${upstreamPort}`,
    '    routes:',
    '      - name: bench',
    '        paths: ["/"]',
    '        plugins:',
    '          - name: key-auth',
    '          - name: rate-limiting',
    '            config: { minute: 1000000000, policy: local }',
    '          - name: prometheus',
    // Kong 3's defaults record nothing; the row measures the plugin doing its work.
    '            config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true }',
    'consumers:',
    '  - username: bench-user',
    '    keyauth_credentials:',
    `      - key: ${BENCH_API_KEY}`,
    '',
  ].join('\n');
}
