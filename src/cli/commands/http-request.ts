// One HTTP request with node:http / node:https, for the Admin API commands. The global fetch
// loads Node's bundled undici on its first call (≈ 60–100 ms), a large share of a command
// such as `turnpike get services` that should answer in a few hundred milliseconds.
import http from 'node:http';
import https from 'node:https';

export interface HttpReply {
  status: number;
  statusText: string;
  text: string;
}

/** Rejects with the socket error (its `code`: ECONNREFUSED…) or an Error named TimeoutError. */
export function httpRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : null;
    if (mod === null) return reject(new Error(`unsupported URL scheme ${u.protocol} (http: or https:)`));
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
    const req = mod.request(u, { method, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () =>
      req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), { name: 'TimeoutError' })),
    );
    req.on('error', reject);
    req.end(body);
  });
}
