// After `npm install`: node_modules/.bin/turnpike → bin/turnpike.js, so that `npx turnpike` in
// the checkout runs the built command at once. Without it npx does not see the checkout's own
// command: it installs a copy of the checkout into its cache and builds it again (13–22 s,
// silently) before every first run.
import { lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';

const link = 'node_modules/.bin/turnpike';
mkdirSync('node_modules/.bin', { recursive: true });
try {
  if (lstatSync(link)) unlinkSync(link);
} catch {
  // not there yet
}
symlinkSync('../../bin/turnpike.js', link);
console.log('turnpike: ready. `npm start` runs the gateway on examples/quickstart.yaml; `npx turnpike --help` lists the commands.');
