import { ErrorCodes, PdmError } from '../../errors.ts';
import { ingestFile, parseSensorList } from '../../ingest/index.ts';
import type { FileFormat, TimeUnit } from '../../ingest/index.ts';
import { currentPlant, readingCheck } from '../../plant/index.ts';
import { connectStore } from '../../store/index.ts';
import { intOption, parseOptions } from '../args.ts';
import { progressBar } from '../output.ts';
import type { CommandContext } from '../main.ts';

const FORMATS = ['csv', 'ndjson', 'cmapss'];
const UNITS = ['s', 'ms', 'us', 'ns'];

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
  const store = await connectStore(config, { start: false });
  const bar = progressBar('ingest');
  try {
    // Readings of equipment the plant file declares are checked against its sensors and ranges.
    const plant = await currentPlant(store);
    const summary = await ingestFile(config, store.tables, file, {
      validate: plant === null ? undefined : readingCheck(plant.plant).check,
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
    out.result({ ok: true, ...summary }, lines.join('\n'));
  } finally {
    bar.end();
    await store.close();
  }
}
