// The hybrid-mode wire protocol between a control plane and its data planes: JSON messages,
// each in a frame of a 4-byte big-endian length and that many bytes of UTF-8, over mutual TLS
// (node:tls; see tls.ts).
//
//   data plane → control plane   hello  {node_id, hostname, version, config_hash, ping_interval_ms}   first frame
//                                ping   {config_hash}                               every cluster_ping_interval
//                                ack    {hash}          a pushed configuration was validated and is served
//                                nack   {hash, error}   it was refused; the previous one is still served
//   control plane → data plane   config {version, hash, config}   on connect and on every change
//                                pong   {}
//
// `config` is the declarative configuration as text (JSON, Kong's format); the data plane loads
// it with the same loader and checks as a file, so both sides compute the same `hash`.
import type { Socket } from 'node:net';

export type DataPlaneMessage =
  | {
      t: 'hello';
      node_id: string;
      hostname: string;
      version: string;
      config_hash: string | null;
      ping_interval_ms?: number;
    }
  | { t: 'ping'; config_hash: string | null }
  | { t: 'ack'; hash: string }
  | { t: 'nack'; hash: string; error: string };

export type ControlPlaneMessage = { t: 'config'; version: number; hash: string; config: string } | { t: 'pong' };

/** Larger frames are a protocol error (a configuration of this size is not plausible). */
export const MAX_FRAME = 256 * 1024 * 1024;

export function encode(msg: DataPlaneMessage | ControlPlaneMessage): Buffer {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

export class ProtocolError extends Error {}

/**
 * Splits a byte stream into messages; throws ProtocolError on a bad frame. Chunks are joined
 * once per frame, when it is complete (a large configuration arrives in many chunks).
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** The length of the frame being received, once its header is in; -1 before. */
  private need = -1;

  push(data: Buffer): unknown[] {
    this.chunks.push(data);
    this.size += data.length;
    const out: unknown[] = [];
    while (this.size >= 4) {
      if (this.need < 0) {
        if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
        const len = this.chunks[0]!.readUInt32BE(0);
        if (len > MAX_FRAME) throw new ProtocolError(`frame of ${len} bytes is larger than the limit of ${MAX_FRAME}`);
        this.need = len;
      }
      if (this.size < 4 + this.need) break;
      const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      let msg: unknown;
      try {
        msg = JSON.parse(buf.subarray(4, 4 + this.need).toString('utf8'));
      } catch {
        throw new ProtocolError('a frame is not valid JSON');
      }
      if (typeof msg !== 'object' || msg === null || typeof (msg as { t?: unknown }).t !== 'string')
        throw new ProtocolError('a frame is not a message (no "t")');
      out.push(msg);
      const rest = buf.subarray(4 + this.need);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
      this.need = -1;
    }
    return out;
  }
}

/** Reads messages from a socket: `onMessage` per message; a bad frame destroys the socket. */
export function readMessages(socket: Socket, onMessage: (msg: unknown) => void, onError: (err: Error) => void): void {
  const reader = new FrameReader();
  socket.on('data', (data: Buffer) => {
    let msgs: unknown[];
    try {
      msgs = reader.push(data);
    } catch (err) {
      onError(err as Error);
      socket.destroy();
      return;
    }
    for (const m of msgs) onMessage(m);
  });
}

export function send(socket: Socket, msg: DataPlaneMessage | ControlPlaneMessage): void {
  if (!socket.destroyed && socket.writable) socket.write(encode(msg));
}

const str = (v: unknown): v is string => typeof v === 'string';

/** Checks a message from a data plane; null when it is not one. */
export function asDataPlaneMessage(m: unknown): DataPlaneMessage | null {
  const o = m as Record<string, unknown>;
  switch (o.t) {
    case 'hello':
      return str(o.node_id) && str(o.hostname) && str(o.version) && (o.config_hash === null || str(o.config_hash))
        ? (o as DataPlaneMessage)
        : null;
    case 'ping':
      return o.config_hash === null || str(o.config_hash) ? (o as DataPlaneMessage) : null;
    case 'ack':
      return str(o.hash) ? (o as DataPlaneMessage) : null;
    case 'nack':
      return str(o.hash) && str(o.error) ? (o as DataPlaneMessage) : null;
    default:
      return null;
  }
}

/** Checks a message from a control plane; null when it is not one. */
export function asControlPlaneMessage(m: unknown): ControlPlaneMessage | null {
  const o = m as Record<string, unknown>;
  if (o.t === 'pong') return { t: 'pong' };
  if (o.t === 'config' && typeof o.version === 'number' && str(o.hash) && str(o.config))
    return o as ControlPlaneMessage;
  return null;
}
