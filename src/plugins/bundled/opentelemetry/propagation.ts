// Which trace-context formats the plugin reads and writes, from Kong 3.x's two ways of saying
// it: the `propagation` record (3.7) and the older `header_type`. As Kong decides: the record
// is used as soon as one of its extract / clear / inject lists is set (an unset list is then
// empty: nothing read, cleared or written); otherwise `header_type` is mapped onto it, with
// the record's `default_format`. What `db_export` writes by default (a record of nulls with
// default_format w3c, header_type preserve) is therefore the `header_type` path.

import { PluginConfigFieldError } from '../shared/config-error.js';
import { SUPPORTED_FORMATS, type Format, type OpenTelemetryConfig } from './schema.js';

export interface Propagation {
  readonly extract: readonly Format[];
  /** Formats to write; 'preserve' is resolved per request. */
  readonly inject: readonly (Format | 'preserve')[];
  readonly defaultFormat: Format;
  readonly clear: readonly string[];
}

/**
 * The order Kong reads formats in for `header_type` (kong/observability/tracing/propagation),
 * restricted to the formats Turnpike implements: b3 before w3c.
 */
const LEGACY_EXTRACT: readonly Format[] = ['b3', 'w3c'];

/** Refuses a format Kong knows but Turnpike does not implement (the schema already refused unknown ones). */
function checkFormat(field: string, f: string, preserveAllowed: boolean): void {
  if (f === 'preserve' && preserveAllowed) return;
  if ((SUPPORTED_FORMATS as readonly string[]).includes(f)) return;
  const supported = [...(preserveAllowed ? ['preserve'] : []), ...SUPPORTED_FORMATS].join(', ');
  throw new PluginConfigFieldError(field, `'${f}' is not supported by turnpike (supported: ${supported})`);
}

export function resolvePropagation(c: OpenTelemetryConfig): Propagation {
  const p = c.propagation;
  if (p !== null && (p.extract !== null || p.clear !== null || p.inject !== null)) {
    const extract = p.extract ?? [];
    const inject = p.inject ?? [];
    extract.forEach((f, i) => checkFormat(`propagation.extract.${i}`, f, false));
    inject.forEach((f, i) => checkFormat(`propagation.inject.${i}`, f, true));
    checkFormat('propagation.default_format', p.default_format, false);
    return { extract, inject, defaultFormat: p.default_format, clear: p.clear ?? [] };
  }
  const defaultFormat = p?.default_format ?? 'w3c';
  checkFormat(p === null ? 'header_type' : 'propagation.default_format', defaultFormat, false);
  switch (c.header_type) {
    case 'preserve':
      return { extract: LEGACY_EXTRACT, inject: ['preserve'], defaultFormat, clear: [] };
    case 'ignore':
      // Kong: the incoming context is not read; a new trace is written in the default format.
      return { extract: [], inject: [defaultFormat], defaultFormat, clear: [] };
    default:
      checkFormat('header_type', c.header_type, true);
      // Kong writes the format that came in as well as the one named.
      return { extract: LEGACY_EXTRACT, inject: ['preserve', c.header_type], defaultFormat, clear: [] };
  }
}
