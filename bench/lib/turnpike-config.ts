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
