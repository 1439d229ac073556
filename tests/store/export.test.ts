import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEquipmentWindow, loadReadings } from '../../pipelines/data.ts';
import { defineFeatureSet } from '../../features/index.ts';
import {
  exportTable,
  httpUrlOf,
  inlineInstants,
  inlineParams,
  exportParquet,
  queryTable,
  readParquet,
  Writer,
  waitForWal,
} from '../../src/store/index.ts';
import type { ExportColumn, Store } from '../../src/store/index.ts';
import { readExportCsv } from '../../src/store/export.ts';
import { Rng } from '../../src/sim/rng.ts';
import { openTestStore } from '../helpers/store.ts';

const T0 = Date.UTC(2024, 5, 1) * 1000;
const N = 3000;
const IDS = ['e,1', 'say "hi"', 'pompe-é', 'plain-7', 'with space'];

/** Every cell of two tables: timestamps and strings equal, doubles bit for bit, nulls where nulls. */
function expectSameTable(a: Table, b: Table): void {
  expect(a.numRows).toBe(b.numRows);
  expect(a.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(
    b.schema.fields.map((f) => `${f.name}:${String(f.type)}`),
  );
  for (const f of a.schema.fields) {
    const x = a.getChild(f.name)!;
    const y = b.getChild(f.name)!;
    expect(x.nullCount, f.name).toBe(y.nullCount);
    for (let i = 0; i < a.numRows; i++) {
      const u = x.get(i);
      const v = y.get(i);
      if (typeof u === 'number') expect(Object.is(u, v), `${f.name}[${i}]: ${u} vs ${v}`).toBe(true);
      else expect(u, `${f.name}[${i}]`).toEqual(v);
    }
  }
}

describe("reading through QuestDB's exports (CSV, and Parquet for bounded reads)", () => {
  let store: Store;
  const rng = new Rng(7);
  const columns: ExportColumn[] = [
    { name: 'ts', kind: 'timestamp' },
    { name: 'equipment', kind: 'symbol' },
    { name: 'vibration_rms', kind: 'double' },
    { name: 'torque', kind: 'double' },
  ];
  let text: string;
  beforeAll(async () => {
    store = await openTestStore('export');
    const writer = await Writer.open(
      store.config.questdb,
      store.config.ingest,
      { table: store.tables.telemetry, symbols: ['equipment'], doubles: ['vibration_rms', 'torque'] },
      { batchRows: 500 },
    );
    // Doubles of every shape: few digits (the fast path), 17 significant digits, exponents,
    // subnormals, the extremes, negative zero, nulls.
    // ... and mantissas on either side of 2^53, where the exact fast path of the parser ends.
    const special = [
      0, -0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1e-310, 1e21, 123456789012345.6,
      0.9007199254740991, 0.9007199254740993, 9007199254740992, 9007199254740994, 0.30000000000000004,
      -12.345678901234567, 1.0000000000000002,
    ];
    for (let i = 0; i < N; i++) {
      const k = i % 5;
      const x =
        k === 0
          ? Math.round(rng.uniform(-1000, 1000) * 100) / 100
          : k === 1
            ? rng.uniform(-1, 1) * 10 ** Math.round(rng.uniform(-300, 300))
            : k === 2
              ? (special[i % special.length] as number)
              : rng.uniform(0, 100);
      await writer.append(
        T0 + i * 1_000_001 + (i % 3) * 7,
        [IDS[i % IDS.length] as string],
        [x, i % 7 === 0 ? NaN : rng.normal()],
      );
    }
    await writer.close();
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    text = `SELECT ts, equipment, vibration_rms, torque FROM ${store.tables.telemetry} WHERE ts >= $1::varchar::timestamp AND ts < $2::varchar::timestamp ORDER BY equipment, ts`;
  });
  afterAll(async () => store?.close());

  it('gives the table the PG wire gives, cell for cell (timestamps, quoted symbols, every double, nulls)', async () => {
    const range = [T0, T0 + N * 1_000_001];
    const viaPg = await queryTable(
      store.pool,
      text,
      range.map((us) => new Date(us / 1000).toISOString()),
    );
    const viaExport = await exportTable(store.config.questdb, inlineInstants(text, range), columns, {
      batchRows: 701,
    });
    expect(viaExport.batches.length).toBe(Math.ceil(N / 701));
    expect(viaExport.numRows).toBe(N);
    expectSameTable(viaExport, viaPg);
    expect(new Set(viaExport.getChild('equipment')!.toArray())).toEqual(new Set(IDS));
  });

  it('serves several exports at once (QuestDB allows two unless the engine starts it)', async () => {
    // Large enough that each export is still sending while the others start: a client that has
    // not read its body holds its export open.
    const url = `${httpUrlOf(store.config.questdb)}/exp?query=${encodeURIComponent('SELECT x FROM long_sequence(20000000)')}`;
    const aborts = Array.from({ length: 4 }, () => new AbortController());
    try {
      const res = await Promise.all(aborts.map((a) => fetch(url, { signal: a.signal })));
      expect(res.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    } finally {
      for (const a of aborts) a.abort();
    }
  });

  it('parses the same whatever the chunks the body arrives in', async () => {
    const query = inlineInstants(text, [T0, T0 + N * 1_000_001]);
    const res = await fetch(`${httpUrlOf(store.config.questdb)}/exp?query=${encodeURIComponent(query)}`);
    const body = new Uint8Array(await res.arrayBuffer());
    const whole = await readExportCsv([body], columns);
    for (const max of [1, 7, 64]) {
      const chunks: Uint8Array[] = [];
      for (let p = 0; p < body.length;) {
        const n = 1 + Math.floor(rng.uniform(0, max));
        chunks.push(body.slice(p, p + n));
        p += n;
      }
      expectSameTable(await readExportCsv(chunks, columns, { batchRows: 997 }), whole);
    }
  });

  it('keeps the schema of an empty result, and says what went wrong', async () => {
    const empty = await exportTable(store.config.questdb, inlineInstants(text, [0, 1]), columns);
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.map((f) => f.name)).toEqual(['ts', 'equipment', 'vibration_rms', 'torque']);
    await expect(
      exportTable(store.config.questdb, 'SELECT nope FROM nowhere_at_all', columns),
    ).rejects.toThrow(/export \(SELECT nope FROM nowhere_at_all\): HTTP 400: .*nowhere_at_all/);
    await expect(
      exportTable(store.config.questdb, inlineInstants(text, [T0, T0 + 1e9]), columns.slice(0, 3)),
    ).rejects.toThrow(/columns ts, equipment, vibration_rms, torque, expected ts, equipment, vibration_rms/);
    await expect(
      readExportCsv(
        [Buffer.from('"ts","vibration_rms"\n"2024-06-01T00:00:00.000000Z",1.5x\n')],
        [columns[0]!, columns[2]!],
      ),
    ).rejects.toThrow(/row 1: not a number: "1.5x"/);
  });

  it('reads the Parquet export as the PG wire gives it, cell for cell (every double, nulls), over several row groups', async () => {
    const parquetColumns = columns.filter((c) => c.kind !== 'symbol');
    for (const id of ['plain-7', 'with space']) {
      const one = `SELECT ts, vibration_rms, torque FROM ${store.tables.telemetry} WHERE equipment = $1::varchar AND ts >= $2::varchar::timestamp AND ts < $3::varchar::timestamp ORDER BY ts`;
      const range = [T0, T0 + N * 1_000_001];
      const viaPg = await queryTable(store.pool, one, [
        id,
        ...range.map((us) => new Date(us / 1000).toISOString()),
      ]);
      expect(viaPg.numRows).toBe(N / IDS.length);
      const inlined = inlineParams(one, [{ symbol: id }, ...range]);
      for (const rowGroupRows of [undefined, 97]) {
        const viaParquet = await exportParquet(
          store.config.questdb,
          inlined,
          parquetColumns,
          rowGroupRows === undefined ? {} : { rowGroupRows },
        );
        expect(viaParquet.batches.length).toBe(
          rowGroupRows === undefined ? 1 : Math.ceil(N / IDS.length / 97),
        );
        expectSameTable(viaParquet, viaPg);
      }
    }
    // Long enough for several default row groups (100,000 rows) and pages, nulls throughout.
    const long = `SELECT (x * 1000003)::timestamp ts, CASE WHEN x % 7 = 0 OR x % 10000 < 2000 THEN NULL ELSE x * 1.1 / 3 - 1e5 END v FROM long_sequence(230000)`;
    const lc: ExportColumn[] = [
      { name: 'ts', kind: 'timestamp' },
      { name: 'v', kind: 'double' },
    ];
    const parquet = await exportParquet(store.config.questdb, long, lc);
    expect(parquet.batches.map((b) => b.numRows)).toEqual([100_000, 100_000, 30_000]);
    expectSameTable(parquet, await queryTable(store.pool, long));
  });

  it('refuses a Parquet layout it does not read, and says what', async () => {
    const one = `SELECT ts, vibration_rms FROM ${store.tables.telemetry} WHERE ts >= '2024-06-01' ORDER BY ts LIMIT 500`;
    const lc: ExportColumn[] = [
      { name: 'ts', kind: 'timestamp' },
      { name: 'vibration_rms', kind: 'double' },
    ];
    // QuestDB's default codec (LZ4): the engine asks for uncompressed files.
    const res = await fetch(
      `${httpUrlOf(store.config.questdb)}/exp?fmt=parquet&query=${encodeURIComponent(one)}`,
    );
    const lz4 = new Uint8Array(await res.arrayBuffer());
    expect(() => readParquet(lz4, lc)).toThrow(/parquet: ts: compressed/);
    expect(() => readParquet(new TextEncoder().encode('"ts","v"\n'), lc)).toThrow(/not a Parquet file/);
    await expect(exportParquet(store.config.questdb, one, lc.slice(0, 1))).rejects.toThrow(
      /columns ts, vibration_rms, expected ts/,
    );
    await expect(
      exportParquet(store.config.questdb, one.replace('ts, vibration_rms', 'ts, equipment'), [
        lc[0]!,
        { name: 'equipment', kind: 'symbol' },
      ]),
    ).rejects.toThrow(/equipment: type 6, not DOUBLE|symbols are read through the CSV export/);
    await expect(exportParquet(store.config.questdb, 'SELECT nope FROM nowhere_at_all', lc)).rejects.toThrow(
      /parquet export \(SELECT nope FROM nowhere_at_all\): HTTP 400/,
    );
  });

  it('inlines instants the engine formats, never text', () => {
    expect(inlineInstants('a >= $1 AND a < $2 AND b = $1', [T0, T0 + 1])).toBe(
      "a >= '2024-06-01T00:00:00.000000Z' AND a < '2024-06-01T00:00:00.000001Z' AND b = '2024-06-01T00:00:00.000000Z'",
    );
    expect(() => inlineInstants('a >= $1', [NaN])).toThrow(/not an instant/);
    expect(() => inlineInstants('a >= $2', [T0])).toThrow(/no value for \$2/);
  });

  it('inlines a symbol only when it cannot leave its quotes', () => {
    expect(inlineParams('e = $1 AND a >= $2', [{ symbol: 'plain-7' }, T0])).toBe(
      "e = 'plain-7' AND a >= '2024-06-01T00:00:00.000000Z'",
    );
    expect(inlineParams('e = $1', [{ symbol: 'line 4/press #2' }])).toBe("e = 'line 4/press #2'");
    for (const bad of ["x' OR '1'='1", 'say "hi"', 'back\\slash', 'e,1', 'pompe-é', '', ' lead', 'a\nb'])
      expect(() => inlineParams('e = $1', [{ symbol: bad }]), bad).toThrow(
        /not a symbol that can be inlined/,
      );
  });

  it("loadEquipmentWindow gives every equipment's window as the PG wire does, through the export where the id can be inlined", async () => {
    const fs = defineFeatureSet({
      name: 'x',
      sensors: ['vibration_rms', 'torque'],
      windows: [{ kind: 'time', seconds: 600 }],
      stats: ['mean'],
    });
    const range = { from: T0 + 500 * 1_000_001, to: T0 + 2500 * 1_000_001 };
    // A store whose PG wire is gone: only the export can answer.
    const noPg = {
      ...store,
      pool: { connect: () => Promise.reject(new Error('no PG wire here')) } as unknown as Store['pool'],
    };
    const pgStore = {
      ...store,
      config: { ...store.config, questdb: { ...store.config.questdb, readVia: 'pg' as const } },
    };
    for (const id of IDS) {
      const viaPg = await loadEquipmentWindow(pgStore, fs.sensors, id, range);
      expect(viaPg.numRows, id).toBe(400);
      expect(viaPg.schema.fields.map((f) => f.name)).toEqual(['ts', 'vibration_rms', 'torque']);
      expectSameTable(await loadEquipmentWindow(store, fs.sensors, id, range), viaPg);
      if (id === 'plain-7' || id === 'with space')
        expectSameTable(await loadEquipmentWindow(noPg, fs.sensors, id, range), viaPg);
      // Quotes, commas and letters beyond ASCII are never inlined: bind parameters on the PG wire.
      else await expect(loadEquipmentWindow(noPg, fs.sensors, id, range)).rejects.toThrow(/no PG wire here/);
    }
  });

  it('loadReadings reads through the export by default, and over the PG wire when the export cannot answer', async () => {
    const fs = defineFeatureSet({
      name: 'x',
      sensors: ['vibration_rms', 'torque'],
      windows: [{ kind: 'time', seconds: 600 }],
      stats: ['mean'],
    });
    const range = { from: T0, to: T0 + N * 1_000_001 };
    expect(store.config.questdb.readVia).toBe('export');
    const viaExport = await loadReadings(store, fs, range);
    const pgStore = {
      ...store,
      config: { ...store.config, questdb: { ...store.config.questdb, readVia: 'pg' as const } },
    };
    const viaPg = await loadReadings(pgStore, fs, range);
    expectSameTable(viaExport, viaPg);
    // An HTTP port nothing listens on: the export fails, the read does not (and says why).
    const broken = {
      ...store,
      config: { ...store.config, questdb: { ...store.config.questdb, httpPort: 9 } },
    };
    const said: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => said.push(args.join(' '));
    try {
      expectSameTable(await loadReadings(broken, fs, range), viaPg);
    } finally {
      console.error = error;
    }
    expect(said.join('\n')).toMatch(/export failed .*reading it over the PG wire instead/);
  });
});

describe('loadReadings through the Parquet export, one equipment at a time', () => {
  let store: Store;
  const ids = ['b 2', 'a-1', 'c.3'];
  const rows = 2_500;
  beforeAll(async () => {
    store = await openTestStore('export-parquet');
    const writer = await Writer.open(
      store.config.questdb,
      store.config.ingest,
      { table: store.tables.telemetry, symbols: ['equipment'], doubles: ['vibration_rms', 'torque'] },
      { batchRows: 500 },
    );
    const rng = new Rng(11);
    for (let i = 0; i < rows; i++)
      await writer.append(
        T0 + i * 1_000_003,
        [ids[i % ids.length] as string],
        [i % 11 === 0 ? NaN : rng.uniform(-1, 1) * 10 ** rng.int(-5, 5), i % 5 === 0 ? NaN : rng.normal()],
      );
    await writer.close();
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
  });
  afterAll(async () => store?.close());

  it('gives the table the PG wire gives, by equipment and time, with progress per equipment', async () => {
    const fs = defineFeatureSet({
      name: 'x',
      sensors: ['vibration_rms', 'torque'],
      windows: [{ kind: 'time', seconds: 600 }],
      stats: ['mean'],
    });
    const range = { from: T0 + 100 * 1_000_003, to: T0 + 2_000 * 1_000_003 };
    const progress: number[] = [];
    const viaParquet = await loadReadings(store, fs, range, (n) => progress.push(n));
    const pgStore = {
      ...store,
      config: { ...store.config, questdb: { ...store.config.questdb, readVia: 'pg' as const } },
    };
    const viaPg = await loadReadings(pgStore, fs, range);
    expect(viaPg.numRows).toBe(1_900);
    expectSameTable(viaParquet, viaPg);
    // One record batch and one progress call per equipment: the per-equipment path answered.
    expect(viaParquet.batches.length).toBe(3);
    expect(progress).toEqual([634, 1_267, 1_900]);
    const empty = await loadReadings(store, fs, { from: 0, to: 1 });
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(
      viaPg.schema.fields.map((f) => `${f.name}:${String(f.type)}`),
    );
  });
});
