// Configuration → Snapshot. Runs on every (re)load, never per request: everything the
// request path needs is resolved here (route → service → cluster → balancer), so a request
// only follows references.
//
// State that must survive a reload is carried over from the previous snapshot: endpoint
// objects (in-flight counts, latency EWMA), and health checkers whose config is unchanged.

import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { Config, Service, Upstream } from '../config/types.js';
import { compileRouter } from '../router/index.js';
import type { RouteSpec } from '../router/types.js';
import { createBalancer } from '../upstream/balancers/index.js';
import { createEndpoint, endpointKey, parseTarget } from '../upstream/endpoint.js';
import { HealthChecker } from '../upstream/health/index.js';
import type { Endpoint } from '../upstream/types.js';
import { StreamMetricsRegistry, type MetricsRegistry } from '../observe/metrics.js';
import { StreamRouter, type StreamRouteSpec } from '../router/stream.js';
import type { PluginChain } from '../plugins/chain/types.js';
import type { CompiledRoute, CompiledService, CompiledStreamRoute, Snapshot, UpstreamTls } from './types.js';
import { SingleHostCluster, UpstreamCluster, type Cluster } from '../upstream/cluster.js';
import { ConfigConsumers } from './consumers.js';
import { SniContexts } from '../engine/tls/contexts.js';
import type { TlsOptions } from '../settings/tls.js';

export interface CompileOptions {
  metrics: MetricsRegistry;
  /** Cells of the stream routes; absent = figures not kept (e.g. a compile that only checks). */
  streamMetrics?: StreamMetricsRegistry;
  previous: Snapshot | null;
  /** Opt-in recovery of passively ejected targets, seconds (0 = Kong's behaviour). */
  passiveRecoveryTimeout?: number;
  /**
   * Whether this process runs active probes. Workers do not: the primary probes once for the
   * node and broadcasts the results, so N workers do not multiply the probe traffic.
   */
  activeChecks?: boolean;
  /** Plugin chains compiled for this configuration; absent = no plugins run. */
  plugins?: { forRoute(routeId: string, serviceId: string | null): PluginChain | null };
  /** Every change of a target's health in this process (probe, passive ejection, or applied from outside). */
  onHealthChange?: (upstream: string, ep: Endpoint, healthy: boolean) => void;
  /** Build the secure contexts of `certificates` (the processes that serve or check TLS). */
  tls?: TlsOptions;
}

/**
 * Opt-in upstream HTTP/2 for an http/https service: Kong's service entity has no field for it,
 * so a tag says it and the file stays a valid kong.yml (h2c with prior knowledge for http,
 * ALPN h2 for https).
 */
export const UPSTREAM_HTTP2_TAG = 'turnpike:upstream-http2';

const SINGLE_HOST_UPSTREAM = { algorithm: 'round-robin' } as Upstream;

export function compileSnapshot(config: Config, hash: string, opts: CompileOptions): Snapshot {
  const prevClusters = opts.previous?.clusters ?? new Map<string, Cluster>();
  const clusters = new Map<string, Cluster>();
  const prevEndpoint = (clusterName: string, key: string): Endpoint | undefined =>
    prevClusters.get(clusterName)?.balancer.endpoints.find((e) => e.key === key);

  const certificatesById = new Map((config.certificates ?? []).map((c) => [c.id, c]));
  const upstreamByName = new Map<string, Upstream>();
  for (const u of config.upstreams) upstreamByName.set(u.name, u);

  for (const u of config.upstreams) {
    const endpoints: Endpoint[] = [];
    for (const t of config.targets) {
      if (t.upstream.id !== u.id) continue;
      const { host, port } = parseTarget(t.target);
      const key = endpointKey(host, port);
      const old = prevEndpoint(u.name, key);
      if (endpoints.some((e) => e.key === key)) continue; // Kong: the last entry for a target wins
      const ep = old ?? createEndpoint(host, port, t.weight);
      ep.weight = t.weight;
      endpoints.push(ep);
    }
    const prev = prevClusters.get(u.name);
    const prevChecker = prev instanceof UpstreamCluster ? prev.checker : null;
    let checker: HealthChecker;
    const recovery = opts.passiveRecoveryTimeout ?? 0;
    const cc = u.client_certificate ? certificatesById.get(u.client_certificate.id) : undefined;
    const clientCert = cc !== undefined ? { cert: cc.cert, key: cc.key } : null;
    if (prevChecker !== null && prevChecker.sameConfig(u.healthchecks, u.host_header, recovery, clientCert)) {
      checker = prevChecker;
      checker.setEndpoints(endpoints);
    } else {
      checker = new HealthChecker({
        healthchecks: u.healthchecks,
        endpoints,
        name: u.name,
        hostHeader: u.host_header,
        passiveRecoveryTimeout: recovery,
        clientCert,
      });
    }
    const onChange = opts.onHealthChange;
    const upstreamName = u.name;
    checker.onChange = onChange === undefined ? null : (ep, healthy) => onChange(upstreamName, ep, healthy);
    const fingerprint = JSON.stringify([u.healthchecks, u.host_header, clientCert?.cert ?? null]);
    clusters.set(
      u.name,
      new UpstreamCluster(
        u.name,
        createBalancer(u, endpoints),
        checker,
        u.host_header,
        'http',
        fingerprint,
        opts.activeChecks !== false,
      ),
    );
  }

  // Trusted CAs (service ca_certificates, used when tls_verify is on, as in Kong) and the client
  // certificate (mutual TLS): one secure context per distinct combination, built here once per
  // snapshot; its fingerprint goes into the pool key so that connections with another trust or
  // another client identity are never shared.
  const caPems = new Map((config.ca_certificates ?? []).map((c) => [c.id, c.cert]));
  const clientCerts = new Map((config.certificates ?? []).map((c) => [c.id, c]));
  const contexts = new Map<string, tls.SecureContext>();
  const upstreamTls = (s: Service): UpstreamTls => {
    const servername = net.isIP(s.host) === 0 ? s.host : null;
    const verify = s.tls_verify === true;
    const verifyDepth = s.tls_verify_depth ?? null;
    const ca = verify
      ? (s.ca_certificates ?? []).map((id) => caPems.get(id)).filter((p): p is string => p !== undefined)
      : [];
    const client = s.client_certificate ? clientCerts.get(s.client_certificate.id) : undefined;
    let secureContext: tls.SecureContext | null = null;
    let material = '';
    if (ca.length > 0 || client !== undefined) {
      material = createHash('sha256')
        .update(JSON.stringify([ca, client?.cert ?? null, client?.key ?? null]))
        .digest('hex')
        .slice(0, 16);
      secureContext = contexts.get(material) ?? null;
      if (secureContext === null) {
        secureContext = tls.createSecureContext({
          minVersion: 'TLSv1.2',
          ...(ca.length > 0 ? { ca } : {}),
          ...(client !== undefined ? { cert: client.cert, key: client.key } : {}),
        });
        contexts.set(material, secureContext);
      }
    }
    return {
      servername,
      verify,
      verifyDepth,
      secureContext,
      poolPrefix: `tls:${verify ? 'verify' : 'noverify'}:${verifyDepth ?? ''}:${servername ?? ''}:${material}@`,
    };
  };
  const services = new Map<string, CompiledService>();
  for (const s of config.services) {
    let cluster: Cluster | undefined;
    const up = upstreamByName.get(s.host);
    if (up !== undefined) {
      cluster = clusters.get(up.name)!;
    } else {
      const name = endpointKey(s.host, s.port);
      cluster = clusters.get(name);
      if (cluster === undefined) {
        const ep = prevEndpoint(name, name) ?? createEndpoint(s.host, s.port, 100);
        cluster = new SingleHostCluster(name, createBalancer(SINGLE_HOST_UPSTREAM, [ep]), s);
        clusters.set(name, cluster);
      }
    }
    services.set(s.id, {
      id: s.id,
      name: s.name ?? s.id,
      path: s.path,
      retries: s.retries,
      connectTimeout: s.connect_timeout,
      writeTimeout: s.write_timeout,
      readTimeout: s.read_timeout,
      cluster,
      upstreamTls:
        s.protocol === 'https' || s.protocol === 'wss' || s.protocol === 'grpcs' || s.protocol === 'tls'
          ? upstreamTls(s)
          : null,
      http2:
        s.protocol === 'grpc' ||
        s.protocol === 'grpcs' ||
        ((s.protocol === 'http' || s.protocol === 'https') && (s.tags ?? []).includes(UPSTREAM_HTTP2_TAG)),
    });
  }

  const specs: RouteSpec<CompiledRoute>[] = [];
  const streamSpecs: StreamRouteSpec<CompiledStreamRoute>[] = [];
  const streamMetrics = opts.streamMetrics ?? new StreamMetricsRegistry();
  const serviceProtocol = new Map(config.services.map((s) => [s.id, s.protocol]));
  let httpsOnlyRoutes = false;
  let grpcRoutes = false;
  config.routes.forEach((r, order) => {
    const service = r.service !== null ? (services.get(r.service.id) ?? null) : null;
    const name = r.name ?? r.id;
    if (r.protocols.some((p) => STREAM_PROTOCOLS.has(p))) {
      const proto = r.service !== null ? serviceProtocol.get(r.service.id) : undefined;
      if (proto !== undefined && proto !== 'tcp' && proto !== 'tls') {
        throw new Error(
          `route "${name}": stream routes proxy TCP; its service must have protocol 'tcp', or 'tls' for TLS from the gateway to the upstream (it has '${proto}')`,
        );
      }
      const data: CompiledStreamRoute = {
        id: r.id,
        name,
        service,
        metrics: streamMetrics.cell(service?.name ?? '', name),
      };
      streamSpecs.push({
        id: r.id,
        name: r.name,
        protocols: r.protocols,
        sources: r.sources,
        destinations: r.destinations,
        snis: r.snis,
        order,
        data,
      });
      return;
    }
    const compiled: CompiledRoute = {
      id: r.id,
      name,
      service,
      stripPath: r.strip_path,
      preserveHost: r.preserve_host,
      pathHandling: r.path_handling,
      metrics: opts.metrics.cell(service?.name ?? '', name),
      plugins: opts.plugins?.forRoute(r.id, r.service?.id ?? null) ?? null,
      httpsRedirectStatus: r.https_redirect_status_code,
      grpcOnly: r.protocols.every((p) => p === 'grpc' || p === 'grpcs'),
    };
    if (r.protocols.includes('https') && !r.protocols.includes('http')) httpsOnlyRoutes = true;
    if (r.protocols.includes('grpc') || r.protocols.includes('grpcs')) grpcRoutes = true;
    specs.push({
      id: r.id,
      name: r.name,
      protocols: r.protocols,
      methods: r.methods,
      hosts: r.hosts,
      paths: r.paths,
      headers: r.headers,
      regex_priority: r.regex_priority,
      order,
      data: compiled,
    });
  });

  return {
    hash,
    router: compileRouter(specs),
    streamRouter: compileStreamRouter(streamSpecs),
    clusters,
    routeCount: specs.length,
    serviceCount: services.size,
    consumers: new ConfigConsumers(config),
    tls: opts.tls !== undefined && (config.certificates?.length ?? 0) > 0 ? new SniContexts(config, opts.tls) : null,
    httpsOnlyRoutes,
    grpcRoutes,
  };
}

const STREAM_PROTOCOLS = new Set(['tcp', 'tls', 'tls_passthrough', 'udp']);

function compileStreamRouter(specs: StreamRouteSpec<CompiledStreamRoute>[]): StreamRouter<CompiledStreamRoute> {
  try {
    return new StreamRouter(specs);
  } catch (err) {
    throw new Error(`stream routes: ${(err as Error).message}`);
  }
}

/** Starts the new snapshot's health checks and stops those of clusters the reload dropped. */
export function activateSnapshot(next: Snapshot, previous: Snapshot | null): void {
  const live = new Set<HealthChecker>();
  for (const c of next.clusters.values()) {
    c.start();
    if (c instanceof UpstreamCluster) live.add(c.checker);
  }
  if (previous === null) return;
  for (const c of previous.clusters.values()) {
    if (c instanceof UpstreamCluster && live.has(c.checker)) continue;
    c.stop();
  }
}

export function stopSnapshot(s: Snapshot): void {
  for (const c of s.clusters.values()) c.stop();
}
