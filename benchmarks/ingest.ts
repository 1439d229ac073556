/**
 * Ingestion benchmark: N rows x 8 sensor doubles + one equipment SYMBOL into the live QuestDB,
 * (a) through the engine's Writer and (b) through a bare @questdb/nodejs-client loop with the same
 * data, ILP settings and batch size, written as a careful user would (no await per row, one per
 * flushed batch), and (c) the ParallelWriter. Rounds alternate so all see the same machine noise.
 *
 *   npm run bench:ingest [-- --rows 2000000 --rounds 2]
 *
 * Last line: {"rows_per_s","bare_rows_per_s","ratio","rows_sent","rows_visible","peak_rss_mb",...}
 */
import { Sender } from '@questdb/nodejs-client';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import {
  ParallelWriter,
  TELEMETRY_SENSORS,
  Writer,
  connectStore,
  makeTables,
  migrate,
  query,
  senderConfig,
  sensorSetOf,
  waitForWal,
} from '../src/store/index.ts';
import type { RowWriter, Store } from '../src/store/index.ts';

const { values: opts } = parseArgs({
  options: { rows: { type: 'string', default: '2000000' }, rounds: { type: 'string', default: '2' } },
});
const ROWS = Number(opts.rows);
const ROUNDS = Number(opts.rounds);
const SENSORS = TELEMETRY_SENSORS.slice(0, 8);
const EQUIPMENT = Array.from({ length: 16 }, (_, i) => `eq-${String(i).padStart(3, '0')}`);
const T0 = Date.UTC(2025, 0, 1) * 1000;
const POOL = 1 << 16;

// A pool of realistic-looking values, cycled: generating data must cost the same in both paths.
const pool = new Float64Array(POOL * 8);
for (let i = 0; i < pool.length; i++)
  pool[i] = Math.round((50 + 10 * Math.sin(i * 0.001) + (i % 97) * 0.01) * 1e4) / 1e4;
// Each equipment gets its own strictly increasing timestamps (1 ms apart), so DEDUP keeps every row.
const tsOf = (i: number) => T0 + Math.floor(i / EQUIPMENT.length) * 1000 + (i % EQUIPMENT.length);

/** The engine's path: any RowWriter (the Writer, or the ParallelWriter), same rows as the bare loop. */
async function viaEngine(writer: RowWriter): Promise<number> {
  const row = new Float64Array(8);
  const sym: string[] = [''];
  const t = performance.now();
  for (let i = 0; i < ROWS; i++) {
    const base = (i & (POOL - 1)) * 8;
    for (let j = 0; j < 8; j++) row[j] = pool[base + j] as number;
    sym[0] = EQUIPMENT[i % EQUIPMENT.length] as string;
    await writer.append(tsOf(i), sym, row);
  }
  await writer.close();
  return performance.now() - t;
}

// Readings as telemetry is written: each row carries its sensor_set (the DEDUP key), on both sides.
const layoutOf = (table: string) => ({
  table,
  symbols: ['equipment'],
  doubles: [...SENSORS],
  readings: true,
});
const SET = sensorSetOf([...SENSORS]);
const viaWriter = async (store: Store, table: string) =>
  viaEngine(await Writer.open(store.config.questdb, store.config.ingest, layoutOf(table)));
const viaParallelWriter = async (store: Store, table: string) =>
  viaEngine(await ParallelWriter.open(store.config.questdb, store.config.ingest, layoutOf(table)));

async function viaBareClient(store: Store, table: string): Promise<number> {
  const batch = store.config.ingest.batchRows;
  const sender = await Sender.fromConfig(
    senderConfig(store.config.questdb, store.config.ingest.flushTimeoutMs),
  );
  const t = performance.now();
  for (let i = 0; i < ROWS; i++) {
    const base = (i & (POOL - 1)) * 8;
    sender
      .table(table)
      .symbol('equipment', EQUIPMENT[i % EQUIPMENT.length] as string)
      .symbol('sensor_set', SET);
    for (let j = 0; j < 8; j++) sender.floatColumn(SENSORS[j] as string, pool[base + j] as number);
    // As a careful user writes it: with auto_flush off, at() only encodes the row into the buffer
    // and its promise is already settled, so it is not awaited per row; an encoding error still
    // surfaces (an unhandled rejection ends the run). The batch is awaited as it is flushed.
    void sender.at(tsOf(i), 'us');
    if ((i + 1) % batch === 0) await sender.flush();
  }
  await sender.flush();
  const ms = performance.now() - t;
  await sender.close();
  return ms;
}

async function count(store: Store, table: string): Promise<number> {
  await waitForWal(store.pool, store.tables, table, 600_000);
  const { rows } = await query<{ n: string }>(store.pool, `SELECT count() n FROM ${table}`);
  return Number(rows[0]?.n);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const store = await connectStore(config, { onLog: (l) => console.error(l) });
  const stamp = Date.now().toString(36);
  const ours = makeTables(`bench_${stamp}_a_`);
  const bare = makeTables(`bench_${stamp}_b_`);
  const par = makeTables(`bench_${stamp}_p_`);
  await migrate(store.pool, ours);
  await migrate(store.pool, bare);
  await migrate(store.pool, par);
  const oursMs: number[] = [];
  const bareMs: number[] = [];
  const parMs: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      // Later rounds re-send the same rows: DEDUP turns them into upserts, as a retried batch would be.
      bareMs.push(await viaBareClient(store, bare.telemetry));
      console.error(`round ${r + 1}: bare client ${((ROWS / bareMs.at(-1)!) * 1000).toFixed(0)} rows/s`);
      oursMs.push(await viaWriter(store, ours.telemetry));
      console.error(`round ${r + 1}: engine writer ${((ROWS / oursMs.at(-1)!) * 1000).toFixed(0)} rows/s`);
      parMs.push(await viaParallelWriter(store, par.telemetry));
      console.error(`round ${r + 1}: parallel writer ${((ROWS / parMs.at(-1)!) * 1000).toFixed(0)} rows/s`);
    }
    const rowsVisible = await count(store, ours.telemetry);
    const bareVisible = await count(store, bare.telemetry);
    const parVisible = await count(store, par.telemetry);
    const best = (a: number[]) => Math.min(...a);
    const rowsPerS = (ROWS / best(oursMs)) * 1000;
    const bareRowsPerS = (ROWS / best(bareMs)) * 1000;
    console.log(
      JSON.stringify({
        rows_per_s: Math.round(rowsPerS),
        bare_rows_per_s: Math.round(bareRowsPerS),
        ratio: Math.round((rowsPerS / bareRowsPerS) * 1000) / 1000,
        rows_sent: ROWS,
        rows_visible: rowsVisible,
        bare_rows_visible: bareVisible,
        parallel_rows_per_s: Math.round((ROWS / best(parMs)) * 1000),
        parallel_ratio: Math.round((ROWS / best(parMs) / (ROWS / best(bareMs))) * 1000) / 1000,
        parallel_rows_visible: parVisible,
        values_per_s: Math.round(rowsPerS * 8),
        rounds: ROUNDS,
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      }),
    );
  } finally {
    for (const t of [ours, bare, par]) {
      for (const name of Object.values(t))
        await query(store.pool, `DROP TABLE IF EXISTS ${name}`).catch(() => {});
    }
    await store.close();
  }
}

await main();
