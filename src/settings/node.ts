// Node settings: flags win over environment variables (TURNPIKE_<NAME>), which win over
// defaults. Names follow kong.conf so a Kong user's settings carry over. Every bad value is
// reported with the setting's name and what would be valid. This module sits below every
// layer that reads the settings (cli, process, control, engine, observe) and imports none of
// them; its parts: listen.ts, tls.ts, database.ts, cluster.ts, values.ts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { resolveTlsOptions, type TlsOptions } from './tls.js';
import { DATABASE_SETTING_NAMES, databaseSettings, DatabaseSettingsError, type DatabaseSettings } from './database.js';
import { parseListen, parseStreamListen, type ListenAddress } from './listen.js';
import { clusterSettings, type ClusterSettings } from './cluster.js';
import { int, oneOf, SettingsError, type RawSettings } from './values.js';

export interface Settings {
  config: string | null;
  database: 'off' | 'sqlite' | 'postgres';
  /** Where the store is (SQLite file, PostgreSQL settings); null when database is off. */
  db: DatabaseSettings | null;
  prefix: string;
  proxyListen: ListenAddress[];
  adminListen: ListenAddress[];
  /** Largest Admin API request body, bytes (a whole POST /config must fit); more gets a 413. */
  adminMaxBodySize: number;
  /** An admin-role Admin API token that is not stored (admin_token, or the content of admin_token_file); null = none. */
  adminToken: string | null;
  statusListen: ListenAddress[];
  /** Kong's stream_listen: L4 listeners for tcp / tls_passthrough routes; empty = off. */
  streamListen: ListenAddress[];
  workers: number;
  role: 'traditional' | 'control_plane' | 'data_plane';
  trustedIps: string[];
  /** File path, "stdout", "stderr" or "off". */
  proxyAccessLog: string;
  /** Kong's log_level; src/observe/logger.ts maps it onto pino's levels. */
  logLevel: 'debug' | 'info' | 'notice' | 'warn' | 'error' | 'crit' | 'alert' | 'emerg';
  /** The process log's format: text on a terminal, JSON otherwise (auto), or always json / text. */
  logFormat: 'auto' | 'json' | 'text';
  maxHeaderSize: number;
  clientKeepaliveTimeout: number;
  clientTimeout: number;
  upstreamKeepalivePoolSize: number;
  upstreamKeepaliveMaxRequests: number;
  upstreamKeepaliveIdleTimeout: number;
  drainTimeout: number;
  passiveRecoveryTimeout: number;
  /** Largest request body plugins may buffer (readBody/setBody), bytes; more gets a 413. */
  clientBodyBufferLimit: number;
  /** Kong's `plugins`: "bundled", paths and npm package names, comma-separated; "off" for none. */
  plugins: string;
  /** Default certificate(s) of TLS listeners: file paths or inline PEM (kong.conf ssl_cert / ssl_cert_key). Empty = self-signed in the prefix. */
  sslCert: string[];
  sslCertKey: string[];
  /** Protocol versions and ciphers of TLS listeners (ssl_protocols, ssl_cipher_suite, ssl_ciphers). */
  tls: TlsOptions;
  /** HTTP/2 listeners: streams one client connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
  http2MaxConcurrentStreams: number;
  /** HTTP/2 listeners: streams a client may reset (or cancel before the response ends) per 10 s before its connection gets GOAWAY (rapid reset). */
  http2MaxResets: number;
  /** Hybrid mode (Kong's cluster_* settings); see src/control/cluster/. */
  cluster: ClusterSettings;
}

const KNOWN = [
  'declarative_config',
  'database',
  'prefix',
  'proxy_listen',
  'admin_listen',
  'status_listen',
  'workers',
  'role',
  'trusted_ips',
  'proxy_access_log',
  'log_level',
  'log_format',
  'max_header_size',
  'keepalive_timeout',
  'client_timeout',
  'upstream_keepalive_pool_size',
  'upstream_keepalive_max_requests',
  'upstream_keepalive_idle_timeout',
  'drain_timeout',
  'passive_recovery_timeout',
  'plugins',
  'client_body_buffer_limit',
  'stream_listen',
  'ssl_cert',
  'ssl_cert_key',
  'ssl_protocols',
  'ssl_cipher_suite',
  'ssl_ciphers',
  'http2_max_concurrent_streams',
  'http2_max_resets',
  'admin_token',
  'admin_token_file',
  'admin_max_body_size',
  'cluster_listen',
  'cluster_control_plane',
  'cluster_cert',
  'cluster_cert_key',
  'cluster_mtls',
  'cluster_ca_cert',
  'cluster_server_name',
  'cluster_ping_interval',
  'cluster_max_reconnect_delay',
  ...DATABASE_SETTING_NAMES,
] as const;

export function rawFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const raw: RawSettings = {};
  for (const k of KNOWN) {
    const v = env['TURNPIKE_' + k.toUpperCase()];
    if (v !== undefined && v !== '') raw[k] = v;
  }
  return raw;
}

export function resolveSettings(raw: RawSettings): Settings {
  const config = raw.declarative_config ?? null;
  const prefix = path.resolve(raw.prefix ?? './.turnpike');
  // A data plane has no database (Kong's DP runs with database=off): off is its default.
  const database = oneOf('database', raw.database, config !== null || raw.role === 'data_plane' ? 'off' : 'sqlite', [
    'off',
    'sqlite',
    'postgres',
  ] as const);
  const trustedIps = (raw.trusted_ips ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const t of trustedIps) {
    if (t === 'unix:') continue;
    const [ip, bits] = t.split('/');
    if (!net.isIP(ip) || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new SettingsError(
        `trusted_ips: "${t}" is not an IP address or CIDR block (e.g. 10.0.0.0/8, ::1, 0.0.0.0/0,::/0)`,
      );
    }
  }
  let tls: TlsOptions;
  try {
    tls = resolveTlsOptions(raw.ssl_protocols, raw.ssl_cipher_suite, raw.ssl_ciphers);
  } catch (err) {
    throw new SettingsError((err as Error).message);
  }
  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  let db: DatabaseSettings | null = null;
  try {
    if (database !== 'off') db = databaseSettings(database, prefix, raw);
  } catch (err) {
    if (err instanceof DatabaseSettingsError) throw new SettingsError(err.message);
    throw err;
  }
  let adminToken = raw.admin_token ?? null;
  if (raw.admin_token_file !== undefined) {
    if (adminToken !== null) throw new SettingsError('admin_token and admin_token_file are both set; give one of them');
    try {
      adminToken = fs.readFileSync(path.resolve(raw.admin_token_file), 'utf8').trim();
    } catch (err) {
      throw new SettingsError(`admin_token_file: cannot read "${raw.admin_token_file}": ${(err as Error).message}`);
    }
  }
  if (adminToken !== null && adminToken.length < 16)
    throw new SettingsError('admin_token: must be at least 16 characters (e.g. `openssl rand -hex 32`)');
  const accessLog = raw.proxy_access_log ?? path.join(prefix, 'logs', 'access.log');
  return {
    config,
    database,
    db,
    prefix,
    proxyListen: parseListen('proxy_listen', raw.proxy_listen ?? '0.0.0.0:8000, 0.0.0.0:8443 ssl http2'),
    adminListen: parseListen('admin_listen', raw.admin_listen ?? '127.0.0.1:8001'),
    adminToken,
    adminMaxBodySize: int('admin_max_body_size', raw.admin_max_body_size, 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    statusListen: parseListen('status_listen', raw.status_listen ?? '127.0.0.1:8100'),
    streamListen: parseStreamListen(raw.stream_listen ?? 'off'),
    workers:
      raw.workers === 'auto'
        ? os.availableParallelism()
        : int('workers', raw.workers, os.availableParallelism(), 1, 256),
    role: oneOf('role', raw.role, 'traditional', ['traditional', 'control_plane', 'data_plane'] as const),
    trustedIps,
    proxyAccessLog:
      accessLog === 'off'
        ? 'off'
        : accessLog === 'stdout' || accessLog === 'stderr'
          ? accessLog
          : path.resolve(prefix, accessLog),
    logLevel: oneOf('log_level', raw.log_level, 'info', [
      'debug',
      'info',
      'notice',
      'warn',
      'error',
      'crit',
      'alert',
      'emerg',
    ] as const),
    logFormat: oneOf('log_format', raw.log_format, 'auto', ['auto', 'json', 'text'] as const),
    maxHeaderSize: int('max_header_size', raw.max_header_size, 16 * 1024, 1024, 1024 * 1024),
    clientKeepaliveTimeout: int('keepalive_timeout', raw.keepalive_timeout, 60, 1, 86400) * 1000,
    clientTimeout: int('client_timeout', raw.client_timeout, 60, 1, 86400) * 1000,
    upstreamKeepalivePoolSize: int('upstream_keepalive_pool_size', raw.upstream_keepalive_pool_size, 512, 0, 100000),
    upstreamKeepaliveMaxRequests: int(
      'upstream_keepalive_max_requests',
      raw.upstream_keepalive_max_requests,
      10000,
      1,
      100000000,
    ),
    upstreamKeepaliveIdleTimeout:
      int('upstream_keepalive_idle_timeout', raw.upstream_keepalive_idle_timeout, 60, 1, 86400) * 1000,
    drainTimeout: int('drain_timeout', raw.drain_timeout, 10, 0, 3600) * 1000,
    passiveRecoveryTimeout: int('passive_recovery_timeout', raw.passive_recovery_timeout, 0, 0, 86400),
    plugins: raw.plugins ?? 'bundled',
    clientBodyBufferLimit: int(
      'client_body_buffer_limit',
      raw.client_body_buffer_limit,
      8 * 1024 * 1024,
      1024,
      1024 * 1024 * 1024,
    ),
    sslCert: list(raw.ssl_cert).map((p) => (p.includes('-----BEGIN ') ? p : path.resolve(p))),
    sslCertKey: list(raw.ssl_cert_key).map((p) => (p.includes('-----BEGIN ') ? p : path.resolve(p))),
    tls,
    http2MaxConcurrentStreams: int('http2_max_concurrent_streams', raw.http2_max_concurrent_streams, 128, 1, 65535),
    http2MaxResets: int('http2_max_resets', raw.http2_max_resets, 100, 1, 1000000),
    cluster: clusterSettings(raw),
  };
}

export const SETTING_NAMES = KNOWN;
