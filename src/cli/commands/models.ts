import { ErrorCodes, PdmError } from '../../errors.ts';
import { ModelRegistry } from '../../../models/index.ts';
import { parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

const f3 = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : 'n/a');

/** A version's walk-forward figures beside its references', in one line. */
function figuresOf(m: Readonly<Record<string, number>>): string {
  if (m.backtest_roc_auc !== undefined && m.backtest_baseline_roc_auc === undefined)
    return `failures hidden: ROC-AUC ${f3(m.backtest_roc_auc)}, ${m.backtest_failures_warned ?? 'n/a'}/${m.backtest_failures ?? 'n/a'} failures warned, median lead ${f3(m.backtest_lead_time_median_h)} h, ${f3(m.backtest_false_alarms_per_equipment_month)} false alarms per equipment-month`;
  if (m.backtest_roc_auc !== undefined)
    return (
      `ROC-AUC ${f3(m.backtest_roc_auc)} (one sensor ${f3(m.backtest_baseline_roc_auc)}, persistence ${f3(m.backtest_persistence_roc_auc)}), ` +
      `Brier ${f3(m.backtest_brier)} (climatology ${f3(m.backtest_base_rate_brier)})`
    );
  if (m.backtest_rmse_h !== undefined)
    return `RMSE ${f3(m.backtest_rmse_h)} h (mean life ${f3(m.backtest_baseline_rmse_h)} h, Weibull ${f3(m.backtest_weibull_baseline_rmse_h)} h)`;
  return 'no walk-forward figures recorded';
}

export async function modelsCommand({ args, config, out }: CommandContext): Promise<void> {
  const { positionals } = parseOptions('models', args, {});
  const [action, name, version] = positionals;
  const registry = new ModelRegistry(config.modelsDir);
  switch (action) {
    case 'list': {
      // Each version with its walk-forward figures beside its references', and what answers for it.
      const models = registry.names().map((n) => {
        const promoted = registry.promoted(n);
        return {
          name: n,
          promoted,
          versions: registry.versions(n).map((v) => {
            const meta = registry.meta(n, v);
            const answers =
              meta.gate === undefined ? 'model (not judged)' : meta.gate.passed ? 'model' : meta.gate.serve;
            return { version: v, answers, gate: meta.gate ?? null, metrics: meta.metrics };
          }),
        };
      });
      const line = (v: (typeof models)[number]['versions'][number]) =>
        `  ${v.version}: answers: ${v.answers}; ${figuresOf(v.metrics)}${v.gate && !v.gate.passed ? `; ${v.gate.reason}` : ''}`;
      out.result(
        { ok: true, dir: config.modelsDir, models },
        models.length === 0
          ? `no models in ${config.modelsDir}`
          : models
              .map(
                (m) =>
                  `${m.name}${m.promoted ? ` (promoted ${m.promoted})` : ' (none promoted)'}\n${m.versions.map(line).join('\n')}`,
              )
              .join('\n'),
      );
      return;
    }
    case 'show': {
      if (name === undefined)
        throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm models show NAME [VERSION]');
      const v = version ?? registry.promoted(name) ?? registry.versions(name).at(-1);
      if (v === undefined)
        throw new PdmError(ErrorCodes.MODEL_NOT_FOUND, `no model ${name} in ${config.modelsDir}`);
      const meta = registry.meta(name, v);
      const promoted = registry.promoted(name) === v;
      // A summary on a terminal (the whole record is thousands of lines); all of it with --json.
      const answers =
        meta.gate === undefined
          ? 'the model (no backtest judged it)'
          : meta.gate.passed
            ? 'the model'
            : meta.gate.serve;
      out.result(
        { ok: true, ...meta, promoted },
        [
          `${name} ${v}${promoted ? ' (promoted: in service)' : ` (not promoted; ${registry.promoted(name) ?? 'no version'} is)`}`,
          `  ${meta.kind}${meta.target ? `: ${meta.target}` : ''}`,
          `  trained ${meta.createdAt.replace('T', ' ').slice(0, 16)} UTC on ${meta.trainingWindow ? `${meta.trainingWindow.from.slice(0, 16)} to ${meta.trainingWindow.to.slice(0, 16)} UTC` : 'a file'}, ${meta.rows.toLocaleString('en')} rows, ${meta.featureNames.length} features of ${meta.featureSet}`,
          `  walk-forward: ${figuresOf(meta.metrics)}`,
          ...(meta.kind === 'anomaly' ? [`  alarm at health <= ${f3(meta.alarmHealth)}`] : []),
          ...(meta.alertThreshold !== undefined
            ? [
                `  alert threshold ${f3(meta.alertThreshold ?? undefined)} (for the false-alarm budget); work orders from ${
                  meta.workOrderThreshold === null || meta.workOrderThreshold === undefined
                    ? 'halfway to 1'
                    : `${f3(meta.workOrderThreshold)} (for the work-order budget)`
                }`,
              ]
            : []),
          `  answers: ${answers}${meta.gate && !meta.gate.passed ? ` (${meta.gate.reason})` : ''}`,
          `  pdm models show ${name} ${v} --json prints the whole record`,
        ].join('\n'),
      );
      return;
    }
    case 'promote': {
      if (name === undefined || version === undefined)
        throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm models promote NAME VERSION');
      // Refuse to promote a model that would not load.
      if (registry.meta(name, version).kind === 'anomaly') registry.loadAnomaly(name, version);
      else registry.load(name, version);
      registry.promote(name, version);
      out.result({ ok: true, name, promoted: version }, `${name}: promoted ${version}`);
      return;
    }
    case 'rollback': {
      if (name === undefined) throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm models rollback NAME');
      const v = registry.rollback(name);
      out.result({ ok: true, name, promoted: v }, `${name}: rolled back to ${v}`);
      return;
    }
    default:
      throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm models list|show|promote|rollback');
  }
}
