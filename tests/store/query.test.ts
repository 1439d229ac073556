import { Type } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Writer,
  microsToIso,
  parseTimestampMicros,
  queryBatches,
  queryTable,
  waitForWal,
} from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';

const T0 = Date.UTC(2024, 5, 1) * 1000;

describe('timestamp text', () => {
  it('round-trips microseconds in UTC whatever the local zone', () => {
    const micros = T0 + 123_456;
    expect(parseTimestampMicros('2024-06-01 00:00:00.123456')).toBe(micros);
    expect(microsToIso(micros)).toBe('2024-06-01T00:00:00.123456Z');
    expect(parseTimestampMicros(null)).toBeNaN();
  });

  it('reads every form QuestDB writes, and odd ones, as the definition does (Date.parse plus the fraction)', () => {
    const reference = (text: string) => {
      const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?/.exec(text);
      if (!m) return NaN;
      return Date.parse(`${m[1]}T${m[2]}Z`) * 1000 + Number((m[3] ?? '').padEnd(6, '0').slice(0, 6));
    };
    const texts = [
      '2024-06-01 00:00:00',
      '2024-06-01T23:59:59.9Z',
      '2024-02-29 12:00:00.000001',
      '2023-02-29 12:00:00', // no such day
      '2024-13-01 00:00:00',
      '2024-06-01 24:00:00', // Date.parse's end of day
      '2024-06-01 12:60:00',
      '2024-06-01 12:00:00.123456789',
      '2024-06-01 12:00:00.',
      '2024-06-01 12:00:00.x',
      '2024-06-01 12:00',
      '1969-12-31 23:59:59.5',
      '2024-06-01X12:00:00',
      '',
    ];
    for (let k = 0; k < 2000; k++) {
      const ms = Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 50 * 365 * 86_400_000);
      const iso = new Date(ms).toISOString();
      const digits = Math.floor(Math.random() * 10);
      const frac =
        digits === 0
          ? ''
          : `.${String(Math.random())
              .slice(2, 2 + digits)
              .padEnd(digits, '7')}`;
      texts.push(`${iso.slice(0, 10)}${k % 2 === 0 ? ' ' : 'T'}${iso.slice(11, 19)}${frac}`);
    }
    for (const text of texts) expect(parseTimestampMicros(text), text).toEqual(reference(text));
  });
});

describe('queries into Arrow', () => {
  let store: Store;
  const N = 1000;
  beforeAll(async () => {
    store = await openTestStore('query');
    const writer = await Writer.open(
      store.config.questdb,
      store.config.ingest,
      { table: store.tables.telemetry, symbols: ['equipment'], doubles: ['vibration_rms', 'torque'] },
      { batchRows: 256 },
    );
    for (let i = 0; i < N; i++)
      await writer.append(T0 + i * 1_000_001, [`e${i % 3}`], [i / 10, i % 7 === 0 ? NaN : i]);
    await writer.close();
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
  });
  afterAll(async () => store?.close());

  it('types columns (Timestamp µs, Float64 with NaN for NULL, dictionary strings, Int64, Int32)', async () => {
    const t = await queryTable(
      store.pool,
      `SELECT ts, equipment, vibration_rms, torque, cast(1000 AS LONG) n, cast(1 AS INT) one FROM ${store.tables.telemetry} WHERE ts >= $1::varchar::timestamp ORDER BY ts LIMIT 10`,
      [microsToIso(T0)],
    );
    const types = Object.fromEntries(t.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toEqual({
      ts: 'Timestamp<MICROSECOND>',
      equipment: 'Dictionary<Int32, Utf8>',
      vibration_rms: 'Float64',
      torque: 'Float64',
      n: 'Int64',
      one: 'Int32',
    });
    expect(t.schema.fields[0]!.type.typeId).toBe(Type.Timestamp);
    const ts = t.getChild('ts')!.data[0]!.values as BigInt64Array;
    expect(ts[1]).toBe(BigInt(T0 + 1_000_001)); // microseconds survive the PG wire
    const torque = t.getChild('torque')!;
    expect(torque.data[0]!.values[0]).toBeNaN(); // kernels read NaN from the buffer...
    expect(torque.get(0)).toBeNull(); // ...and Arrow knows it is NULL
    expect(torque.get(1)).toBe(1);
    expect(t.getChild('equipment')!.get(2)).toBe('e2');
    expect(t.getChild('n')!.get(0)).toBe(BigInt(N));
  });

  it('streams a large result in bounded record batches with every row once', async () => {
    const sizes: number[] = [];
    const progress: number[] = [];
    let sum = 0;
    for await (const batch of queryBatches(
      store.pool,
      `SELECT vibration_rms FROM ${store.tables.telemetry}`,
      [],
      { batchRows: 300, onRows: (rows) => progress.push(rows) },
    )) {
      sizes.push(batch.numRows);
      const v = batch.getChildAt(0)!.data[0]!.values as Float64Array;
      for (let i = 0; i < batch.numRows; i++) sum += v[i]!;
    }
    expect(sizes).toEqual([300, 300, 300, 100]);
    expect(progress).toEqual([300, 600, 900, 1000]); // rows read so far, after each batch
    expect(sum).toBeCloseTo(((N - 1) * N) / 2 / 10, 6);
  });

  it('keeps the schema of an empty result', async () => {
    const t = await queryTable(
      store.pool,
      `SELECT ts, torque FROM ${store.tables.telemetry} WHERE equipment = $1::varchar`,
      ['none'],
    );
    expect(t.numRows).toBe(0);
    expect(t.schema.fields.map((f) => f.name)).toEqual(['ts', 'torque']);
  });

  it('grows its columns past their small first allocation, nulls and trailing nulls kept in place', async () => {
    // One batch of 3,000 rows (columns start at 1,024 values and double); the last rows are null.
    const t = await queryTable(
      store.pool,
      `SELECT x, CASE WHEN x % 7 = 0 OR x > 2990 THEN NULL ELSE x * 0.5 END AS v,
              CASE WHEN x % 5 = 0 OR x > 2990 THEN NULL ELSE cast(x AS int) END AS i,
              CASE WHEN x % 3 = 0 OR x > 2990 THEN NULL ELSE cast(x * 1000000 AS timestamp) END AS at
       FROM long_sequence(3000)`,
      [],
      { batchRows: 5000 },
    );
    expect(t.batches.length).toBe(1);
    expect(t.numRows).toBe(3000);
    const [x, v, i, at] = ['x', 'v', 'i', 'at'].map((c) => t.getChild(c)!);
    for (let r = 0; r < 3000; r++) {
      const n = r + 1;
      expect(x!.get(r)).toBe(BigInt(n));
      expect(v!.get(r)).toBe(n % 7 === 0 || n > 2990 ? null : n * 0.5);
      expect(i!.get(r)).toBe(n % 5 === 0 || n > 2990 ? null : n);
      expect(at!.get(r)).toBe(n % 3 === 0 || n > 2990 ? null : n * 1000);
    }
  });

  it('reports a bad query with its text', async () => {
    await expect(queryTable(store.pool, 'SELECT nope FROM nowhere_at_all')).rejects.toThrow(/Query failed/);
  });
});
