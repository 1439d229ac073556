import { ErrorCodes, PdmError } from '../../errors.ts';
import { parseIsoMicros } from '../../ingest/index.ts';
import { connectStore } from '../../store/index.ts';
import {
  FEATURE_SETS,
  backtestFailure,
  telemetrySpan,
  writeBacktestReport,
} from '../../../pipelines/index.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

export async function backtestCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('backtest', args, {
    horizon: { type: 'string' },
    folds: { type: 'string' },
    mode: { type: 'string' },
    threshold: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    report: { type: 'string' },
  });
  if (positionals[0] !== 'failure')
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      'usage: pdm backtest failure [--horizon 24] [--folds 3] [--mode bearing] [--report DIR]',
    );
  const horizon = Number(values.horizon ?? 24);
  const threshold = Number(values.threshold ?? 0.5);
  if (!(horizon > 0) || !(threshold > 0 && threshold < 1))
    throw new PdmError(ErrorCodes.CLI_USAGE, 'backtest: --horizon > 0 and 0 < --threshold < 1');
  const fs = FEATURE_SETS['plant-v1']!;
  const store = await connectStore(config, { start: false });
  try {
    const span = await telemetrySpan(store);
    if (span.readings === 0)
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        'backtest: the telemetry table is empty; `pdm simulate` first',
      );
    const from = values.from === undefined ? span.first : parseIsoMicros(values.from);
    const to = values.to === undefined ? span.last + 1 : parseIsoMicros(values.to);
    if (Number.isNaN(from) || Number.isNaN(to))
      throw new PdmError(ErrorCodes.CLI_USAGE, 'backtest: --from and --to must be ISO 8601');
    const r = await backtestFailure(
      store,
      fs,
      { from, to },
      {
        horizonHours: horizon,
        folds: intOption('backtest', 'folds', values.folds, 3),
        mode: values.mode,
        threshold,
      },
    );
    const file = writeBacktestReport(
      values.report ?? 'reports',
      r,
      `Backtest: failure within ${horizon} h (${fs.name})`,
    );
    out.result(
      { ok: true, ...r, report: file },
      `failure (${r.mode}) within ${horizon} h: ROC-AUC ${r.roc_auc} (one-feature baseline ${r.baseline.roc_auc}), PR-AUC ${r.pr_auc}, Brier ${r.brier}; ` +
        `${r.failures_warned}/${r.failures_in_test} failures warned, median lead ${r.lead_time_h.median} h, ` +
        `${r.false_alarms_per_equipment_month} false alarms per equipment-month\nreport: ${file}`,
    );
  } finally {
    await store.close();
  }
}
