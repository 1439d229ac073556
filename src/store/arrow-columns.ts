/**
 * Column accumulators that turn PG-wire values into Arrow Data without per-value objects:
 * numbers go straight into typed arrays, nulls into a validity bitmap (and NaN for doubles,
 * so kernels reading `values` see missing readings as NaN).
 */
import {
  Bool,
  Dictionary,
  Float64,
  Int32,
  Int64,
  TimestampMicrosecond,
  Utf8,
  makeData,
  vectorFromArray,
} from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';
import { PG_TYPES, parseTimestampMicros } from './pg.ts';

export interface ColumnAccumulator {
  /** Appends one value as pg delivered it (parsed number/boolean, or raw text for 1114/20). */
  push(value: unknown): void;
  /** The Data for the rows pushed since the last call; resets the accumulator. */
  finish(): Data<DataType>;
}

/** A first allocation small enough for a refresh of a few rows; arrays double up to the batch size. */
const FIRST_CAPACITY = 1024;

/** `a`, or a copy twice as long when value `n` does not fit (never beyond `max`). */
function room<T extends Float64Array | Int32Array | BigInt64Array | Uint8Array>(
  a: T,
  n: number,
  max: number,
): T {
  if (n < a.length) return a;
  const b = new (a.constructor as new (length: number) => T)(Math.max(n + 1, Math.min(max, a.length * 2)));
  b.set(a as never);
  return b;
}

class Validity {
  private bits: Uint8Array;
  nullCount = 0;
  constructor(private readonly capacity: number) {
    this.bits = new Uint8Array((Math.min(capacity, FIRST_CAPACITY) + 7) >> 3);
  }
  set(i: number, valid: boolean): void {
    if (valid) {
      this.bits = room(this.bits, i >> 3, (this.capacity + 7) >> 3);
      this.bits[i >> 3]! |= 1 << (i & 7);
    } else this.nullCount++;
  }
  take(length: number): { nullBitmap: Uint8Array | undefined; nullCount: number } {
    const bytes = (length + 7) >> 3;
    let out: Uint8Array | undefined;
    if (this.nullCount > 0) {
      out = new Uint8Array(bytes); // the bits grew only as far as the last valid value
      out.set(this.bits.subarray(0, Math.min(bytes, this.bits.length)));
    }
    const nullCount = this.nullCount;
    this.bits.fill(0);
    this.nullCount = 0;
    return { nullBitmap: out, nullCount };
  }
}

type Values = Float64Array | Int32Array | BigInt64Array;

/**
 * Typed values and their validity, grown on demand up to the batch size; `finish` hands a full
 * buffer over whole (a new one takes its place) and copies only a partly filled one.
 */
abstract class TypedColumn<T extends Values> implements ColumnAccumulator {
  private values: T;
  private readonly validity: Validity;
  private n = 0;
  constructor(
    private readonly capacity: number,
    private readonly make: (length: number) => T,
  ) {
    this.values = make(Math.min(capacity, FIRST_CAPACITY));
    this.validity = new Validity(capacity);
  }
  abstract push(value: unknown): void;
  protected abstract type(): DataType;
  protected put(value: T[number], valid: boolean): void {
    if (this.n >= this.values.length) this.values = room(this.values, this.n, this.capacity);
    this.validity.set(this.n, valid);
    this.values[this.n++] = value;
  }
  finish(): Data<DataType> {
    const length = this.n;
    let filled = this.values;
    if (length < filled.length) filled = filled.slice(0, length) as T;
    else this.values = this.make(filled.length);
    const data = makeData({
      type: this.type(),
      length,
      data: filled,
      ...this.validity.take(length),
    } as never);
    this.n = 0;
    return data as Data<DataType>;
  }
}

class Float64Column extends TypedColumn<Float64Array> {
  constructor(capacity: number) {
    super(capacity, (length) => new Float64Array(length));
  }
  push(value: unknown): void {
    this.put(value === null ? NaN : typeof value === 'number' ? value : Number(value), value !== null);
  }
  protected type(): DataType {
    return new Float64();
  }
}

class Int32Column extends TypedColumn<Int32Array> {
  constructor(capacity: number) {
    super(capacity, (length) => new Int32Array(length));
  }
  push(value: unknown): void {
    this.put(value === null ? 0 : Number(value), value !== null);
  }
  protected type(): DataType {
    return new Int32();
  }
}

/** LONG (text on the wire) and TIMESTAMP (text, UTC) both land in a BigInt64Array. */
class BigIntColumn extends TypedColumn<BigInt64Array> {
  constructor(
    capacity: number,
    private readonly timestamp: boolean,
  ) {
    super(capacity, (length) => new BigInt64Array(length));
  }
  push(value: unknown): void {
    let v = 0n;
    let valid = value !== null;
    if (valid) {
      if (this.timestamp) {
        const micros = parseTimestampMicros(String(value));
        valid = micros === micros;
        if (valid) v = BigInt(micros);
      } else {
        v = BigInt(value as string);
      }
    }
    this.put(v, valid);
  }
  protected type(): DataType {
    return this.timestamp ? new TimestampMicrosecond() : new Int64();
  }
}

class ArrayColumn implements ColumnAccumulator {
  private values: unknown[] = [];
  constructor(private readonly type: DataType) {}
  push(value: unknown): void {
    this.values.push(value);
  }
  finish(): Data<DataType> {
    const vector = vectorFromArray(this.values as never[], this.type as never);
    this.values = [];
    return vector.data[0] as Data<DataType>;
  }
}

/** The accumulator for a PG type OID. */
export function columnFor(oid: number, capacity: number): ColumnAccumulator {
  switch (oid) {
    case PG_TYPES.FLOAT8:
    case PG_TYPES.FLOAT4:
      return new Float64Column(capacity);
    case PG_TYPES.INT4:
    case PG_TYPES.INT2:
      return new Int32Column(capacity);
    case PG_TYPES.INT8:
      return new BigIntColumn(capacity, false);
    case PG_TYPES.TIMESTAMP:
    case PG_TYPES.TIMESTAMPTZ:
    case PG_TYPES.DATE:
      return new BigIntColumn(capacity, true);
    case PG_TYPES.BOOL:
      return new ArrayColumn(new Bool());
    case PG_TYPES.VARCHAR:
    case PG_TYPES.TEXT:
    case PG_TYPES.CHAR:
      // SYMBOL and VARCHAR both arrive as text; equipment ids repeat, so dictionary-encode.
      return new ArrayColumn(new Dictionary(new Utf8(), new Int32()));
    default:
      return new ArrayColumn(new Utf8());
  }
}
