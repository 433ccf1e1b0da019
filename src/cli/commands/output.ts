// Output of the management commands: a table of the useful columns per kind, or the raw
// entities as JSON or YAML (a list for a collection, one object for one entity).
import { createRequire } from 'node:module';
import type { OutputFormat } from './admin-client.js';
import type { Column, NameLookup } from './kinds.js';

type Obj = Record<string, unknown>;

/** One cell: lists comma-joined, objects as JSON, nothing as '-'. */
export function cell(v: unknown): string {
  if (v === null || v === undefined || v === '') return '-';
  if (Array.isArray(v))
    return v.length === 0 ? '-' : v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  // One line per row: a value with a newline (a PEM) would break the columns.
  return String(v).replace(/\r?\n/g, '\\n');
}

/** Columns padded to their widest cell, two spaces apart; no trailing spaces. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function entityTable(columns: Column[], entities: Obj[], names: NameLookup): string {
  return formatTable(
    columns.map((c) => c.header),
    entities.map((e) => columns.map((c) => cell(c.value(e, names)))),
  );
}

/** JSON (2-space indent) or YAML of any value, ending with a newline. */
export function serialize(value: unknown, format: Exclude<OutputFormat, 'table'>): string {
  if (format === 'json') return JSON.stringify(value, null, 2) + '\n';
  // yaml (28 modules) is loaded for YAML output only: a table or JSON starts faster without it.
  const { stringify } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return stringify(value, { lineWidth: 0 });
}

/** Entities in the chosen format: `single` prints one object rather than a list. */
export function renderEntities(
  format: OutputFormat,
  columns: Column[],
  entities: Obj[],
  names: NameLookup,
  single = false,
): string {
  if (format === 'table') return entityTable(columns, entities, names);
  return serialize(single ? entities[0] : entities, format);
}
