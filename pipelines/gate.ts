/**
 * The promotion gate: a model answers only if, out of sample, it beats its references; otherwise
 * the best reference answers, named as such, and the reason is kept with the model. Failure: the
 * model must rank better (ROC-AUC) than the best ranking reference (one-sensor rule, persistence)
 * and score a lower Brier than climatology. RUL: a lower RMSE than mean life and the Weibull over
 * the same instants.
 */

export interface Gate {
  readonly passed: boolean;
  /** What answers: "model", or a baseline's name (`baseline:one-sensor <feature>`, ...). */
  readonly serve: string;
  readonly reason: string;
}

const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : String(v));

export function failureGate(b: {
  roc_auc: number;
  brier: number;
  base_rate_brier: number;
  baseline: { feature: string; roc_auc: number; brier: number };
  persistence: { roc_auc: number };
}): Gate {
  // The reference that answers when the model does not: the rule when its calibrated
  // probabilities beat climatology, else climatology.
  const fallback =
    b.baseline.feature !== 'none' && b.baseline.brier < b.base_rate_brier
      ? `baseline:one-sensor ${b.baseline.feature}`
      : 'baseline:climatology';
  const bestRank = Math.max(
    Number.isFinite(b.baseline.roc_auc) ? b.baseline.roc_auc : 0.5,
    Number.isFinite(b.persistence.roc_auc) ? b.persistence.roc_auc : 0.5,
  );
  const rankBy =
    bestRank === b.baseline.roc_auc ? `the one-sensor rule (${b.baseline.feature})` : 'persistence';
  if (!Number.isFinite(b.roc_auc) || !Number.isFinite(b.brier))
    return {
      passed: false,
      serve: fallback,
      reason: 'the walk-forward has too few test instants or failures to judge the model',
    };
  const problems: string[] = [];
  if (!(b.roc_auc > bestRank))
    problems.push(`ROC-AUC ${f(b.roc_auc)} does not beat ${rankBy}'s ${f(bestRank)}`);
  if (!(b.brier < b.base_rate_brier))
    problems.push(`Brier ${f(b.brier)} does not beat climatology's ${f(b.base_rate_brier)}`);
  return problems.length === 0
    ? {
        passed: true,
        serve: 'model',
        reason: `beats its references out of sample: ROC-AUC ${f(b.roc_auc)} vs ${f(bestRank)}, Brier ${f(b.brier)} vs climatology ${f(b.base_rate_brier)}`,
      }
    : { passed: false, serve: fallback, reason: `${problems.join('; ')} (walk-forward)` };
}

export function rulGate(b: {
  rmse_h: number;
  baseline: { rmse_h: number };
  weibull_baseline: { rmse_h: number; model_rmse_h: number };
}): Gate {
  const mean = b.baseline.rmse_h;
  const weib = b.weibull_baseline.rmse_h;
  const fallback = Number.isFinite(weib) && !(mean <= weib) ? 'baseline:weibull' : 'baseline:mean-life';
  if (!Number.isFinite(b.rmse_h))
    return {
      passed: false,
      serve: fallback,
      reason: 'the walk-forward has no test instant with a known RUL',
    };
  const problems: string[] = [];
  if (!(b.rmse_h < mean)) problems.push(`RMSE ${f(b.rmse_h)} h does not beat mean life's ${f(mean)} h`);
  if (Number.isFinite(weib) && !(b.weibull_baseline.model_rmse_h < weib))
    problems.push(
      `RMSE ${f(b.weibull_baseline.model_rmse_h)} h does not beat the Weibull's ${f(weib)} h on the instants it scores`,
    );
  return problems.length === 0
    ? {
        passed: true,
        serve: 'model',
        reason: `beats its references out of sample: RMSE ${f(b.rmse_h)} h vs mean life ${f(mean)} h, Weibull ${f(weib)} h`,
      }
    : { passed: false, serve: fallback, reason: `${problems.join('; ')} (walk-forward)` };
}
