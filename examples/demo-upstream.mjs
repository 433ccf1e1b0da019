// A small upstream for the quick start: answers every request with a JSON echo of what it
// received, so you can see what the gateway forwarded (path, headers, X-Forwarded-*).
// Usage: node examples/demo-upstream.mjs [port] [name]
import http from 'node:http';

const port = Number(process.argv[2] ?? process.env.DEMO_PORT ?? 9001);
const name = process.argv[3] ?? process.env.DEMO_NAME ?? `demo-${port}`;

const server = http.createServer((req, res) => {
  let size = 0;
  req.on('data', (c) => (size += c.length));
  req.on('end', () => {
    const body = JSON.stringify({ upstream: name, method: req.method, url: req.url, headers: req.headers, body_bytes: size }, null, 2) + '\n';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(port, '127.0.0.1', () => console.log(`demo upstream "${name}" listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
