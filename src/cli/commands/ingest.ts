import { ErrorCodes, PdmError } from '../../errors.ts';
import {
  appendMaintenance,
  ingestFile,
  maintenanceLayout,
  parseIsoMicros,
  parseSensorList,
} from '../../ingest/index.ts';
import type { FileFormat, MaintenanceRecord, TimeUnit } from '../../ingest/index.ts';
import { currentPlant, failureMode, readingCheck } from '../../plant/index.ts';
import type { Plant } from '../../plant/index.ts';
import { connectStore, microsToIso, query, sql, waitForWal, Writer } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { intOption, parseOptions } from '../args.ts';
import { progressBar } from '../output.ts';
import type { CommandContext } from '../main.ts';

const FORMATS = ['csv', 'ndjson', 'cmapss'];
const UNITS = ['s', 'ms', 'us', 'ns', 'cycle'];

/**
 * Run-to-failure data (a test rig, NASA's C-MAPSS): each equipment's last reading in the file is
 * a failure of `mode` (a mode of its class in the plant file, by name or code). Written as the API
 * writes maintenance, after the same check of the mode; returns how many.
 */
async function failuresAtLast(
  store: Store,
  plant: Plant | null,
  last: ReadonlyMap<string, number>,
  mode: string,
): Promise<{ written: number; mode: string }> {
  const rows: MaintenanceRecord[] = [];
  let stored = mode;
  for (const [equipment, ts] of [...last].sort((a, b) => a[0].localeCompare(b[0]))) {
    const known = failureMode(plant, equipment, mode);
    if (known !== null && typeof known === 'object')
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        `--failure-at-last ${mode}: ${equipment}: ${known.reason}; the readings were ingested, no failure was written`,
      );
    if (typeof known === 'string') stored = known;
    rows.push({
      ts,
      equipment,
      kind: 'failure',
      mode: known ?? mode,
      end: NaN,
      workOrder: null,
      note: 'run-to-failure: the last reading of the file (pdm ingest --failure-at-last)',
    });
  }
  const w = await Writer.open(store.config.questdb, store.config.ingest, maintenanceLayout(store.tables));
  for (const r of rows) await appendMaintenance(w, r);
  await w.close();
  return { written: w.stats.rowsAcknowledged, mode: stored };
}

/** Rows in a table; 0 when it does not exist yet (a new target table). */
async function rowCount(store: Store, table: string): Promise<number> {
  try {
    const { rows } = await query<{ n: string | number }>(
      store.pool,
      sql('table_row_count', store.tables, { table: [table] }),
    );
    return Number(rows[0]?.n ?? 0);
  } catch {
    return 0;
  }
}

export async function ingestCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('ingest', args, {
    format: { type: 'string' },
    table: { type: 'string' },
    'time-field': { type: 'string' },
    'time-unit': { type: 'string' },
    'equipment-field': { type: 'string' },
    equipment: { type: 'string' },
    sensors: { type: 'string' },
    delimiter: { type: 'string' },
    dataset: { type: 'string' },
    'cycle-seconds': { type: 'string' },
    'time-origin': { type: 'string' },
    columns: { type: 'string' },
    'equipment-format': { type: 'string' },
    'failure-at-last': { type: 'string' },
    'max-rejections': { type: 'string' },
  });
  const file = positionals[0];
  if (file === undefined || positionals.length > 1)
    throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm ingest FILE [options]; see pdm --help');
  if (values.format !== undefined && !FORMATS.includes(values.format)) {
    throw new PdmError(ErrorCodes.CLI_USAGE, `--format must be one of ${FORMATS.join(', ')}`);
  }
  if (values['time-unit'] !== undefined && !UNITS.includes(values['time-unit'])) {
    throw new PdmError(ErrorCodes.CLI_USAGE, `--time-unit must be one of ${UNITS.join(', ')}`);
  }
  const cycleSeconds = values['cycle-seconds'] === undefined ? undefined : Number(values['cycle-seconds']);
  if (cycleSeconds !== undefined && !(cycleSeconds > 0))
    throw new PdmError(ErrorCodes.CLI_USAGE, '--cycle-seconds must be positive');
  // Cycles as time: cycle n is at the origin plus n cycle lengths.
  let cycle: { seconds: number; originMicros: number } | undefined;
  if (values['time-unit'] === 'cycle') {
    const origin = values['time-origin'] === undefined ? NaN : parseIsoMicros(values['time-origin']);
    if (cycleSeconds === undefined || Number.isNaN(origin))
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        '--time-unit cycle needs --cycle-seconds (the length of one cycle) and --time-origin (the instant of cycle 0, ISO 8601)',
      );
    cycle = { seconds: cycleSeconds, originMicros: origin };
  } else if (values['time-origin'] !== undefined)
    throw new PdmError(ErrorCodes.CLI_USAGE, '--time-origin goes with --time-unit cycle');
  const columns = values.columns
    ?.split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  if (columns !== undefined && columns.length < 2)
    throw new PdmError(ErrorCodes.CLI_USAGE, '--columns names every field of a file without a header: a,b,c');
  const atLast = values['failure-at-last'];
  if (atLast !== undefined && !/^[A-Za-z0-9_.-]{1,32}$/.test(atLast))
    throw new PdmError(ErrorCodes.CLI_USAGE, '--failure-at-last takes a failure mode (name or code)');
  const store = await connectStore(config, { start: false });
  const bar = progressBar('ingest');
  try {
    // Readings of equipment the plant file declares are checked against its sensors and ranges.
    const plant = await currentPlant(store);
    const last = atLast === undefined ? undefined : new Map<string, number>();
    // Rows already in the possible targets, to tell new rows from rows stored before (DEDUP
    // replaces a row of the same instant, equipment and sensors in place).
    const before = new Map<string, number>();
    for (const t of new Set([values.table ?? store.tables.telemetry, store.tables.cmapss]))
      before.set(t, await rowCount(store, t));
    const summary = await ingestFile(config, store.tables, file, {
      validate: plant === null ? undefined : readingCheck(plant.plant).check,
      lastByEquipment: last,
      cycle,
      columns,
      equipmentFormat: values['equipment-format'],
      format: values.format as FileFormat | undefined,
      table: values.table,
      timeField: values['time-field'],
      timeUnit: values['time-unit'] as TimeUnit | undefined,
      equipmentField: values['equipment-field'],
      equipment: values.equipment,
      sensors: values.sensors === undefined ? undefined : parseSensorList(values.sensors),
      delimiter: values.delimiter,
      dataset: values.dataset,
      cycleSeconds,
      maxRejections: intOption('ingest', 'max-rejections', values['max-rejections'], 20),
      onProgress: (p) =>
        bar.update(
          p.bytesRead,
          p.bytesTotal,
          `${p.rowsRead.toLocaleString('en')} rows, ${p.rejected.toLocaleString('en')} rejected`,
        ),
    });
    bar.end();
    const lines = [
      `${summary.file} -> ${summary.table} (${summary.format}): ${summary.rows_read} rows read, ` +
        `${summary.accepted} accepted, ${summary.rejected} rejected in ${summary.duration_s} s (${summary.rows_per_s} rows/s)`,
      ...summary.rejections.map((r) => `  row ${r.row}, field ${r.field}: ${r.reason}`),
    ];
    if (summary.rejected > summary.rejections.length)
      lines.push(`  ... and ${summary.rejected - summary.rejections.length} more`);
    for (const w of summary.warnings) out.warn(`warning: ${w}`);
    // Nothing ingested is a failure, whatever the reason: a script must not carry on as if it worked.
    if (summary.accepted === 0) {
      const why =
        summary.rows_read === 0
          ? 'the file has no data line (empty, or a header only)'
          : `every one of its ${summary.rows_read} rows was rejected (${summary.format}: is --format right?)`;
      throw new PdmError(
        ErrorCodes.INGEST_INPUT,
        `nothing ingested from ${summary.file}: ${why}\n${lines.join('\n')}`,
        {
          detail: { ...summary },
        },
      );
    }
    await waitForWal(store.pool, store.tables, summary.table, 600_000);
    const added = (await rowCount(store, summary.table)) - (before.get(summary.table) ?? 0);
    const newRows = Math.max(0, Math.min(summary.accepted, added));
    lines.push(
      `  ${newRows} new rows stored, ${summary.accepted - newRows} already stored (same instant, equipment and sensors: replaced in place)` +
        (added > summary.accepted
          ? `; ${added - summary.accepted} more rows arrived from other writers meanwhile`
          : ''),
    );
    let failures: { written: number; mode: string } | undefined;
    if (last !== undefined && atLast !== undefined) {
      failures = await failuresAtLast(store, plant?.plant ?? null, last, atLast);
      const times = [...last.values()];
      lines.push(
        `  ${failures.written} failures (${failures.mode}) written at each equipment's last reading ` +
          `(${microsToIso(Math.min(...times))} .. ${microsToIso(Math.max(...times))})`,
      );
    }
    out.result(
      {
        ok: true,
        ...summary,
        new_rows: newRows,
        already_stored: summary.accepted - newRows,
        ...(failures ? { failures_written: failures.written, failure_mode: failures.mode } : {}),
      },
      lines.join('\n'),
    );
  } finally {
    bar.end();
    await store.close();
  }
}
