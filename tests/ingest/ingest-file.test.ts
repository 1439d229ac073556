import { readText } from '../../src/ingest/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile } from '../../src/ingest/index.ts';
import { query, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { cmapssFile, scratchFile } from '../helpers/data.ts';
import { openTestStore } from '../helpers/store.ts';

async function count(store: Store, table: string): Promise<number> {
  await waitForWal(store.pool, store.tables, table);
  // Table names come from makeTables (validated identifiers), never from input.
  const { rows } = await query<{ n: string }>(store.pool, `SELECT count() n FROM ${table}`);
  return Number(rows[0]?.n);
}

describe('ingestFile', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('ingest_file');
  });
  afterAll(async () => store?.close());

  it('ingests C-MAPSS FD001 (20,631 rows) and a second run adds none', async () => {
    const file = cmapssFile('train_FD001.txt');
    const first = await ingestFile(store.config, store.tables, file);
    expect(first).toMatchObject({
      format: 'cmapss',
      table: store.tables.cmapss,
      rows_read: 20631,
      accepted: 20631,
      rejected: 0,
    });
    expect(await count(store, store.tables.cmapss)).toBe(20631);
    const second = await ingestFile(store.config, store.tables, file);
    expect(second.accepted).toBe(20631);
    expect(await count(store, store.tables.cmapss)).toBe(20631);
    const { rows } = await query<{ units: string; max_cycle: number }>(
      store.pool,
      `SELECT count_distinct(equipment) units, max(cycle) max_cycle FROM ${store.tables.cmapss} WHERE dataset = $1::varchar`,
      ['train_FD001'],
    );
    expect(Number(rows[0]?.units)).toBe(100);
    expect(rows[0]?.max_cycle).toBe(362);
  });

  it('reports broken rows with row, field and reason and keeps every good row', async () => {
    const lines = readText(cmapssFile('test_FD001.txt')).split('\n').slice(0, 200);
    lines[9] = lines[9]!.replace(/^(\S+ \S+ \S+ \S+ \S+ \S+) \S+/, '$1 bad'); // s2 of line 10
    lines[49] = '1 2 3';
    lines[99] = lines[99]!.replace(/^\S+ \S+/, '1 -4');
    const file = scratchFile('broken.txt', lines.join('\n') + '\n');
    const summary = await ingestFile(store.config, store.tables, file, {
      format: 'cmapss',
      dataset: 'broken',
    });
    expect(summary.rows_read).toBe(200);
    expect(summary.rejected).toBe(3);
    expect(summary.accepted).toBe(197);
    expect(summary.rejections).toEqual([
      { row: 10, field: 's2', reason: 'not a number: "bad"' },
      { row: 50, field: '*', reason: 'expected 26 space-separated values, found 3' },
      { row: 100, field: 'cycle', reason: 'not a positive integer: "-4"' },
    ]);
    await waitForWal(store.pool, store.tables, store.tables.cmapss);
    const { rows } = await query<{ n: string }>(
      store.pool,
      `SELECT count() n FROM ${store.tables.cmapss} WHERE dataset = $1::varchar`,
      ['broken'],
    );
    expect(Number(rows[0]?.n)).toBe(197);
  });

  it('ingests CSV telemetry with a column mapping; NaN and empty become NULL', async () => {
    const csv = [
      'time,machine,vib,temp',
      '2024-01-01T00:00:00Z,m1,0.5,40',
      '2024-01-01T00:00:01Z,m1,,41',
      '2024-01-01T00:00:02Z,m1,oops,42',
      '2024-01-01T00:00:03Z,m2,0.7,NaN',
      '',
    ].join('\n');
    const file = scratchFile('t.csv', csv);
    const summary = await ingestFile(store.config, store.tables, file, {
      timeField: 'time',
      equipmentField: 'machine',
      sensors: [
        { column: 'vibration_rms', field: 'vib' },
        { column: 'bearing_temp', field: 'temp' },
      ],
    });
    expect(summary).toMatchObject({
      format: 'csv',
      table: store.tables.telemetry,
      rows_read: 4,
      accepted: 3,
      rejected: 1,
    });
    expect(summary.rejections[0]).toEqual({ row: 4, field: 'vib', reason: 'not a number: "oops"' });
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    const { rows } = await query<{
      equipment: string;
      vibration_rms: number | null;
      bearing_temp: number | null;
    }>(
      store.pool,
      `SELECT equipment, vibration_rms, bearing_temp FROM ${store.tables.telemetry} ORDER BY ts`,
    );
    expect(rows).toEqual([
      { equipment: 'm1', vibration_rms: 0.5, bearing_temp: 40 },
      { equipment: 'm1', vibration_rms: null, bearing_temp: 41 },
      { equipment: 'm2', vibration_rms: 0.7, bearing_temp: null },
    ]);
  });

  it('ingests NDJSON, and a re-sent reading replaces rather than duplicates', async () => {
    const recs = [
      { ts: '2024-02-01T00:00:00Z', equipment: 'n1', flow: 1 },
      { ts: '2024-02-01T00:00:01Z', equipment: 'n1', flow: 2 },
      { ts: '2024-02-01T00:00:00Z', equipment: 'n1', flow: 3 },
    ];
    const file = scratchFile('t.ndjson', recs.map((r) => JSON.stringify(r)).join('\n'));
    const summary = await ingestFile(store.config, store.tables, file);
    expect(summary).toMatchObject({ format: 'ndjson', accepted: 3, rejected: 0 });
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    const { rows } = await query<{ flow: number }>(
      store.pool,
      `SELECT flow FROM ${store.tables.telemetry} WHERE equipment = $1::varchar ORDER BY ts`,
      ['n1'],
    );
    expect(rows.map((r) => r.flow)).toEqual([3, 2]);
  });

  it('fails clearly on a missing file or an unknown format', async () => {
    await expect(ingestFile(store.config, store.tables, '/nonexistent/x.csv')).rejects.toThrow(
      /Cannot read \/nonexistent\/x.csv/,
    );
    await expect(ingestFile(store.config, store.tables, scratchFile('x.bin', 'a'))).rejects.toThrow(
      /--format/,
    );
  });
});
