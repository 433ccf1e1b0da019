export { HealthChecker, type HealthCheckerOptions, type HealthChangeListener } from './checker.js';
export { probeTarget, type ProbeResult, type ProbeOptions } from './probe.js';
