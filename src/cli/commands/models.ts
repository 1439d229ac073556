import { ErrorCodes, PdmError } from '../../errors.ts';
import { ModelRegistry } from '../../../models/index.ts';
import { parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

export async function modelsCommand({ args, config, out }: CommandContext): Promise<void> {
  const { positionals } = parseOptions('models', args, {});
  const [action, name, version] = positionals;
  const registry = new ModelRegistry(config.modelsDir);
  switch (action) {
    case 'list': {
      // Each version with its walk-forward figures beside its references', and what answers for it.
      const f = (v: number | undefined) =>
        typeof v === 'number' && Number.isFinite(v) ? v.toFixed(3) : 'n/a';
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
      const line = (v: (typeof models)[number]['versions'][number]) => {
        const m = v.metrics;
        const figures =
          m.backtest_roc_auc !== undefined
            ? `ROC-AUC ${f(m.backtest_roc_auc)} (one sensor ${f(m.backtest_baseline_roc_auc)}, persistence ${f(m.backtest_persistence_roc_auc)}), ` +
              `Brier ${f(m.backtest_brier)} (climatology ${f(m.backtest_base_rate_brier)})`
            : m.backtest_rmse_h !== undefined
              ? `RMSE ${f(m.backtest_rmse_h)} h (mean life ${f(m.backtest_baseline_rmse_h)} h, Weibull ${f(m.backtest_weibull_baseline_rmse_h)} h)`
              : 'no walk-forward figures recorded';
        return `  ${v.version}: answers: ${v.answers}; ${figures}${v.gate && !v.gate.passed ? `; ${v.gate.reason}` : ''}`;
      };
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
      out.result(
        { ok: true, ...meta, promoted: registry.promoted(name) === v },
        JSON.stringify({ ...meta, featureNames: `${meta.featureNames.length} features` }, null, 2),
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
