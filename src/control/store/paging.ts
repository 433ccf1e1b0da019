// Kong's list options: `size` (1..1000, default 100), an opaque `offset` cursor handed out with
// the previous page, and the `tags` filter (`a,b`: every tag; `a/b`: any of them).
import { InvalidOffset, InvalidOptions, InvalidSize } from './errors.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export function pageSize(size: unknown): number {
  if (size === undefined || size === null || size === '') return DEFAULT_PAGE_SIZE;
  const n = typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : size;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new InvalidSize(size);
  return n;
}

// The cursor is the last id of the page (pages are ordered by id), base64url-encoded so that
// clients treat it as opaque and it survives any URL.
export function encodeOffset(lastId: string): string {
  return Buffer.from(JSON.stringify([lastId])).toString('base64url');
}

export function decodeOffset(offset: string): string {
  try {
    const v = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string' && v[0] !== '') return v[0];
  } catch {
    /* falls through */
  }
  throw new InvalidOffset(offset);
}

export interface TagsFilter {
  tags: string[];
  mode: 'and' | 'or';
}

/** Parses Kong's `tags` query value; mixing ',' and '/' is refused as Kong does. */
export function parseTags(value: string | undefined | null): TagsFilter | null {
  if (value === undefined || value === null || value === '') return null;
  const and = value.includes(',');
  const or = value.includes('/');
  if (and && or)
    throw new InvalidOptions(
      "invalid option (tags: cannot mix 'and' and 'or'): use 'a,b' for every tag or 'a/b' for any of them",
    );
  const tags = value.split(and ? ',' : '/').map((t) => t.trim());
  if (tags.some((t) => t === '')) throw new InvalidOptions(`invalid option (tags: '${value}' has an empty tag)`);
  if (tags.length > 5) throw new InvalidOptions('invalid option (tags: cannot query more than 5 tags)');
  return { tags, mode: or ? 'or' : 'and' };
}

/** The stored form of an entity's tags: ",a,b," so that one LIKE finds a whole tag. */
export function tagsColumn(tags: unknown): string {
  return Array.isArray(tags) && tags.length > 0 ? `,${tags.join(',')},` : ',';
}

/** A LIKE pattern for one tag, with LIKE's wildcards escaped (ESCAPE '\'). */
export function tagPattern(tag: string): string {
  return `%,${tag.replace(/[\\%_]/g, (c) => `\\${c}`)},%`;
}
