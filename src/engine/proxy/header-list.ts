// The response phase's header list (ResponseApi): the response head as editable name/value
// pairs, for upstream answers and gateway-made ones alike.

import type { HeaderMap, ResponseApi } from '../../plugins/sdk.js';
import { checkedName, checkValue } from './header-rules.js';

/** Adds a header to a Kong-style map: lower-case names, repeated headers as arrays. */
export function addToMap(map: HeaderMap, lname: string, value: string): void {
  const cur = map[lname];
  if (cur === undefined) map[lname] = value;
  else if (typeof cur === 'string') map[lname] = [cur, value];
  else cur.push(value);
}

/**
 * A response head as editable name/value pairs (response phase only). The upstream's header
 * lines stay an unparsed string until a plugin reads or replaces one of them: the usual edit,
 * adding headers the upstream did not send, then costs a search instead of a parse and a
 * re-serialisation of every header (measured on the rate-limiting response phase).
 */
export class HeaderList implements ResponseApi {
  /** Upstream lines not parsed yet ("Name: value\r\n"…); '' once parsed (or when there were none). */
  private raw: string;
  /** `raw` lower-cased, with a leading CRLF, for searching; built on the first lookup. */
  private rawLower: string | null = null;
  /** The headers: parsed upstream ones (once parsed) then additions, in order. */
  readonly names: string[] = [];
  readonly values: string[] = [];

  /** Bit (length % 32) set for each name length in `raw` (ResponseHead.nameLengths); all set when unknown. */
  private readonly rawNameLengths: number;

  constructor(
    public status: number,
    raw = '',
    rawNameLengths = -1,
  ) {
    this.raw = raw;
    this.rawNameLengths = rawNameLengths;
  }

  setStatus(status: number): void {
    if (!Number.isInteger(status) || status < 200 || status > 599)
      throw new Error(`setStatus: invalid status ${status}; use an integer from 200 to 599`);
    if (this.status === 101) throw new Error('setStatus: a WebSocket handshake (101) keeps its status');
    this.status = status;
  }

  /** The upstream lines not parsed yet (they go before `names`/`values` on the wire). */
  get rawLines(): string {
    return this.raw;
  }

  static fromLines(status: number, lines: string, nameLengths = -1): HeaderList {
    return new HeaderList(status, lines, nameLengths);
  }

  /** Whether the unparsed upstream lines hold a header named `lname`. */
  private inRaw(lname: string): boolean {
    if (this.raw === '' || (this.rawNameLengths & (1 << (lname.length & 31))) === 0) return false;
    const low = (this.rawLower ??= '\n' + this.raw.toLowerCase());
    // Occurrences of the name that start a line and end at its colon (no pattern string built).
    for (let at = low.indexOf(lname, 1); at !== -1; at = low.indexOf(lname, at + 1)) {
      if (low.charCodeAt(at - 1) === 10 /* \n */ && low.charCodeAt(at + lname.length) === 58 /* : */) return true;
    }
    return false;
  }

  /** Parses the upstream lines in front of the additions made so far. */
  private parse(): void {
    const lines = this.raw;
    if (lines === '') return;
    this.raw = '';
    this.rawLower = null;
    const addedNames = this.names.splice(0);
    const addedValues = this.values.splice(0);
    let pos = 0;
    while (pos < lines.length) {
      const e = lines.indexOf('\r\n', pos);
      const colon = lines.indexOf(':', pos);
      this.names.push(lines.slice(pos, colon));
      this.values.push(lines.slice(colon + 1, e).trim());
      pos = e + 2;
    }
    for (let i = 0; i < addedNames.length; i++) {
      this.names.push(addedNames[i]);
      this.values.push(addedValues[i]);
    }
  }

  toLines(): string {
    let s = this.raw;
    for (let i = 0; i < this.names.length; i++) s += this.names[i] + ': ' + this.values[i] + '\r\n';
    return s;
  }

  getHeader(name: string): string | undefined {
    const l = name.toLowerCase();
    if (this.inRaw(l)) this.parse();
    let out: string | undefined;
    for (let i = 0; i < this.names.length; i++) {
      const n = this.names[i];
      if (n.length === l.length && n.toLowerCase() === l)
        out = out === undefined ? this.values[i] : out + ', ' + this.values[i];
    }
    return out;
  }
  getHeaders(): HeaderMap {
    this.parse();
    const map: HeaderMap = {};
    for (let i = 0; i < this.names.length; i++) addToMap(map, this.names[i].toLowerCase(), this.values[i]);
    return map;
  }
  setHeader(name: string, value: string): void {
    const l = checkedName(name);
    checkValue(name, value);
    this.removeLower(l);
    this.names.push(name);
    this.values.push(value);
  }
  addHeader(name: string, value: string): void {
    checkedName(name);
    checkValue(name, value);
    this.names.push(name);
    this.values.push(value);
  }
  removeHeader(name: string): void {
    this.removeLower(name.toLowerCase());
  }
  private removeLower(l: string): void {
    if (this.inRaw(l)) this.parse();
    for (let i = this.names.length - 1; i >= 0; i--) {
      const n = this.names[i];
      if (n.length === l.length && n.toLowerCase() === l) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }
}
