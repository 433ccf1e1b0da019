// The order the contenders run in each round, and what each row is compared with: the nginx
// doing the same job over the same protocol ("× nginx same") and Node's bare server for that
// protocol ("× Node ceiling"). Each protocol's rows sit together so that they meet the same
// machine weather.
import { contenders as proxies, type Contender } from './contenders.js';
import {
  H2_CODEC_ID,
  h2CodecBare,
  NGINX_STATIC_H2_ID,
  NGINX_STATIC_HTTPS_ID,
  NGINX_STATIC_ID,
  NODE_HTTP2_ID,
  NODE_HTTPS_ID,
  NODE_HTTP_ID,
  NODE_PIPE_ID,
  nginxStaticH2,
  nginxStaticHttp,
  nginxStaticHttps,
  nodeHttp,
  nodeHttp2,
  nodeHttps,
  nodePipe,
} from './ceilings.js';

const ORDER = [
  'direct',
  'nginx',
  'haproxy',
  NODE_PIPE_ID,
  'fast-gateway',
  'turnpike',
  'turnpike-10k',
  'turnpike-plugins',
  NGINX_STATIC_ID,
  NODE_HTTP_ID,
  'nginx-https',
  'turnpike-https',
  NGINX_STATIC_HTTPS_ID,
  NODE_HTTPS_ID,
  'nginx-h2',
  'turnpike-h2',
  NGINX_STATIC_H2_ID,
  NODE_HTTP2_ID,
  H2_CODEC_ID,
];

/** id → [same job's nginx, Node's ceiling for the protocol]. */
const COMPARE: Record<string, [string, string | undefined]> = {
  haproxy: ['nginx', undefined],
  [NODE_PIPE_ID]: ['nginx', undefined],
  'fast-gateway': ['nginx', NODE_PIPE_ID],
  turnpike: ['nginx', NODE_PIPE_ID],
  'turnpike-10k': ['nginx', NODE_PIPE_ID],
  'turnpike-plugins': ['nginx', NODE_PIPE_ID],
  [NODE_HTTP_ID]: [NGINX_STATIC_ID, undefined],
  'turnpike-https': ['nginx-https', NODE_HTTPS_ID],
  [NODE_HTTPS_ID]: [NGINX_STATIC_HTTPS_ID, undefined],
  'turnpike-h2': ['nginx-h2', NODE_HTTP2_ID],
  [NODE_HTTP2_ID]: [NGINX_STATIC_H2_ID, undefined],
  [H2_CODEC_ID]: [NGINX_STATIC_H2_ID, NODE_HTTP2_ID],
};

/** Every contender of the full run, in running order, with its comparisons filled in. */
export function lineup(extra: Contender[] = []): Contender[] {
  const all = [
    ...proxies,
    nodePipe,
    nginxStaticHttp,
    nodeHttp,
    nginxStaticHttps,
    nodeHttps,
    nginxStaticH2,
    nodeHttp2,
    h2CodecBare,
    ...extra,
  ];
  const byId = new Map(all.map((c) => [c.id, c]));
  const ordered = [...ORDER.flatMap((id) => byId.get(id) ?? []), ...all.filter((c) => !ORDER.includes(c.id))];
  return ordered.map((c) => {
    const cmp = COMPARE[c.id];
    return cmp ? { ...c, sameAs: c.sameAs ?? cmp[0], ceiling: c.ceiling ?? cmp[1] } : c;
  });
}
