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
import { connectStore, httpUrlOf, query, waitForWal } from './store/index.ts';
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

export async function runMain(): Promise<void> {
  const started = performance.now();
  const config = loadConfig();
  const store = await connectStore(config, { onLog: (line) => console.log(line) });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(
      `\n${signal}: stopping${store.server?.startedHere ? ' (and the QuestDB started here)' : ''}...`,
    );
    await store.close();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const { applied } = store.migrations;
  console.log(applied.length > 0 ? `schema: applied ${applied.join(', ')}` : 'schema: up to date');
  await loadCmapss(store);

  const http = httpUrlOf(config.questdb);
  console.log(
    [
      '',
      `Up in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
      `  QuestDB console:  ${http}`,
      `  PG wire:          postgres://${config.questdb.pgUser}@${config.questdb.host}:${config.questdb.pgPort}/${config.questdb.pgDatabase}`,
      `  Try:              npx pdm query "SELECT equipment, max(cycle) FROM ${store.tables.cmapss} GROUP BY equipment ORDER BY 2 DESC LIMIT 5"`,
      '',
      'Ctrl-C stops the engine' + (store.server?.startedHere ? ' and the QuestDB it started.' : '.'),
    ].join('\n'),
  );
}

runMain().catch((err: unknown) => {
  console.error(`npm start: ${errorMessage(err)}`);
  process.exit(1);
});
