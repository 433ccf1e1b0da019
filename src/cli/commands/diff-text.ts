// How `turnpike diff` and `turnpike apply` show the changes diff.ts computes: decK-like text,
// a summary line, and values with secrets hidden and long texts (PEMs) shortened.
import type { Change } from './diff.js';

/** Fields whose values a diff never prints. */
const SECRET_FIELDS = new Set(['key', 'key_alt', 'password', 'secret', 'client_secret']);

export interface DiffSummary {
  create: number;
  update: number;
  delete: number;
}

export function summarize(changes: Change[]): DiffSummary {
  const s: DiffSummary = { create: 0, update: 0, delete: 0 };
  for (const c of changes) s[c.action]++;
  return s;
}

export function summaryLine(s: DiffSummary): string {
  return `${s.create} to create, ${s.update} to update, ${s.delete} to delete`;
}

/** A value as a diff shows it: JSON, secrets hidden, long texts (PEMs) shortened. */
export function showValue(field: string, v: unknown): string {
  if (SECRET_FIELDS.has(field) && v !== null && v !== undefined) return '(secret)';
  const s = JSON.stringify(v) ?? 'null';
  if (s.length <= 80) return s;
  return `${s.slice(0, 60)}… (${s.length} characters)`;
}

/** decK-like text: `+ service 'a'`, `~ route 'b'` with its changed fields, `- plugin 'c' ...`. */
export function formatChanges(changes: Change[]): string {
  const lines: string[] = [];
  for (const c of changes) {
    const sign = c.action === 'create' ? '+' : c.action === 'update' ? '~' : '-';
    lines.push(`${sign} ${c.action} ${c.label}`);
    for (const f of c.fields ?? []) {
      // A secret that changed is shown as changed, its values never.
      const both = SECRET_FIELDS.has(f.field)
        ? '(secret changed)'
        : `${showValue(f.field, f.from)} → ${showValue(f.field, f.to)}`;
      lines.push(`    ${f.field}: ${both}`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
