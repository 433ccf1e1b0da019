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
// One line that says what to do instead of an unhandled 'error' event and its stack trace.
server.on('error', (err) => {
  const what = err.code === 'EADDRINUSE'
    ? `port ${port} is in use by another process: stop it or set TURNPIKE_DEMO_PORTS to free ports (npm start), e.g. TURNPIKE_DEMO_PORTS=9101,9102`
    : `demo upstream "${name}" cannot listen on 127.0.0.1:${port}: ${err.message}`;
  process.stderr.write(`turnpike: error: ${what}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => console.log(`demo upstream "${name}" listening on http://127.0.0.1:${port}`));
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// Started by npm start (scripts/quickstart.mjs) with an IPC channel: it closes when the
// launcher dies, even by SIGKILL, and the demo upstream goes with it.
if (process.send !== undefined) process.on('disconnect', stop);
