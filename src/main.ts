/**
 * `npm start`: the main job. Brings up the store (the managed QuestDB unless one is configured),
 * applies migrations, loads the data the engine works on if the database is empty, prints where
 * to look, and runs until Ctrl-C, when it stops what it started.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { progressBar } from './cli/output.ts';
import { loadConfig } from './config.ts';
import { errorMessage } from './errors.ts';
import { ingestFile } from './ingest/index.ts';
import { QuestDbSink, simulate } from './sim/index.ts';
import { connectStore, httpUrlOf, parseTimestampMicros, query, sql, waitForWal } from './store/index.ts';
import type { Store } from './store/index.ts';

async function rowCount(store: Store, table: string): Promise<number> {
  const { rows } = await query<{ n: string }>(store.pool, `SELECT count() n FROM ${table}`);
  return Number(rows[0]?.n ?? 0);
}

/** Loads the C-MAPSS run-to-failure files when the table is empty (first start). */
async function loadCmapss(store: Store): Promise<void> {
  if ((await rowCount(store, store.tables.cmapss)) > 0) {
    console.log(`C-MAPSS data already loaded in ${store.tables.cmapss}`);
    return;
  }
  for (const name of ['train_FD001.txt', 'test_FD001.txt']) {
    const file = path.join(store.config.dataDir, 'cmapss', name);
    if (!existsSync(file)) {
      console.log(`(${file} not found: skipping C-MAPSS)`);
      return;
    }
    const bar = progressBar(`loading ${name}`);
    const s = await ingestFile(store.config, store.tables, file, {
      onProgress: (p) => bar.update(p.bytesRead, p.bytesTotal, `${p.accepted.toLocaleString('en')} rows`),
    });
    bar.end();
    console.log(`${name}: ${s.accepted} rows into ${s.table} (${s.rejected} rejected) in ${s.duration_s} s`);
  }
  await waitForWal(store.pool, store.tables, store.tables.cmapss);
}

/** Size of the plant `npm start` simulates on an empty database (about 35 s of backfill here). */
const PLANT = { equipment: 8, days: 3, seed: 1 };

/**
 * Runs the simulated plant through the engine's ingestion path: on an empty database, a backfill of
 * PLANT.days with a progress bar, then a live stream; on a later start, a silent replay of the
 * stored history (same seed and start, so the same machines in the same state) and the stream
 * continues, catching up on the time the engine was down. Resolves `ready` when live.
 */
async function runPlant(store: Store, signal: AbortSignal, ready: () => void): Promise<void> {
  const { rows } = await query<{ first: string | null; last: string | null }>(
    store.pool,
    sql('plant_span', store.tables),
  );
  const first = parseTimestampMicros(rows[0]?.first ?? null);
  const last = parseTimestampMicros(rows[0]?.last ?? null);
  const resuming = first === first && last === last;
  const sink = await QuestDbSink.open(store.config, store.tables);
  const bar = progressBar(resuming ? 'replaying plant state' : 'simulating plant history');
  let announced = false;
  try {
    await simulate(sink, {
      ...PLANT,
      ...(resuming
        ? { start: Math.round(first / 1e6), days: 0, replayUntil: Math.floor(last / 1e6 / 3600) * 3600 }
        : {}),
      live: true,
      signal,
      onProgress: (p) => {
        if (!p.live) bar.update(p.simulatedS, p.totalS, `${p.readings.toLocaleString('en')} readings`);
      },
      onLive: () => {
        bar.end();
        if (!announced) ready();
        announced = true;
      },
    });
  } finally {
    await sink.close().catch(() => {});
  }
}

export async function runMain(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  const store = await connectStore(config, { onLog: (line) => console.log(line) });
  const live = new AbortController();
  let plant: Promise<void> = Promise.resolve();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const also = store.server?.startedHere ? ' (and the QuestDB started here)' : '';
    console.log(`\n${signal}: stopping${also}...`);
    live.abort();
    await plant.catch((err: unknown) => console.error(`plant stream: ${errorMessage(err)}`)); // flushes ingestion
    await store.close();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const { applied } = store.migrations;
  console.log(applied.length > 0 ? `schema: applied ${applied.join(', ')}` : 'schema: up to date');
  await loadCmapss(store);
  const isLive = new Promise<void>((resolve) => {
    plant = runPlant(store, live.signal, resolve);
    plant.catch((err: unknown) => {
      console.error(`npm start: the plant stream failed: ${errorMessage(err)}`);
      void stop('error');
    });
  });
  await isLive;
  await waitForWal(store.pool, store.tables, store.tables.telemetry, 120_000);
  const readings = await rowCount(store, store.tables.telemetry);
  const http = httpUrlOf(config.questdb);
  console.log(
    [
      '',
      `Up in ${((performance.now() - started) / 1000).toFixed(1)} s, ${readings.toLocaleString('en')} readings stored.`,
      `  QuestDB console:  ${http}`,
      `  PG wire:          postgres://${config.questdb.pgUser}@${config.questdb.host}:${config.questdb.pgPort}/${config.questdb.pgDatabase}`,
      `  Live telemetry:   ${PLANT.equipment} simulated machines, one reading a second each, with MES batches and maintenance`,
      `  Try:              npx pdm features summary --horizon 24`,
      `                    npx pdm query "SELECT ts, equipment, mode FROM ${store.tables.maintenance} WHERE kind = 'failure'"`,
      '',
      'Ctrl-C stops the engine' + (store.server?.startedHere ? ' and the QuestDB it started.' : '.'),
    ].join('\n'),
  );
}

runMain().catch((err: unknown) => {
  console.error(`npm start: ${errorMessage(err)}`);
  process.exit(1);
});
