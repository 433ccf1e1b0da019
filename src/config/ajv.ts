// The one ajv set-up of the declarative loader: every error collected, Kong's defaults filled in.
import AjvModule from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv and ajv-formats are CommonJS; under NodeNext their default export is the module object.
const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as unknown as typeof AjvModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as typeof addFormatsModule.default;

let ajv: InstanceType<typeof Ajv> | undefined;

/** Compiles a JSON schema (once per schema: keep the result). */
export function compileSchema(schema: Record<string, unknown>) {
  ajv ??= (() => {
    const a = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true });
    addFormats(a);
    return a;
  })();
  return ajv.compile(schema);
}
