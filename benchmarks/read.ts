/**
 * Reading history back, every way the engine can: QuestDB's Parquet export one equipment at a time
 * (`PDM_READ_VIA=export`, the default, when every equipment id can be inlined), its CSV export
 * streamed into Arrow (`PDM_READ_VIA=csv`, and the default's path for other ids) and the PG wire
 * through `pg` (`PDM_READ_VIA=pg`). The same query (the readings of every sensor of the simulated
 * plant over its whole history, by equipment and time, as training reads it), the same store, one
 * warm-up read each, then `--repeat` reads each, alternating; the tables are checked cell for cell.
 *
 *   npm run bench:read [-- --equipment 12 --days 7 --repeat 3]
 *
 * The default is the plant of a first `npm start` (12 machines x 7 days at 1 s, ~6.8M readings,
 * about a quarter of the values null: sensors a class lacks and dropouts).
 *
 * Last line: {"rows","parquet_s","csv_s","pg_s","ratio_csv_to_parquet","ratio_pg_to_csv",
 * "parquet_best_s","csv_best_s","pg_best_s","identical"} (medians, then the best of the runs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Table } from 'apache-arrow';
import { defineFeatureSet } from '../features/index.ts';
import { float64Values, stringCodes, timestampMicros } from '../features/arrow-io.ts';
import { loadReadings } from '../pipelines/data.ts';
import { loadConfig } from '../src/config.ts';
import { QuestDbSink, SENSORS, simulate } from '../src/sim/index.ts';
import { connectStore, waitForWal } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';
import { benchEnv } from './load.ts';

const { values: o } = parseArgs({
  options: {
    equipment: { type: 'string', default: '12' },
    days: { type: 'string', default: '7' },
    repeat: { type: 'string', default: '3' },
  },
});
const days = Number(o.days);
const repeat = Math.max(1, Number(o.repeat));

function identical(a: Table, b: Table): boolean {
  if (a.numRows !== b.numRows) return false;
  const ta = timestampMicros(a.getChild('ts')!);
  const tb = timestampMicros(b.getChild('ts')!);
  for (let i = 0; i < ta.length; i++) if (ta[i] !== tb[i]) return false;
  const ea = stringCodes(a.getChild('equipment')!);
  const eb = stringCodes(b.getChild('equipment')!);
  for (let i = 0; i < ea.codes.length; i++)
    if (ea.labels[ea.codes[i] as number] !== eb.labels[eb.codes[i] as number]) return false;
  for (const f of a.schema.fields.slice(2)) {
    const x = float64Values(a.getChild(f.name)!);
    const y = float64Values(b.getChild(f.name)!);
    for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
    if (a.getChild(f.name)!.nullCount !== b.getChild(f.name)!.nullCount) return false;
  }
  return true;
}

const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] as number;

const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-read-'));
const env = await benchEnv(dir, { PDM_LOG_LEVEL: 'error' });
const store: Store = await connectStore(loadConfig(env), { onLog: (l) => console.error(l) });
try {
  const start = Date.UTC(2026, 0, 5) / 1000;
  console.error(`simulating ${o.equipment} machines x ${days} days at 1 s...`);
  const sink = await QuestDbSink.open(store.config, store.tables);
  await simulate(sink, { equipment: Number(o.equipment), days, seed: 1, start });
  await sink.close();
  for (const t of [store.tables.telemetry, store.tables.maintenance, store.tables.batches])
    await waitForWal(store.pool, store.tables, t, 600_000);
  const fs = defineFeatureSet({
    name: 'bench',
    sensors: [...SENSORS],
    windows: [{ kind: 'time', seconds: 600 }],
    stats: ['mean'],
  });
  const range = { from: start * 1e6, to: (start + days * 86400) * 1e6 };
  const via = (v: 'export' | 'csv' | 'pg'): Store => ({
    ...store,
    config: { ...store.config, questdb: { ...store.config.questdb, readVia: v } },
  });
  const modes = ['export', 'csv', 'pg'] as const;
  const times: Record<(typeof modes)[number], number[]> = { export: [], csv: [], pg: [] };
  const last: Partial<Record<(typeof modes)[number], Table>> = {};
  for (let r = 0; r <= repeat; r++) {
    for (const v of modes) {
      const t0 = performance.now();
      const t = await loadReadings(via(v), fs, range);
      const s = (performance.now() - t0) / 1000;
      console.error(
        `${r === 0 ? 'warm-up' : `run ${r}`}: ${v === 'export' ? 'parquet' : v} ${t.numRows.toLocaleString('en')} rows in ${s.toFixed(1)} s`,
      );
      if (r > 0) times[v].push(s);
      last[v] = t;
    }
  }
  const q = median(times.export);
  const c = median(times.csv);
  const p = median(times.pg);
  const round = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      rows: last.export!.numRows,
      parquet_s: round(q),
      csv_s: round(c),
      pg_s: round(p),
      ratio_csv_to_parquet: Math.round((c / q) * 100) / 100,
      ratio_pg_to_csv: Math.round((p / c) * 100) / 100,
      parquet_best_s: round(Math.min(...times.export)),
      csv_best_s: round(Math.min(...times.csv)),
      pg_best_s: round(Math.min(...times.pg)),
      identical: identical(last.export!, last.pg!) && identical(last.csv!, last.pg!),
    }),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
