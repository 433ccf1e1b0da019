// The normalized configuration model: what the loader hands to the snapshot compiler.
// Every nested entity is flattened into its top-level list, every reference is resolved to
// `{ id }`, and every field carries Kong's default when the file left it out.
// NOTE: these shapes are to be derived from the JSON Schemas in ./schema (TypeBox Static<>)
// so that the schema stays the single source of truth.

export type Ref = { id: string };

export interface Service {
  id: string;
  name: string | null;
  protocol: 'http' | 'https' | 'grpc' | 'grpcs' | 'tcp' | 'tls' | 'tls_passthrough' | 'udp' | 'ws' | 'wss';
  host: string;
  port: number;
  path: string | null;
  retries: number;
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  tags: string[];
  enabled: boolean;
}

export interface Route {
  id: string;
  name: string | null;
  service: Ref | null;
  protocols: string[];
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  headers: Record<string, string[]> | null;
  strip_path: boolean;
  preserve_host: boolean;
  regex_priority: number;
  path_handling: 'v0' | 'v1';
  https_redirect_status_code: number;
  request_buffering: boolean;
  response_buffering: boolean;
  tags: string[];
}

export interface HealthcheckHealthy { interval: number; successes: number; http_statuses: number[] }
export interface HealthcheckUnhealthy { interval: number; http_failures: number; tcp_failures: number; timeouts: number; http_statuses: number[] }
export interface ActiveHealthcheck {
  type: 'http' | 'https' | 'tcp' | 'grpc' | 'grpcs';
  http_path: string;
  timeout: number;
  concurrency: number;
  https_verify_certificate: boolean;
  https_sni: string | null;
  headers: Record<string, string[]> | null;
  healthy: HealthcheckHealthy;
  unhealthy: HealthcheckUnhealthy;
}
export interface PassiveHealthcheck {
  type: 'http' | 'https' | 'tcp' | 'grpc' | 'grpcs';
  healthy: { successes: number; http_statuses: number[] };
  unhealthy: { http_failures: number; tcp_failures: number; timeouts: number; http_statuses: number[] };
}
export interface Healthchecks { active: ActiveHealthcheck; passive: PassiveHealthcheck; threshold: number }

export type HashOn = 'none' | 'consumer' | 'ip' | 'header' | 'cookie' | 'path' | 'query_arg' | 'uri_capture';

export interface Upstream {
  id: string;
  name: string;
  algorithm: 'round-robin' | 'least-connections' | 'consistent-hashing' | 'latency';
  hash_on: HashOn;
  hash_fallback: HashOn;
  hash_on_header: string | null;
  hash_fallback_header: string | null;
  hash_on_cookie: string | null;
  hash_on_cookie_path: string;
  hash_on_query_arg: string | null;
  hash_fallback_query_arg: string | null;
  hash_on_uri_capture: string | null;
  hash_fallback_uri_capture: string | null;
  slots: number;
  healthchecks: Healthchecks;
  host_header: string | null;
  tags: string[];
}

export interface Target {
  id: string;
  upstream: Ref;
  target: string; // "host:port" (port defaults to 8000 as in Kong); IPv6 as "[::1]:port"
  weight: number;
  tags: string[];
}

export interface Consumer { id: string; username: string | null; custom_id: string | null; tags: string[] }

export interface Plugin {
  id: string;
  name: string;
  config: Record<string, unknown>;
  enabled: boolean;
  protocols: string[];
  service: Ref | null;
  route: Ref | null;
  consumer: Ref | null;
  ordering: { before?: { access?: string[] }; after?: { access?: string[] } } | null;
  tags: string[];
}

export interface Config {
  _format_version: string;
  services: Service[];
  routes: Route[];
  upstreams: Upstream[];
  targets: Target[];
  consumers: Consumer[];
  plugins: Plugin[];
}
