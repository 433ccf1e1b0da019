// What one active probe found, for the health checker. Its own file because both probe.ts
// and grpc-probe.ts produce it (and probe.ts runs grpc-probe.ts).

export type ProbeResult =
  | { kind: 'status'; status: number }
  | { kind: 'connected' }
  /** A gRPC health check answered: SERVING or not (detail says what came back). */
  | { kind: 'grpc'; serving: boolean; detail: string }
  | { kind: 'tcp_failure'; error: string }
  | { kind: 'timeout' };
