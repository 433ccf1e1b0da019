// `turnpike validate FILE`: loads a declarative file and reports every error, or a summary.
import { bundledRegistry } from '../../plugins/registry.js';
import { formatConfigErrors, loadDeclarativeFile } from '../../config/load.js';

interface Writable {
  write(chunk: string): unknown;
}

export async function runValidate(file: string, out: Writable = process.stdout, err: Writable = process.stderr): Promise<number> {
  const result = await loadDeclarativeFile(file, bundledRegistry());
  if (!result.ok) {
    const n = result.errors.length;
    err.write(`${formatConfigErrors(result.errors, file)}\n${file}: ${n} error${n === 1 ? '' : 's'}\n`);
    return 1;
  }
  const c = result.config;
  out.write(
    `${file}: OK (${c.services.length} services, ${c.routes.length} routes, ${c.upstreams.length} upstreams, ${c.plugins.length} plugins, ${c.consumers.length} consumers)\n`,
  );
  return 0;
}
