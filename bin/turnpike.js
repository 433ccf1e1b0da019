#!/usr/bin/env node
// Thin launcher: the CLI is compiled TypeScript in dist/ (built by `npm install` via `prepare`).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/src/cli')) {
    console.error(
      'turnpike: the build output is missing. Run `npm install` (or `npm run build`) in the checkout first.',
    );
    process.exit(1);
  }
  throw err;
});
