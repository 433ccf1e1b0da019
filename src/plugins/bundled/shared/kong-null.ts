// Kong accepts `null` for a config field that is not `required` in its schema, even when the
// field has a default (Kong's own handlers then often fail on it). A field wrapped here says
// so: the registry drops such a `null` before validation, so the default is filled in
// (`x-null-is-default`, see validatePluginConfig in ../../registry.ts). Fields that Kong marks
// `required` are not wrapped, so `null` there is refused, as in Kong.
import type { TSchema } from '@sinclair/typebox';

export function NullIsDefault<T extends TSchema>(schema: T): T {
  return { ...schema, 'x-null-is-default': true };
}
