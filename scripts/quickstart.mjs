// `npm start`: the gateway on examples/quickstart.yaml, with two demo upstreams it can reach
// offline. Ctrl-C stops all three.
import { spawn } from 'node:child_process';

const children = [];
function run(cmd, args, env = {}) {
  const c = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  children.push(c);
  return c;
}
run(process.execPath, ['examples/demo-upstream.mjs', '9001', 'demo-a']);
run(process.execPath, ['examples/demo-upstream.mjs', '9002', 'demo-b']);
const gw = run(process.execPath, ['bin/turnpike.js', 'start', '--config', 'examples/quickstart.yaml', ...process.argv.slice(2)], {
  TURNPIKE_PROXY_LISTEN: process.env.TURNPIKE_PROXY_LISTEN ?? '0.0.0.0:8000',
  TURNPIKE_ADMIN_LISTEN: process.env.TURNPIKE_ADMIN_LISTEN ?? '127.0.0.1:8001',
});
setTimeout(() => console.log('\nTry:  curl -i http://localhost:8000/demo/hello\n'), 1500).unref();
function stop() {
  for (const c of children) c.kill('SIGTERM');
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
gw.on('exit', (code) => {
  for (const c of children) if (c !== gw) c.kill('SIGTERM');
  process.exitCode = code ?? 0;
});
