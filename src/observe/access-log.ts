// JSON access log, one line per request. Lines are appended to an in-memory buffer and
// written by sonic-boom asynchronously in large writes, so logging never blocks a request.
// If the destination is slower than the traffic, sonic-boom's buffer grows up to maxLength
// and then drops lines (counted and reported) rather than stalling the proxy.

import sonicBoom from 'sonic-boom';

// sonic-boom is CommonJS; under NodeNext its default export is the module object.
const SonicBoom = (sonicBoom as unknown as { SonicBoom: typeof sonicBoom.SonicBoom }).SonicBoom ?? sonicBoom;
type SonicBoom = InstanceType<typeof SonicBoom>;
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface AccessLogEntry {
  requestId: string;
  clientIp: string;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  upstreamLatencyMs: number;
  target: string;
  bytesIn: number;
  bytesOut: number;
  service: string;
  route: string;
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;
function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

let lastMs = 0;
let lastIso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

export class AccessLog {
  private readonly out: SonicBoom;
  dropped = 0;

  /** `destination`: a file path, or "stdout" / "stderr". */
  constructor(destination: string) {
    if (destination === 'stdout' || destination === '/dev/stdout') this.out = new SonicBoom({ fd: 1, sync: false, minLength: 0 });
    else if (destination === 'stderr' || destination === '/dev/stderr') this.out = new SonicBoom({ fd: 2, sync: false, minLength: 0 });
    else {
      mkdirSync(dirname(destination), { recursive: true });
      // minLength batches lines into writes of ~8 KiB; the periodic flush bounds the delay.
      this.out = new SonicBoom({ dest: destination, sync: false, minLength: 8 * 1024, maxLength: 64 * 1024 * 1024, append: true, mkdir: true });
      const t = setInterval(() => this.flush(), 500);
      t.unref();
    }
    this.out.on('error', () => {
      this.dropped++;
    });
    this.out.on('drop', () => {
      this.dropped++;
    });
  }

  write(e: AccessLogEntry): void {
    const line =
      '{"time":"' + isoNow() +
      '","request_id":"' + e.requestId +
      '","client_ip":"' + e.clientIp +
      '","method":' + str(e.method) +
      ',"path":' + str(e.path) +
      ',"status":' + e.status +
      ',"latency_ms":' + e.latencyMs.toFixed(3) +
      ',"upstream_latency_ms":' + (e.upstreamLatencyMs < 0 ? 'null' : e.upstreamLatencyMs.toFixed(3)) +
      ',"target":' + (e.target === '' ? 'null' : str(e.target)) +
      ',"bytes_in":' + e.bytesIn +
      ',"bytes_out":' + e.bytesOut +
      ',"service":' + (e.service === '' ? 'null' : str(e.service)) +
      ',"route":' + (e.route === '' ? 'null' : str(e.route)) +
      '}\n';
    // The return value is only a high-water hint; lines over maxLength are reported via 'drop'.
    this.out.write(line);
  }

  flush(): void {
    try {
      this.out.flush();
    } catch {
      // flush throws while the file is still opening; the next tick retries
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.out.flushSync();
      } catch {
        /* nothing buffered or not open yet */
      }
      this.out.end();
      this.out.once('close', () => resolve());
      setTimeout(resolve, 1000).unref();
    });
  }
}
