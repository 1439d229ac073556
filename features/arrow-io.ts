/**
 * Zero-copy (where Arrow allows) access to columns as typed arrays, and building the output table.
 * Hot loops never call `vector.get(i)`: a Float64 column without nulls in one chunk is its buffer.
 */
import {
  Dictionary,
  Float64,
  Int32,
  Table,
  TimestampMicrosecond,
  Type,
  Utf8,
  Vector,
  makeData,
  vectorFromArray,
} from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';

/** A Float64 view of a numeric column; NULL becomes NaN. Copies only when it must. */
export function float64Values(vector: Vector): Float64Array {
  const chunks = vector.data as Data<DataType>[];
  const only = chunks[0];
  if (
    chunks.length === 1 &&
    only !== undefined &&
    only.type.typeId === Type.Float &&
    only.values instanceof Float64Array &&
    only.nullCount === 0
  ) {
    return only.values.subarray(0, only.length);
  }
  return new Float64Ranges(vector).read(0, vector.length, new Float64Array(vector.length));
}

/**
 * Rows [from, to) of a numeric column as Float64 (NULL becomes NaN), one range at a time: a view of
 * the column's buffer when the range lies in one chunk of doubles without NULL, else copied into a
 * scratch array the caller passes (long enough for the range) and reuses. Reading a long input one
 * equipment at a time this way allocates one range's memory instead of a copy of each whole column
 * (`float64Values`), whose fresh pages cost more than the copy itself on some VMs.
 */
export class Float64Ranges {
  private readonly chunks: Data<DataType>[];
  /** Row where each chunk starts, then the column's length. */
  private readonly starts: number[];

  constructor(vector: Vector) {
    this.chunks = vector.data as Data<DataType>[];
    this.starts = [0];
    for (const d of this.chunks) this.starts.push((this.starts.at(-1) as number) + d.length);
  }

  read(from: number, to: number, scratch: Float64Array): Float64Array {
    const n = to - from;
    if (n <= 0) return scratch.subarray(0, 0);
    // The chunk holding row `from`: the last whose start is <= from.
    let c = 0;
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.starts[mid] as number) <= from) {
        c = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const first = this.chunks[c]!;
    const at = from - (this.starts[c] as number);
    if (to <= (this.starts[c + 1] as number) && first.values instanceof Float64Array && first.nullCount === 0)
      return first.values.subarray(at, at + n);
    if (scratch.length < n) throw new RangeError(`scratch of ${scratch.length} values for a range of ${n}`);
    let k = 0;
    for (let j = c; k < n; j++) {
      const d = this.chunks[j]!;
      const i0 = j === c ? at : 0;
      const len = Math.min(d.length - i0, n - k);
      const validity = d.nullBitmap;
      if (d.values instanceof Float64Array) {
        scratch.set(d.values.subarray(i0, i0 + len), k);
        if (d.nullCount > 0 && validity !== undefined && validity !== null)
          nanWhereNull(scratch, k, validity, d.offset + i0, len);
      } else {
        const values = d.values as ArrayLike<number | bigint>;
        for (let i = i0; i < i0 + len; i++) {
          const valid =
            d.nullCount === 0 ||
            validity === undefined ||
            validity === null ||
            ((validity[(d.offset + i) >> 3] as number) >> ((d.offset + i) & 7)) & 1;
          scratch[k + i - i0] = valid ? Number(values[i]) : NaN;
        }
      }
      k += len;
    }
    return scratch.subarray(0, n);
  }
}

/** out[k + i] = NaN where bit offset + i of `bitmap` is clear (a small function V8 optimises on its own). */
function nanWhereNull(
  out: Float64Array,
  k: number,
  bitmap: Uint8Array,
  offset: number,
  length: number,
): void {
  for (let i = 0; i < length; i++) {
    const j = offset + i;
    if ((((bitmap[j >> 3] as number) >> (j & 7)) & 1) === 0) out[k + i] = NaN;
  }
}

/** Timestamps in epoch microseconds as Float64 (exact to 2^53 µs, i.e. until year 2255). */
export function timestampMicros(vector: Vector): Float64Array {
  const type = vector.type as DataType & { unit?: number };
  if (type.typeId !== Type.Timestamp) return float64Values(vector);
  const scale = [1e6, 1e3, 1, 1e-3][type.unit ?? 2] as number; // SECOND, MILLI, MICRO, NANO -> µs
  const raw = float64Values(vector);
  if (scale === 1) return raw;
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i] as number) * scale;
  return out;
}

/** Integer codes and labels of a string column (dictionary or plain), stable across chunks. */
export function stringCodes(vector: Vector): { codes: Int32Array; labels: string[] } {
  const codes = new Int32Array(vector.length);
  const labels: string[] = [];
  const index = new Map<string, number>();
  const codeOf = (s: string) => {
    let c = index.get(s);
    if (c === undefined) {
      c = labels.length;
      labels.push(s);
      index.set(s, c);
    }
    return c;
  };
  let k = 0;
  for (const d of vector.data as Data<DataType>[]) {
    if (d.type.typeId === Type.Dictionary && d.dictionary) {
      // Map each chunk's dictionary once, then copy indices.
      const dict = d.dictionary.toArray() as string[];
      const remap = Int32Array.from(dict, (s) => codeOf(String(s)));
      const idx = d.values as Int32Array;
      for (let i = 0; i < d.length; i++) codes[k++] = remap[idx[i] as number] as number;
    } else {
      const v = new Vector([d]);
      for (let i = 0; i < d.length; i++) codes[k++] = codeOf(String(v.get(i)));
    }
  }
  return { codes, labels };
}

/** The features table: ts (µs), equipment (dictionary), then one Float64 column per feature. */
export function featureTable(
  ts: Float64Array,
  equipmentCodes: Int32Array,
  equipmentLabels: readonly string[],
  columns: readonly string[],
  values: readonly Float64Array[],
): Table {
  const n = ts.length;
  const tsBig = new BigInt64Array(n);
  for (let i = 0; i < n; i++) tsBig[i] = BigInt(Math.round(ts[i] as number));
  const vectors: Record<string, Vector> = {
    ts: new Vector([makeData({ type: new TimestampMicrosecond(), length: n, data: tsBig })]),
    equipment: new Vector([
      makeData({
        type: new Dictionary(new Utf8(), new Int32()),
        length: n,
        data: equipmentCodes,
        dictionary: vectorFromArray([...equipmentLabels], new Utf8()),
      }),
    ]),
  };
  columns.forEach((c, j) => {
    vectors[c] = new Vector([makeData({ type: new Float64(), length: n, data: values[j] as Float64Array })]);
  });
  return new Table(vectors);
}
