// `turnpike validate FILE`: loads a declarative file and reports every error, or a summary.
import { nodeRegistry } from '../../plugins/node-registry.js';
import { compilePluginChains } from '../../plugins/chain/compile.js';
import { formatConfigErrors, formatConfigWarnings, loadDeclarativeFile } from '../../config/load.js';

interface Writable {
  write(chunk: string): unknown;
}

export async function runValidate(
  file: string,
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  let registry;
  try {
    registry = await nodeRegistry(process.env.TURNPIKE_PLUGINS ?? 'bundled');
  } catch (e) {
    err.write(`turnpike: error: plugins: ${(e as Error).message}\n`);
    return 1;
  }
  const result = await loadDeclarativeFile(file, registry);
  if (!result.ok) {
    const n = result.errors.length;
    err.write(
      `${formatConfigErrors(result.errors, file)}\nturnpike: error: ${file}: ${n} error${n === 1 ? '' : 's'}; fix ${n === 1 ? 'it' : 'them'} and run \`turnpike validate ${file}\` again\n`,
    );
    return 1;
  }
  try {
    // Plugin ordering cycles and plugin `prepare` failures are only found by compiling.
    // Warnings (e.g. a grpc-gateway .proto not there yet) do not fail validation.
    for (const w of compilePluginChains(result.config, registry).warnings) err.write(`${file}: warning: ${w}\n`);
  } catch (e) {
    err.write(`${file}: ${(e as Error).message}\nturnpike: error: ${file}: 1 error\n`);
    return 1;
  }
  // Warnings go with the errors (stderr); the file is valid all the same (exit 0).
  if (result.warnings.length > 0) err.write(`${formatConfigWarnings(result.warnings, file)}\n`);
  const c = result.config;
  out.write(
    `${file}: OK (${c.services.length} services, ${c.routes.length} routes, ${c.upstreams.length} upstreams, ${c.plugins.length} plugins, ${c.consumers.length} consumers${(c.certificates?.length ?? 0) > 0 ? `, ${c.certificates!.length} certificates, ${c.snis?.length ?? 0} snis` : ''}${result.warnings.length > 0 ? `; ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}` : ''})\n`,
  );
  return 0;
}
