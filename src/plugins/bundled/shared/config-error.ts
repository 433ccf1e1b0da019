// The error a bundled plugin's `prepare` throws when a config passes its JSON schema but breaks
// a rule the schema cannot say (Kong's `custom_validator` and `entity_checks`: "message cannot
// be used with content_type or body", an invalid CIDR, a regex that does not compile).
// `field` is the dotted path relative to `config` ("" for the config as a whole), the same
// convention as the registry's PluginConfigError, so a loader can report it in place.

export class PluginConfigFieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(field === '' ? reason : `${field}: ${reason}`);
    this.name = 'PluginConfigFieldError';
  }
}

/** Compiles a user-supplied regular expression or throws a PluginConfigFieldError naming the field. */
export function compileRegex(source: string, field: string, flags = ''): RegExp {
  try {
    return new RegExp(source, flags);
  } catch {
    throw new PluginConfigFieldError(field, `'${source}' is not a valid regex`);
  }
}
