// HPACK decoding (RFC 7541 §6) of one complete header block into raw pairs
// [name, value, name, value, …] as latin1 strings. Strict: a bad index, an integer or string
// running past the block, a table size update out of place or above our advertised size, or
// a header list over the limit is an HpackError (COMPRESSION_ERROR for the connection; the
// list limit is reported separately so that the caller can refuse just the stream).
import { HpackError } from './errors.js';
import { huffmanDecode } from './huffman.js';
import { DynamicTable, ENTRY_OVERHEAD, STATIC_LENGTH, STATIC_TABLE } from './hpack-table.js';

export class HeaderListTooLarge extends Error {
  override name = 'HeaderListTooLarge';
}

export class HpackDecoder {
  readonly table: DynamicTable;
  /** The most the peer may set the table to: our SETTINGS_HEADER_TABLE_SIZE. */
  private maxAllowed: number;
  private pos = 0;

  constructor(
    tableSize = 4096,
    private maxHeaderListSize = 65_536,
  ) {
    this.table = new DynamicTable(tableSize);
    this.maxAllowed = tableSize;
  }

  /**
   * Decodes a whole header block. The table's state moves on even when the list is too
   * large (the block is decoded to the end first), so the connection stays usable.
   */
  decode(block: Buffer): string[] {
    const out: string[] = [];
    this.pos = 0;
    const end = block.length;
    let listSize = 0;
    let sawField = false;
    while (this.pos < end) {
      const b = block[this.pos]!;
      let name: string;
      let value: string;
      if (b & 0x80) {
        // Indexed field (§6.1).
        const index = this.integer(block, 7);
        if (index === 0) throw new HpackError('indexed field with index 0');
        name = this.nameAt(index);
        value = this.valueAt(index);
      } else if (b & 0x40) {
        // Literal with incremental indexing (§6.2.1).
        name = this.literalName(block, 6);
        value = this.string(block);
        this.table.add(name, value);
      } else if (b & 0x20) {
        // Dynamic table size update (§6.3): only before the first field of a block.
        if (sawField) throw new HpackError('table size update after a field');
        const size = this.integer(block, 5);
        if (size > this.maxAllowed) throw new HpackError(`table size update ${size} above ${this.maxAllowed}`);
        this.table.setMaxSize(size);
        continue;
      } else {
        // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3).
        name = this.literalName(block, 4);
        value = this.string(block);
      }
      sawField = true;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      out.push(name, value);
    }
    if (listSize > this.maxHeaderListSize)
      throw new HeaderListTooLarge(`header list of ${listSize} bytes above ${this.maxHeaderListSize}`);
    return out;
  }

  /** Our SETTINGS_HEADER_TABLE_SIZE changed (acknowledged by the peer). */
  setMaxAllowed(size: number): void {
    this.maxAllowed = size;
    if (this.table.maxSize > size) this.table.setMaxSize(size);
  }

  private nameAt(index: number): string {
    if (index <= STATIC_LENGTH) return STATIC_TABLE[index]![0];
    const n = this.table.name(index - STATIC_LENGTH - 1);
    if (n === undefined) throw new HpackError(`index ${index} beyond the dynamic table`);
    return n;
  }

  private valueAt(index: number): string {
    return index <= STATIC_LENGTH ? STATIC_TABLE[index]![1] : this.table.value(index - STATIC_LENGTH - 1);
  }

  private literalName(block: Buffer, prefix: number): string {
    const index = this.integer(block, prefix);
    return index === 0 ? this.string(block) : this.nameAt(index);
  }

  /** An integer with an N-bit prefix (§5.1); refuses values past 2^31 (no field needs them). */
  private integer(block: Uint8Array, prefix: number): number {
    const max = (1 << prefix) - 1;
    let v = block[this.pos++]! & max;
    if (v < max) return v;
    let shift = 0;
    for (;;) {
      if (this.pos >= block.length) throw new HpackError('integer runs past the block');
      const b = block[this.pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (v > 0x7fff_ffff) throw new HpackError('integer too large');
      if ((b & 0x80) === 0) return v;
      shift += 7;
    }
  }

  /** A string literal (§5.2), Huffman-coded or raw, as latin1. */
  private string(block: Buffer): string {
    if (this.pos >= block.length) throw new HpackError('string literal missing');
    const huffman = (block[this.pos]! & 0x80) !== 0;
    const len = this.integer(block, 7);
    const start = this.pos;
    const end = start + len;
    if (end > block.length) throw new HpackError('string runs past the block');
    this.pos = end;
    if (huffman) return huffmanDecode(block, start, end);
    return block.toString('latin1', start, end);
  }
}
