// Load generators: wrk (throughput) and hey (latency at a fixed rate), with parsers that
// tolerate the variations of their output.
import { pinned, runCommand } from './proc.js';

export interface WrkResult {
  command: string[];
  requests: number;
  durationS: number;
  rps: number;
  latencyMs: { p50?: number; p75?: number; p90?: number; p99?: number; avg?: number };
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  errors: number;
  raw: string;
}

export interface HeyResult {
  command: string[];
  rps: number;
  total: number;
  latencyMs: {
    p10?: number;
    p25?: number;
    p50?: number;
    p75?: number;
    p90?: number;
    p95?: number;
    p99?: number;
    avg?: number;
  };
  statusCodes: Record<string, number>;
  non2xx: number;
  socketErrors: number;
  errors: number;
  raw: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1.23ms" / "850.00us" / "2.1s" → milliseconds. */
export function parseWrkDuration(s: string): number | undefined {
  const m = /^([\d.]+)\s*(us|µs|ms|s|m|h)$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** "12.5k" → 12500 (wrk abbreviates counts). */
function parseCount(s: string): number {
  const m = /^([\d.]+)([kKmMgG]?)$/.exec(s.trim());
  if (!m) return Number.NaN;
  const mult = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

export function parseWrk(raw: string): Omit<WrkResult, 'command' | 'raw'> {
  const rpsM = /Requests\/sec:\s*([\d.]+)/.exec(raw);
  const totM = /([\d.]+[kMG]?)\s+requests in\s+([\d.]+\s*(?:us|ms|s|m|h))/.exec(raw);
  const latencyMs: WrkResult['latencyMs'] = {};
  const distIdx = raw.indexOf('Latency Distribution');
  if (distIdx >= 0) {
    const re = /^\s*(50|75|90|99(?:\.\d+)?)%\s+([\d.]+\s*(?:us|µs|ms|s|m|h))\s*$/gm;
    re.lastIndex = distIdx;
    for (let m = re.exec(raw); m; m = re.exec(raw)) {
      const v = parseWrkDuration(m[2]!);
      if (v === undefined) continue;
      if (m[1] === '50') latencyMs.p50 = v;
      else if (m[1] === '75') latencyMs.p75 = v;
      else if (m[1] === '90') latencyMs.p90 = v;
      else if (m[1] === '99') latencyMs.p99 = v;
    }
  }
  const avgM = /^\s*Latency\s+([\d.]+\s*(?:us|µs|ms|s|m|h))/m.exec(raw);
  if (avgM) latencyMs.avg = parseWrkDuration(avgM[1]!);
  const sockM = /Socket errors:\s*connect\s+(\d+),\s*read\s+(\d+),\s*write\s+(\d+),\s*timeout\s+(\d+)/.exec(raw);
  const socketErrors = sockM
    ? { connect: Number(sockM[1]), read: Number(sockM[2]), write: Number(sockM[3]), timeout: Number(sockM[4]) }
    : { connect: 0, read: 0, write: 0, timeout: 0 };
  const non2xxM = /Non-2xx or 3xx responses:\s*(\d+)/.exec(raw);
  const non2xx = non2xxM ? Number(non2xxM[1]) : 0;
  const requests = totM ? parseCount(totM[1]!) : Number.NaN;
  return {
    requests,
    durationS: totM ? (parseWrkDuration(totM[2]!) ?? Number.NaN) / 1000 : Number.NaN,
    rps: rpsM ? Number(rpsM[1]) : Number.NaN,
    latencyMs,
    non2xx,
    socketErrors,
    errors: non2xx + socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout,
  };
}

export function parseHey(raw: string): Omit<HeyResult, 'command' | 'raw'> {
  const rpsM = /Requests\/sec:\s*([\d.]+)/.exec(raw);
  const avgM = /Average:\s*([\d.]+)\s*secs/.exec(raw);
  const latencyMs: HeyResult['latencyMs'] = {};
  if (avgM) latencyMs.avg = Number(avgM[1]) * 1000;
  const distIdx = raw.indexOf('Latency distribution');
  if (distIdx >= 0) {
    const re = /^\s*(\d+)%\s+in\s+([\d.]+)\s*secs/gm;
    re.lastIndex = distIdx;
    for (let m = re.exec(raw); m; m = re.exec(raw)) {
      const key = `p${m[1]}` as keyof HeyResult['latencyMs'];
      latencyMs[key] = Number(m[2]) * 1000;
    }
  }
  const statusCodes: Record<string, number> = {};
  const stIdx = raw.indexOf('Status code distribution');
  if (stIdx >= 0) {
    const re = /^\s*\[(\d+)\]\s+(\d+)\s+responses/gm;
    re.lastIndex = stIdx;
    for (let m = re.exec(raw); m; m = re.exec(raw)) statusCodes[m[1]!] = Number(m[2]);
  }
  let socketErrors = 0;
  const errIdx = raw.indexOf('Error distribution');
  if (errIdx >= 0) {
    const re = /^\s*\[(\d+)\]\s+\S/gm;
    re.lastIndex = errIdx;
    for (let m = re.exec(raw); m; m = re.exec(raw)) socketErrors += Number(m[1]);
  }
  let total = 0;
  let non2xx = 0;
  for (const [code, n] of Object.entries(statusCodes)) {
    total += n;
    if (!code.startsWith('2')) non2xx += n;
  }
  return {
    rps: rpsM ? Number(rpsM[1]) : Number.NaN,
    total,
    latencyMs,
    statusCodes,
    non2xx,
    socketErrors,
    errors: non2xx + socketErrors,
  };
}

export interface LoadSettings {
  cpu: number;
  durationS: number;
  wrkThreads: number;
  wrkConnections: number;
  heyConcurrency: number;
  heyRatePerWorker: number;
}

export function wrkCommand(url: string, s: LoadSettings, durationS = s.durationS): string[] {
  return pinned(s.cpu, ['wrk', `-t${s.wrkThreads}`, `-c${s.wrkConnections}`, `-d${durationS}s`, '--latency', url]);
}

export function heyCommand(url: string, s: LoadSettings): string[] {
  return pinned(s.cpu, [
    'hey',
    '-z',
    `${s.durationS}s`,
    '-c',
    String(s.heyConcurrency),
    '-q',
    String(s.heyRatePerWorker),
    url,
  ]);
}

export async function runWrk(url: string, s: LoadSettings, durationS = s.durationS): Promise<WrkResult> {
  const command = wrkCommand(url, s, durationS);
  const r = await runCommand(command, (durationS + 30) * 1000);
  const raw = r.stdout + (r.stderr ? `\n[stderr]\n${r.stderr}` : '');
  if (r.code !== 0) throw new Error(`wrk exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  const parsed = parseWrk(r.stdout);
  if (!Number.isFinite(parsed.rps)) throw new Error(`could not read wrk's output:\n${raw}`);
  return { command, raw, ...parsed };
}

export async function runHey(url: string, s: LoadSettings): Promise<HeyResult> {
  const command = heyCommand(url, s);
  const r = await runCommand(command, (s.durationS + 60) * 1000);
  const raw = r.stdout + (r.stderr ? `\n[stderr]\n${r.stderr}` : '');
  if (r.code !== 0) throw new Error(`hey exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  const parsed = parseHey(r.stdout);
  if (parsed.latencyMs.p99 === undefined && parsed.socketErrors === 0)
    throw new Error(`could not read hey's output:\n${raw}`);
  return { command, raw, ...parsed };
}
