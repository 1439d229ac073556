import { ModelRegistry } from '../../../models/index.ts';
import { forecastAll, plantForecasts } from '../../../pipelines/index.ts';
import { PlantScorer } from '../../scoring/scorer.ts';
import { parseIsoMicros } from '../../ingest/index.ts';
import { connectStore, waitForWal } from '../../store/index.ts';
import { ErrorCodes, PdmError } from '../../errors.ts';
import { parseOptions } from '../args.ts';
import { plantInForce } from '../scope.ts';
import type { CommandContext } from '../main.ts';

/** Scores every equipment now (or --at), writes the forecasts, prints them ranked with MES context. */
export async function forecastCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values } = parseOptions('forecast', args, { at: { type: 'string' }, line: { type: 'string' } });
  const at = values.at === undefined ? Date.now() * 1000 : parseIsoMicros(values.at);
  if (Number.isNaN(at)) throw new PdmError(ErrorCodes.CLI_USAGE, 'forecast: --at must be ISO 8601');
  const store = await connectStore(config, { start: false });
  try {
    const scorer = PlantScorer.load(
      store,
      new ModelRegistry(config.modelsDir),
      await plantInForce(store, 'forecast'),
      config.models.failureHorizonsHours[0],
    );
    if (!scorer.ready)
      throw new PdmError(ErrorCodes.MODEL_NOT_FOUND, 'no promoted model: pdm train failure (and rul) first');
    const skipped: { equipment: string; reason: string }[] = [];
    const written = await forecastAll(store, scorer, at, (equipment, reason) =>
      skipped.push({ equipment, reason }),
    );
    await waitForWal(store.pool, store.tables, store.tables.forecasts);
    const rows = await plantForecasts(store, 24, { line: values.line });
    out.result(
      { ok: true, written, skipped, forecasts: rows },
      [
        `${written} forecasts written; ranked by failure probability within 24 h:`,
        ...skipped.map((x) => `  (not scored: ${x.reason})`),
        ...rows.map(
          (r) =>
            `  ${r.equipment.padEnd(10)} p=${r.probability.toFixed(3)}  RUL ${r.rul_h} h [${r.rul_lo_h}, ${r.rul_hi_h}]  ` +
            `${r.running_batch ? `running ${r.running_batch.batch_id}` : 'idle'}` +
            `${r.maintenance_window ? `  window ${r.maintenance_window.start} .. ${r.maintenance_window.end}` : ''}`,
        ),
      ].join('\n'),
    );
  } finally {
    await store.close();
  }
}
