import { ErrorCodes, PdmError } from '../../errors.ts';
import { parseIsoMicros } from '../../ingest/index.ts';
import { connectStore, microsToIso } from '../../store/index.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { dataFile } from '../../ingest/index.ts';
import { backtestAlerts } from '../../../pipelines/backtest-alerts.ts';
import { anomalyCmapss, backtestAnomaly } from '../../../pipelines/backtest-anomaly.ts';
import { currentPlant, DEFAULT_ALERT_POLICY } from '../../plant/index.ts';
import { CROSS_FIT_BLOCKS } from '../../../pipelines/harness.ts';
import {
  backtestFailure,
  backtestRul,
  storedHistory,
  historyWindow,
  writeBacktestReport,
} from '../../../pipelines/index.ts';
import { intOption, numberOption, parseOptions } from '../args.ts';
import { progressBar } from '../output.ts';
import { chooseScope } from '../scope.ts';
import type { CommandContext } from '../main.ts';

export async function backtestCommand({ args, config, out }: CommandContext): Promise<void> {
  const { values, positionals } = parseOptions('backtest', args, {
    horizon: { type: 'string' },
    folds: { type: 'string' },
    mode: { type: 'string' },
    threshold: { type: 'string' },
    budget: { type: 'string' },
    'work-order-budget': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    report: { type: 'string' },
    'hold-out': { type: 'string' },
    cap: { type: 'string' },
    scope: { type: 'string' },
    cmapss: { type: 'string' },
    'no-context-z': { type: 'boolean' },
    'cross-fit': { type: 'string' },
  });
  const kind = positionals[0];
  if (kind === 'anomaly' && values.cmapss !== undefined) {
    // No store needed: the public data set, read from its file.
    const file =
      values.cmapss === '' || values.cmapss === 'FD001'
        ? dataFile(path.join(config.dataDir, 'cmapss'), 'train_FD001.txt')
        : values.cmapss;
    if (!existsSync(file))
      throw new PdmError(ErrorCodes.INGEST_INPUT, `backtest anomaly: --cmapss file not found: ${file}`);
    const c = anomalyCmapss(file);
    out.result(
      { ok: true, file, ...c },
      `C-MAPSS ${path.basename(file)}: ${c.units} units, the anomaly model learnt the first ${c.normal_share * 100} % of each unit's cycles as normal (${c.fit_rows} fitting rows, no RUL used):\n` +
        `  Spearman of (1 - health) with the cycle over each unit's life: median ${c.spearman_cycle.median} (p10 ${c.spearman_cycle.p10}, p90 ${c.spearman_cycle.p90})\n` +
        `  Pearson of health with the true RUL: ${c.pearson_rul} (RUL capped at 125: ${c.pearson_capped_rul})\n` +
        `  mean health by tenth of life: ${c.health_by_life_decile.join(' ')}`,
    );
    return;
  }
  if (kind !== 'failure' && kind !== 'rul' && kind !== 'alerts' && kind !== 'anomaly')
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      'usage: pdm backtest failure [--scope S] [--horizon 24] [--folds 3] [--mode M] [--budget 2 | --threshold P] [--work-order-budget 0.2] [--hold-out EQ1,EQ2] [--no-context-z] [--cross-fit 4|0] [--report DIR] | pdm backtest rul [--scope S] [--cap 168] [--folds 3] | pdm backtest alerts [--scope S] [--horizon 24] [--folds 3] [--budget 2] [--work-order-budget 0.2] [--no-context-z] [--cross-fit 4|0] | pdm backtest anomaly [--scope S] [--horizon 24] [--folds 3] [--budget 2] | pdm backtest anomaly --cmapss FD001|FILE',
    );
  const horizon = numberOption('horizon', values.horizon, 24, 'hours > 0', (v) => v > 0);
  // Alerts at each fold's threshold for the false-alarm budget, unless a fixed one is asked for.
  const threshold =
    values.threshold === undefined
      ? undefined
      : numberOption(
          'threshold',
          values.threshold,
          NaN,
          'a probability between 0 and 1',
          (v) => v > 0 && v < 1,
        );
  const budget = numberOption(
    'budget',
    values.budget,
    // The anomaly model's alarm budget is its own setting (PDM_ANOMALY_ALARM_BUDGET).
    kind === 'anomaly' ? config.models.anomalyAlarmBudget : config.models.alertBudget,
    'false alarms per equipment-month > 0',
    (v) => v > 0,
  );
  const workOrderBudget = numberOption(
    'work-order-budget',
    values['work-order-budget'],
    config.models.workOrderBudget,
    'false work orders per equipment-month > 0',
    (v) => v > 0,
  );
  const crossFit = intOption('backtest', 'cross-fit', values['cross-fit'], CROSS_FIT_BLOCKS);
  if (crossFit === 1)
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      'backtest: --cross-fit expects 0 (the latest quarter calibrates) or 2 and more blocks, got 1',
    );
  const store = await connectStore(config, { start: false });
  let bar: ReturnType<typeof progressBar> | undefined;
  try {
    const scope = await chooseScope(store, 'backtest', values.scope);
    // A long run (minutes on weeks of 1 s data) shows where it is, on a terminal.
    bar = progressBar(`backtest ${kind} (${scope.name})`);
    const stored = await storedHistory(store, 'backtest');
    const to = values.to === undefined ? stored.to : parseIsoMicros(values.to);
    // Without --from, the PDM_TRAIN_HISTORY_DAYS days before the end: what training reads.
    const window = historyWindow({ from: stored.from, to }, config.models.historyDays);
    if (values.from === undefined && window.from > stored.from)
      console.error(
        `backtest: the last ${config.models.historyDays} days of history, from ${microsToIso(window.from)} (PDM_TRAIN_HISTORY_DAYS; --from or 0 reads more)`,
      );
    const from = values.from === undefined ? window.from : parseIsoMicros(values.from);
    if (Number.isNaN(from) || Number.isNaN(to))
      throw new PdmError(ErrorCodes.CLI_USAGE, 'backtest: --from and --to must be ISO 8601');
    if (kind === 'rul') {
      const cap = numberOption('cap', values.cap, 168, 'hours > 0', (v) => v > 0);
      const b = await backtestRul(
        store,
        scope,
        { from, to },
        { capHours: cap, folds: intOption('backtest', 'folds', values.folds, 3) },
      );
      out.result(
        { ok: true, scope: scope.name, ...b },
        `RUL (${scope.name}, cap ${cap} h), ${b.test_rows} test instants: RMSE ${b.rmse_h} h, MAE ${b.mae_h} h, PHM08 ${b.phm08}; ` +
          `10-90 % interval covers ${b.interval_coverage}; baseline (${b.baseline.name}) RMSE ${b.baseline.rmse_h} h, Weibull survival model alone RMSE ${b.weibull_baseline.rmse_h} h; ` +
          `${b.censored.rows} censored instants, certainly too low: model ${b.censored.model_too_low}, mean life ${b.censored.baseline_too_low}\n` +
          `coverage by nominal level: ${b.coverage.map((c) => `${c.level}: ${c.observed}`).join(', ')}\n` +
          `gate: ${b.gate.passed ? 'the model passes' : `${b.gate.serve} would answer`} (${b.gate.reason})`,
      );
      return;
    }
    if (kind === 'anomaly') {
      const a = await backtestAnomaly(
        store,
        scope,
        { from, to },
        {
          horizonHours: horizon,
          folds: intOption('backtest', 'folds', values.folds, 3),
          alarmBudget: budget,
          onProgress: (d, t, what) => bar?.update(d, t, what),
        },
      );
      bar?.end();
      out.result(
        { ok: true, scope: scope.name, ...a },
        `${scope.name}: anomaly model (no failure label used in training), ${a.test_rows} out-of-sample instants (${a.equipment_months} equipment-months):\n` +
          `  anomaly alerts as the policy raises them: ${a.failures_warned}/${a.failures_in_test} failures warned within ${horizon} h, median lead ${a.lead_time_h.median} h (p10 ${a.lead_time_h.p10}, p90 ${a.lead_time_h.p90}); ` +
          `${a.false_alarms} false alerts, ${a.false_alarms_per_equipment_month} per equipment-month (alarm level chosen per fold for ${budget} on normal operation: health <= ${a.alarm_health.join(', ')})\n` +
          `  the raw threshold (every run at or below the level, no hold or hysteresis): ${a.raw_threshold.failures_warned} warned, ${a.raw_threshold.false_alarms_per_equipment_month} false alarms per equipment-month\n` +
          `  ROC-AUC of 1 - health for failure within ${horizon} h: ${a.roc_auc}; leading drivers before failures: ${a.top_drivers.map((d) => `${d.feature} ${Math.round(d.share * 100)} %`).join(', ') || 'none'}`,
      );
      return;
    }
    if (kind === 'alerts') {
      // The plant file's policy per class (the pooled scope's classes each keep their own).
      const plant = (await currentPlant(store))?.plant;
      const classOf = new Map(plant?.equipment.map((e) => [e.id, e.class]) ?? []);
      const lineOf = new Map(plant?.equipment.map((e) => [e.id, e.line]) ?? []);
      const a = await backtestAlerts(
        store,
        scope,
        { from, to },
        {
          horizonHours: horizon,
          folds: intOption('backtest', 'folds', values.folds, 3),
          alertBudget: budget,
          workOrderBudget,
          contextZ: values['no-context-z'] !== true,
          crossFit,
          policyOf: (e) =>
            plant?.classes[classOf.get(e) ?? '']?.alerts ?? plant?.alerts ?? DEFAULT_ALERT_POLICY,
          lineOf: (e) => lineOf.get(e) ?? '',
          timeZone: plant?.timezone,
          onProgress: (d, t, what) => bar?.update(d, t, what),
        },
      );
      bar?.end();
      const line = (name: string, f: typeof a.policy) =>
        `  ${name}: ${f.alerts} alerts (${f.alerts_per_equipment_month} per equipment-month, ${f.false_alerts} false), ` +
        `${f.work_orders} work orders (${f.false_work_orders} false: ${f.false_work_orders_per_equipment_month} per equipment-month), ` +
        `${f.notifications} notifications; ${f.failures_warned}/${f.failures} failures warned, median lead ${f.lead_time_h.median} h`;
      out.result(
        { ok: true, scope: scope.name, ...a },
        [
          `${scope.name}: alerts replayed over ${a.test_instants} out-of-sample instants of ${a.equipment} equipment (${a.equipment_months} equipment-months), failure within ${horizon} h:`,
          line('with the fatigue controls', a.policy),
          line('raw threshold', a.raw_threshold),
          `  model ROC-AUC ${a.failure.roc_auc}; gate: ${a.failure.gate.passed ? 'the model passes (work orders allowed)' : `${a.failure.gate.serve} would answer: no work order is opened automatically`}`,
        ].join('\n'),
      );
      return;
    }
    const r = await backtestFailure(
      store,
      scope,
      { from, to },
      {
        horizonHours: horizon,
        folds: intOption('backtest', 'folds', values.folds, 3),
        mode: values.mode,
        threshold,
        alertBudget: budget,
        workOrderBudget,
        contextZ: values['no-context-z'] !== true,
        crossFit,
        holdOutEquipment: values['hold-out']
          ?.split(',')
          .map((e) => e.trim())
          .filter(Boolean),
        onProgress: (d, t, what) => bar?.update(d, t, what),
      },
    );
    bar?.end();
    const file = writeBacktestReport(
      values.report ?? 'reports',
      r,
      `Backtest: failure within ${horizon} h (${scope.name}: ${scope.classes.join(', ')})`,
    );
    out.result(
      { ok: true, scope: scope.name, ...r, report: file },
      `${scope.name}: failure (${r.mode}) within ${horizon} h: ROC-AUC ${r.roc_auc} (baselines: one feature ${r.baseline.roc_auc}, persistence ${r.persistence.roc_auc}), PR-AUC ${r.pr_auc}, ` +
        `Brier ${r.brier} (climatology ${r.base_rate_brier}, skill ${r.brier_skill}), ECE ${r.ece}; ` +
        `alerting ${threshold === undefined ? `for ${budget} false alarm(s) per equipment-month` : `at p >= ${threshold}`}: ` +
        `${r.failures_warned}/${r.failures_in_test} failures warned, median lead ${r.lead_time_h.median} h, ` +
        `${r.false_alarms_per_equipment_month} false alarms per equipment-month measured\n` +
        `gate: ${r.gate.passed ? 'the model passes' : `${r.gate.serve} would answer`} (${r.gate.reason})\nreport: ${file}`,
    );
  } finally {
    bar?.end();
    await store.close();
  }
}
