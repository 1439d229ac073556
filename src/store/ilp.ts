/**
 * The engine's own ILP encoder: a columnar batch of rows into the bytes `@questdb/nodejs-client`'s
 * protocol-v2 Sender would produce for the same rows, call by call (the reference in
 * tests/store/ilp.test.ts compares them byte for byte on random batches).
 *
 * Why not the client's Sender: it validates and re-encodes every column name on every row, and
 * that is where its time goes (docs/schema.md: ~60 % of the bare loop in `Buffer.write` of names;
 * one core peaks at ~72k rows/s of 8 doubles). A batch's names never change, so here they are
 * escaped and encoded once per layout; symbol values (a few equipment ids repeated on every row)
 * once per distinct value; doubles go in binary (`name==\x10` and 8 bytes little-endian) and integer
 * timestamps as digits. The HTTP side stays the documented ILP/HTTP `/write` endpoint.
 */
import { ErrorCodes, PdmError } from '../errors.ts';
import type { ColumnBatch, TableLayout } from './writer.ts';

/** ILP escaping as the client does it: names and symbol values (unquoted), string values (quoted). */
export function ilpEscape(s: string, quoted: boolean): string {
  return quoted ? s.replace(/[\\"\n\r]/g, (c) => `\\${c}`) : s.replace(/[\\ ,=\n\r]/g, (c) => `\\${c}`);
}

const ENTITY_DOUBLE = 16;
/** Digits of the largest safe integer plus sign, suffix and separators. */
const NUMBER_MAX = 24;

export class IlpEncoder {
  private buf: Buffer;
  private pos = 0;
  private readonly head: Buffer;
  private readonly symPrefix: Buffer[];
  private readonly setBytes: Buffer | undefined;
  /** Per column, the bytes before its value: `<sep>name=` (the separator depends on whether a column came before). */
  private readonly dblFirst: Buffer[];
  private readonly dblNext: Buffer[];
  private readonly intFirst: Buffer[];
  private readonly intNext: Buffer[];
  private readonly tscFirst: Buffer[];
  private readonly tscNext: Buffer[];
  private readonly strFirst: Buffer[];
  private readonly strNext: Buffer[];
  /** Escaped, encoded symbol values seen so far (bounded: cleared when it grows past 65,536). */
  private readonly symCache = new Map<string, Buffer>();
  private readonly rowFixed: number;

  constructor(
    readonly layout: TableLayout,
    sensorSet?: string,
    initialBytes = 1 << 20,
  ) {
    const enc = (s: string) => Buffer.from(s, 'utf8');
    const esc = (s: string) => ilpEscape(s, false);
    this.head = enc(esc(layout.table));
    this.symPrefix = layout.symbols.map((s) => enc(`,${esc(s)}=`));
    this.setBytes = sensorSet === undefined ? undefined : enc(`,sensor_set=${esc(sensorSet)}`);
    const cols = (names: readonly string[] | undefined, eq: string) => ({
      first: (names ?? []).map((n) => enc(` ${esc(n)}${eq}`)),
      next: (names ?? []).map((n) => enc(`,${esc(n)}${eq}`)),
    });
    const d = cols(layout.doubles, '=');
    const i = cols(layout.ints, '=');
    const t = cols(layout.timestamps, '=');
    const s = cols(layout.strings, '="');
    this.dblFirst = d.first;
    this.dblNext = d.next;
    this.intFirst = i.first;
    this.intNext = i.next;
    this.tscFirst = t.first;
    this.tscNext = t.next;
    this.strFirst = s.first;
    this.strNext = s.next;
    const sum = (bs: readonly Buffer[]) => bs.reduce((a, b) => a + b.length, 0);
    // Upper bound of a row's bytes other than symbol and string values.
    this.rowFixed =
      this.head.length +
      sum(this.symPrefix) +
      (this.setBytes?.length ?? 0) +
      sum(d.first) +
      10 * d.first.length +
      sum(i.first) +
      NUMBER_MAX * i.first.length +
      sum(t.first) +
      NUMBER_MAX * t.first.length +
      sum(s.first) +
      2 * s.first.length +
      NUMBER_MAX;
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, 4 * this.rowFixed));
  }

  /**
   * Encodes rows [0, n) of a batch laid out like RowBatch (row-major per kind) and returns a view
   * of the encoder's buffer: valid until the next call. NaN doubles, ints and timestamps and null or
   * empty symbols and strings are left out (QuestDB stores NULL), as the Writer always did.
   */
  encode(n: number, b: ColumnBatch): Buffer {
    const { symbols, doubles } = this.layout;
    const ns = symbols.length;
    const nd = doubles.length;
    const ni = this.intFirst.length;
    const nt = this.tscFirst.length;
    const nstr = this.strFirst.length;
    this.pos = 0;
    // One row's symbol and string bytes, reused across rows (a batch has 50k of them).
    const symBytes = new Array<Buffer | undefined>(ns);
    const strBytes = new Array<Buffer | undefined>(nstr);
    for (let r = 0; r < n; r++) {
      const ts = b.ts[r] as number;
      if (!Number.isSafeInteger(ts))
        throw new PdmError(
          ErrorCodes.WRITE_FAILED,
          `Invalid timestamp ${ts}: expected integer epoch microseconds`,
        );
      let varBytes = 0;
      for (let j = 0; j < ns; j++) {
        const v = b.sym[r * ns + j];
        const bytes = v === null || v === undefined || v === '' ? undefined : this.symbol(v);
        symBytes[j] = bytes;
        if (bytes !== undefined) varBytes += bytes.length;
      }
      for (let j = 0; j < nstr; j++) {
        const v = b.str[r * nstr + j];
        const bytes =
          v === null || v === undefined || v === '' ? undefined : Buffer.from(ilpEscape(v, true), 'utf8');
        strBytes[j] = bytes;
        if (bytes !== undefined) varBytes += bytes.length;
      }
      this.reserve(this.rowFixed + varBytes);
      const buf = this.buf;
      let p = this.pos;
      p += this.head.copy(buf, p);
      let any = false;
      for (let j = 0; j < ns; j++) {
        const bytes = symBytes[j];
        if (bytes === undefined) continue;
        p += (this.symPrefix[j] as Buffer).copy(buf, p);
        p += bytes.copy(buf, p);
        any = true;
      }
      if (this.setBytes !== undefined) {
        p += this.setBytes.copy(buf, p);
        any = true;
      }
      let cols = false;
      for (let j = 0; j < nd; j++) {
        const v = b.dbl[r * nd + j] as number;
        if (v !== v) continue;
        p += ((cols ? this.dblNext : this.dblFirst)[j] as Buffer).copy(buf, p);
        buf[p++] = 0x3d; // '='
        buf[p++] = ENTITY_DOUBLE;
        p = buf.writeDoubleLE(v, p);
        cols = true;
      }
      for (let j = 0; j < ni; j++) {
        const v = b.int[r * ni + j] as number;
        if (v !== v) continue;
        if (!Number.isInteger(v))
          throw new PdmError(ErrorCodes.WRITE_FAILED, `Value must be an integer, received ${v}`);
        p += ((cols ? this.intNext : this.intFirst)[j] as Buffer).copy(buf, p);
        p += buf.write(`${v}i`, p, 'latin1');
        cols = true;
      }
      for (let j = 0; j < nt; j++) {
        const v = b.tsc[r * nt + j] as number;
        if (v !== v) continue;
        if (!Number.isInteger(v))
          throw new PdmError(ErrorCodes.WRITE_FAILED, `Timestamp value must be an integer, received ${v}`);
        p += ((cols ? this.tscNext : this.tscFirst)[j] as Buffer).copy(buf, p);
        p += buf.write(`${v}t`, p, 'latin1');
        cols = true;
      }
      for (let j = 0; j < nstr; j++) {
        const bytes = strBytes[j];
        if (bytes === undefined) continue;
        p += ((cols ? this.strNext : this.strFirst)[j] as Buffer).copy(buf, p);
        p += bytes.copy(buf, p);
        buf[p++] = 0x22; // '"'
        cols = true;
      }
      // The client refuses a row with neither symbols nor columns; so does the encoder.
      if (!any && !cols)
        throw new PdmError(ErrorCodes.WRITE_FAILED, `Row ${r} of ${this.layout.table} has no value to write`);
      p += buf.write(` ${ts}t\n`, p, 'latin1');
      this.pos = p;
    }
    return this.buf.subarray(0, this.pos);
  }

  private symbol(v: string): Buffer {
    let bytes = this.symCache.get(v);
    if (bytes === undefined) {
      if (this.symCache.size >= 65_536) this.symCache.clear();
      bytes = Buffer.from(ilpEscape(v, false), 'utf8');
      this.symCache.set(v, bytes);
    }
    return bytes;
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
