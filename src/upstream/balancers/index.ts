// Balancer factory: one implementation per Kong `upstream.algorithm`.
import type { Upstream } from '../../config/types.js';
import type { Balancer, Endpoint } from '../types.js';
import { ConsistentHashingBalancer } from './consistent-hashing.js';
import { LatencyBalancer } from './latency.js';
import { LeastConnectionsBalancer } from './least-connections.js';
import { RoundRobinBalancer } from './round-robin.js';

export { RoundRobinBalancer } from './round-robin.js';
export { LeastConnectionsBalancer } from './least-connections.js';
export { ConsistentHashingBalancer, buildWheel, DEFAULT_SLOTS } from './consistent-hashing.js';
export { LatencyBalancer, latencyCost, PENALTY } from './latency.js';
export { crc32, hashKey, mix32, usable, EWMA_DECAY_MS, FAILURE_RTT_MS } from './common.js';

/**
 * Builds the balancer for an upstream. The endpoints array is kept by reference (not
 * copied) and its order matters to nothing but tie-breaking; endpoint objects may be shared
 * with a previous balancer so inflight counts and EWMAs survive a reload.
 */
export function createBalancer(upstream: Upstream, endpoints: Endpoint[]): Balancer {
  switch (upstream.algorithm) {
    case 'round-robin':
    case undefined:
      return new RoundRobinBalancer(endpoints);
    case 'least-connections':
      return new LeastConnectionsBalancer(endpoints);
    case 'consistent-hashing':
      return new ConsistentHashingBalancer(upstream, endpoints);
    case 'latency':
      return new LatencyBalancer(endpoints);
    default:
      throw new Error(`upstream "${upstream.name}": unknown algorithm "${String(upstream.algorithm)}"`);
  }
}
