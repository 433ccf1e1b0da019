// A node's id: a UUID made on first start and kept in the prefix, so the node is the same one
// to the Admin API (GET /) and to a control plane across restarts.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function nodeId(prefix: string): string {
  const file = path.join(prefix, 'node_id');
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f-]{36}$/i.test(id)) return id;
  } catch {
    /* first start */
  }
  const id = randomUUID();
  fs.mkdirSync(prefix, { recursive: true });
  fs.writeFileSync(`${file}.tmp`, id + '\n');
  fs.renameSync(`${file}.tmp`, file);
  return id;
}
