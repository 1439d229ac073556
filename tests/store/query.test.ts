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
    let sum = 0;
    for await (const batch of queryBatches(
      store.pool,
      `SELECT vibration_rms FROM ${store.tables.telemetry}`,
      [],
      { batchRows: 300 },
    )) {
      sizes.push(batch.numRows);
      const v = batch.getChildAt(0)!.data[0]!.values as Float64Array;
      for (let i = 0; i < batch.numRows; i++) sum += v[i]!;
    }
    expect(sizes).toEqual([300, 300, 300, 100]);
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

  it('reports a bad query with its text', async () => {
    await expect(queryTable(store.pool, 'SELECT nope FROM nowhere_at_all')).rejects.toThrow(/Query failed/);
  });
});
