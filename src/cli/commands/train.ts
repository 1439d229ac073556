import { ErrorCodes, PdmError } from '../../errors.ts';
import { ModelRegistry } from '../../../models/index.ts';
import {
  backtestFailure,
  failureBacktestMetrics,
  rulBacktestMetrics,
  backtestRul,
  computeStoreFeatures,
  storedHistory,
  historyWindow,
  trainFailureModel,
  trainRulModel,
} from '../../../pipelines/index.ts';
import { connectStore, microsToIso } from '../../store/index.ts';
import { intOption, parseOptions } from '../args.ts';
import { chooseScope } from '../scope.ts';
import type { CommandContext } from '../main.ts';

export async function trainCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('train', args, {
    horizon: { type: 'string' },
    mode: { type: 'string' },
    cap: { type: 'string' },
    trees: { type: 'string' },
    promote: { type: 'boolean' },
    'skip-backtest': { type: 'boolean' },
    scope: { type: 'string' },
  });
  const what = positionals[0];
  if (what !== 'failure' && what !== 'rul')
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      'usage: pdm train failure|rul [--scope S] [--horizon H] [--mode M] [--cap H] [--trees N] [--promote] [--skip-backtest]',
    );
  const registry = new ModelRegistry(config.modelsDir);
  const store = await connectStore(config, { start: false });
  try {
    const scope = await chooseScope(store, 'train', values.scope);
    const stored = await storedHistory(store, 'train');
    const range = historyWindow(stored, config.models.historyDays);
    if (range.from > stored.from)
      console.error(
        `train: reading the last ${config.models.historyDays} days of history, from ${microsToIso(range.from)} (PDM_TRAIN_HISTORY_DAYS; 0 reads all)`,
      );
    const opts = {
      horizonHours: intOption('train', 'horizon', values.horizon, 24),
      mode: values.mode,
      rulCapHours: intOption('train', 'cap', values.cap, 168),
      trees: intOption('train', 'trees', values.trees, 100),
    };
    const started = performance.now();
    // The recipe is backtested walk-forward first, so the gate's verdict goes with the model (what
    // answers when it is promoted: the model, or the reference it lost to). --skip-backtest trains
    // an unjudged model, which says so wherever it answers.
    const features = await computeStoreFeatures(store, scope, range);
    const judged = {
      ...opts,
      features,
      alertBudget: config.models.alertBudget,
      workOrderBudget: config.models.workOrderBudget,
    };
    // The walk-forward's figures and verdict are recorded beside the version, as the first start does.
    const backtest = values['skip-backtest']
      ? undefined
      : what === 'failure'
        ? await backtestFailure(store, scope, range, { ...judged, forest: { trees: opts.trees } })
        : await backtestRul(store, scope, range, { capHours: opts.rulCapHours, trees: opts.trees, features });
    const metrics =
      backtest === undefined
        ? undefined
        : 'roc_auc' in backtest
          ? failureBacktestMetrics(backtest)
          : rulBacktestMetrics(backtest);
    const recorded = { ...judged, gate: backtest?.gate, metrics };
    const meta =
      what === 'failure'
        ? await trainFailureModel(store, registry, scope, range, recorded)
        : await trainRulModel(store, registry, scope, range, recorded);
    if (backtest !== undefined) registry.saveBacktest(meta.name, meta.version, backtest);
    if (values.promote || registry.promoted(meta.name) === null) registry.promote(meta.name, meta.version);
    const s = Math.round((performance.now() - started) / 100) / 10;
    out.result(
      {
        ok: true,
        name: meta.name,
        scope: scope.name,
        version: meta.version,
        target: meta.target,
        rows: meta.rows,
        promoted: registry.promoted(meta.name),
        gate: meta.gate ?? null,
        train_s: s,
      },
      `${meta.name} ${meta.version} (${meta.target}) fitted on ${meta.rows} instants (${calibrationOf(meta)}) in ${s} s; promoted: ${registry.promoted(meta.name)}; ` +
        (meta.gate === undefined
          ? 'not judged by a backtest (--skip-backtest)'
          : meta.gate.passed
            ? `the model answers: ${meta.gate.reason}`
            : `${meta.gate.serve} answers for it: ${meta.gate.reason}`),
    );
  } finally {
    await store.close();
  }
}

/** How a model's calibration was fitted, as its metrics record it. */
function calibrationOf(meta: { metrics: Readonly<Record<string, number>> }): string {
  const blocks = meta.metrics.cross_fit_blocks ?? 0;
  const rows = meta.metrics.calibration_rows;
  return blocks > 0
    ? `calibrated on ${rows} cross-fitted scores in ${blocks} blocks`
    : `the calibration slice after them: ${rows}`;
}
