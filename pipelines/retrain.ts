/**
 * Champion/challenger retraining, on equal terms. A challenger is fitted through the harness at a
 * holdout cut (by default the horizon plus 24 h before the end of the history); both are judged on
 * the holdout's instants whose outcome is known now, which the challenger never saw. A champion
 * that did see them (trained later than the cut, e.g. the first model, fitted on all history) is
 * not scored in sample: its recipe is re-fitted at the same cut, and the re-fit is what competes.
 * The record says which. The challenger is also judged by the promotion gate against its own
 * references on the holdout; when promoted and losing there, its best reference answers.
 */
import { failureWithin, remainingLife } from '../features/index.ts';
import {
  brier,
  calibrate,
  calibratorOf,
  conformalPoint,
  predictColumns,
  rmse,
  rocAuc,
} from '../models/index.ts';
import type { ChallengeRecord, LoadedModel, ModelMeta, ModelRegistry } from '../models/index.ts';
import { errorMessage } from '../src/errors.ts';
import type { Store } from '../src/store/index.ts';
import type { TimeRange } from './data.ts';
import { failureScores, fitFailure, persistenceScores } from './failure-kind.ts';
import { ContextZExpander } from '../models/context-z.ts';
import type { FailureFit } from './failure-kind.ts';
import { computeStoreFeatures, evidenceOf } from './features.ts';
import type { FeatureRun } from './features.ts';
import { failureGate, rulGate } from './gate.ts';
import type { Gate } from './gate.ts';
import { CROSS_FIT_BLOCKS, pick, rowsWhere } from './harness.ts';
import type { Evidence } from './harness.ts';
import { fitRul, rulPoints, rulPredictions } from './rul-kind.ts';
import type { RulFit } from './rul-kind.ts';
import { saveFailure, saveRul } from './train.ts';
import { failureModelName, rulModelName } from './scopes.ts';
import type { ModelScope } from './scopes.ts';
import { DEFAULT_ALERT_BUDGET, DEFAULT_WORK_ORDER_BUDGET } from './alert-policy.ts';

export interface RetrainOptions {
  /** Declared metric for the failure model: brier (lower wins) or roc_auc (higher wins). RUL uses RMSE. */
  readonly metric: 'brier' | 'roc_auc';
  readonly holdoutHours?: number;
  readonly horizonHours?: number;
  readonly rulCapHours?: number;
  readonly trees?: number;
  readonly everySeconds?: number;
  readonly alertBudget?: number;
  readonly workOrderBudget?: number;
  /** Features already computed over the range (at everySeconds): one read of the history serves every challenge. */
  readonly features?: FeatureRun;
}

export type RetrainOutcome = ChallengeRecord | { readonly model: string; readonly error: string };

export interface RetrainResult {
  readonly failure: RetrainOutcome;
  readonly rul: RetrainOutcome;
  /** Challenges of the promoted per-mode failure models. */
  readonly byMode: { readonly mode: string; readonly outcome: RetrainOutcome }[];
}

const iso = (micros: number) => new Date(micros / 1000).toISOString();

interface Holdout {
  readonly cut: number;
  readonly range: TimeRange;
  readonly ev: Evidence;
}

/** The history's evidence and the holdout cut (the holdout must outlast the horizon). */
async function prepareHoldout(
  store: Store,
  scope: ModelScope,
  range: TimeRange,
  o: RetrainOptions,
  horizonHours: number,
): Promise<Holdout> {
  const cut = range.to - (o.holdoutHours ?? horizonHours + 24) * 3.6e9;
  if (cut <= range.from) throw new Error('the history is shorter than the holdout: nothing to train on');
  const run = o.features ?? (await computeStoreFeatures(store, scope, range, o.everySeconds));
  return { cut, range, ev: evidenceOf(run, scope.featureSet, range.to) };
}

/**
 * The promoted version of `name`, or why there is no champion to compare with: none promoted, or
 * one trained on another feature set (the plant file changed the scope's sensors or windows), which
 * cannot score this holdout's features and is replaced by the challenger.
 */
function championOf(registry: ModelRegistry, name: string, scope: ModelScope): string | { version: string } {
  const v = registry.promoted(name);
  if (v === null) return 'no champion yet';
  const hash = registry.meta(name, v).featureSetHash;
  return hash === scope.featureSet.hash
    ? { version: v }
    : `the champion ${name}@${v} was trained on another feature set (${hash}; the plant's is now ${scope.featureSet.hash})`;
}

/** When the champion's training side ended (its cut), from its recipe or its training window. */
function championCut(meta: ModelMeta): number {
  return (
    Date.parse(meta.recipe?.cut !== undefined ? String(meta.recipe.cut) : (meta.trainingWindow?.to ?? '')) *
    1000
  );
}

function recipeNumber(meta: ModelMeta, key: string, fallback: number): number {
  const v = meta.recipe?.[key];
  return typeof v === 'number' ? v : fallback;
}

interface Contender {
  readonly version: string;
  readonly value: number;
  readonly sawHoldout: boolean;
  readonly refit: boolean;
  /**
   * The re-fit's recipe was the challenger's: its fit at the cut is the challenger's, so it scores
   * the same and the challenger cannot win (not fitted twice).
   */
  readonly sameRecipe?: boolean;
}

function decide(
  registry: ModelRegistry,
  name: string,
  challenger: { meta: ModelMeta; value: number },
  champion: Contender | string,
  metric: string,
  lowerIsBetter: boolean,
  holdout: ChallengeRecord['holdout'],
): ChallengeRecord {
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
  let promoted: boolean;
  let reason: string;
  if (typeof champion === 'string') {
    promoted = true;
    reason = `promoted: ${champion}`;
  } else if (!Number.isFinite(challenger.value) || !Number.isFinite(champion.value)) {
    promoted = false;
    reason = `kept champion ${champion.version}: ${metric} not defined on the holdout (${holdout.rows} rows${
      holdout.positives === undefined ? '' : `, ${holdout.positives} positives`
    })`;
  } else {
    const who = champion.refit
      ? `champion ${champion.version}'s recipe re-fitted at the cut`
      : `champion ${champion.version}`;
    const better = lowerIsBetter ? challenger.value < champion.value : challenger.value > champion.value;
    promoted = better;
    reason = better
      ? `promoted: ${metric} ${fmt(challenger.value)} beats ${who} (${fmt(champion.value)})`
      : `kept champion ${champion.version}: ${who} scores ${metric} ${fmt(champion.value)} vs challenger ${fmt(challenger.value)}`;
  }
  if (promoted) registry.promote(name, challenger.meta.version);
  const record: ChallengeRecord = {
    at: new Date().toISOString(),
    metric,
    lowerIsBetter,
    holdout,
    champion: typeof champion === 'string' ? null : champion,
    challenger: { version: challenger.meta.version, value: challenger.value },
    promoted,
    reason,
    compared_on:
      `instants from ${holdout.from} to ${holdout.to} whose outcome is known now, which neither side trained on` +
      (typeof champion !== 'string' && champion.refit
        ? ` (the champion had trained on them, so its recipe was re-fitted at ${holdout.from}` +
          (champion.sameRecipe === true
            ? `; it is the challenger's recipe, so that fit is the challenger's and was not repeated)`
            : ')')
        : ''),
  };
  registry.recordChallenge(name, record);
  return record;
}

/** Calibrated probabilities of a registered failure model at the feature set's columns `X`. */
function probabilities(
  model: LoadedModel,
  X: readonly Float64Array[],
  names: readonly string[],
): Float64Array {
  const input = model.contextZ === null ? X : new ContextZExpander(model.contextZ, names).expandColumns(X);
  const raw = predictColumns(model.compiled, input);
  const cal = model.meta.calibration;
  if (cal === undefined) return raw;
  const c = calibratorOf(cal);
  return raw.map((s) => calibrate(c, s));
}

/** The gate on one holdout: the challenger against its own references on the same instants. */
function holdoutFailureGate(
  fit: FailureFit,
  h: Holdout,
  rows: number[],
  y: Float64Array,
  H: number,
  mode?: string,
): Gate {
  const s = failureScores(fit, h.ev, rows);
  const persistence = persistenceScores(h.ev, rows, H, mode);
  return failureGate({
    roc_auc: rocAuc(s.modelRaw, y),
    brier: brier(s.model, y),
    base_rate_brier: brier(s.climatology, y),
    baseline: {
      feature: fit.oneSensor?.feature ?? 'none',
      roc_auc: fit.oneSensor ? rocAuc(s.oneSensorRaw, y) : NaN,
      brier: brier(s.oneSensor, y),
    },
    persistence: { roc_auc: rocAuc(persistence, y) },
  });
}

/** Champion/challenger of one failure model (`failure-<mode|any>-<H>h`) on the holdout. */
async function challengeFailure(
  registry: ModelRegistry,
  scope: ModelScope,
  o: RetrainOptions,
  h: Holdout,
  horizonHours: number,
  mode: string | undefined,
): Promise<RetrainOutcome> {
  const H = horizonHours * 3.6e9;
  const name = failureModelName(scope, horizonHours, mode);
  try {
    const y = failureWithin(h.ev.ts, h.ev.equipment, h.ev.failures, H, h.range.to, mode);
    const rows = rowsWhere(h.ev, (i) => (h.ev.ts[i] as number) >= h.cut && y[i] === y[i]);
    const labels = Float64Array.from(rows, (i) => y[i] as number);
    const positives = labels.reduce((s, v) => s + v, 0);
    const X = pick(h.ev, rows);
    const score = (p: Float64Array) =>
      rows.length === 0
        ? NaN
        : o.metric === 'brier'
          ? brier(p, labels)
          : positives > 0 && positives < rows.length
            ? rocAuc(p, labels)
            : NaN;
    const recipe = {
      horizonHours,
      mode,
      trees: o.trees ?? 100,
      seed: 17,
      alertBudget: o.alertBudget ?? DEFAULT_ALERT_BUDGET,
      workOrderBudget: o.workOrderBudget ?? DEFAULT_WORK_ORDER_BUDGET,
      policyOf: scope.alertPolicyOf,
    };
    const fit = await fitFailure(h.ev, h.cut, recipe);
    const gate = holdoutFailureGate(fit, h, rows, labels, H, mode);
    const range = { from: h.range.from, to: h.cut };
    const meta = saveFailure(registry, scope, range, fit, recipe, { gate, ev: h.ev });
    const challengerValue = score(failureScores(fit, h.ev, rows).model);
    const held = championOf(registry, name, scope);
    let champion: Contender | string = typeof held === 'string' ? held : '';
    if (typeof held !== 'string') {
      const v = held.version;
      const champ = registry.load(name, v, scope.featureSet.hash);
      const saw = championCut(champ.meta) > h.cut;
      if (!saw)
        champion = {
          version: v,
          value: score(probabilities(champ, X, h.ev.names)),
          sawHoldout: false,
          refit: false,
        };
      else {
        const again = {
          ...recipe,
          trees: recipeNumber(champ.meta, 'trees', recipe.trees),
          seed: recipeNumber(champ.meta, 'seed', recipe.seed),
          alertBudget: recipeNumber(champ.meta, 'alertBudget', recipe.alertBudget),
          workOrderBudget: recipeNumber(champ.meta, 'workOrderBudget', recipe.workOrderBudget),
          // A champion saved before the z columns existed is re-fitted as it was trained: without.
          contextZ: recipeNumber(champ.meta, 'contextZ', 0) === 1,
          // ...and one saved before cross-fitting, calibrated on the latest quarter as it was.
          crossFit: recipeNumber(champ.meta, 'crossFit', 0),
        };
        // The champion's recipe is the challenger's (both the engine's current one): its re-fit on
        // the same rows would be the challenger's fit again, bit for bit (training is seeded), and
        // cost as much; its score is the challenger's.
        const same =
          again.trees === recipe.trees &&
          again.seed === recipe.seed &&
          again.alertBudget === recipe.alertBudget &&
          again.workOrderBudget === recipe.workOrderBudget &&
          again.contextZ &&
          again.crossFit === CROSS_FIT_BLOCKS;
        champion = {
          version: v,
          value: same
            ? challengerValue
            : score(failureScores(await fitFailure(h.ev, h.cut, again), h.ev, rows).model),
          sawHoldout: true,
          refit: true,
          ...(same ? { sameRecipe: true } : {}),
        };
      }
    }
    return decide(
      registry,
      name,
      { meta, value: challengerValue },
      champion,
      o.metric,
      o.metric === 'brier',
      {
        from: iso(h.cut),
        to: iso(h.range.to),
        rows: rows.length,
        positives,
      },
    );
  } catch (err) {
    return { model: name, error: errorMessage(err) };
  }
}

async function challengeRul(
  registry: ModelRegistry,
  scope: ModelScope,
  o: RetrainOptions,
  h: Holdout,
): Promise<RetrainOutcome> {
  const cap = o.rulCapHours ?? 168;
  const name = rulModelName(scope, cap);
  try {
    const truth = remainingLife(h.ev.ts, h.ev.equipment, h.ev.failures, h.range.to, cap);
    const rows = rowsWhere(h.ev, (i) => (h.ev.ts[i] as number) >= h.cut && truth[i] === truth[i]);
    const t = Float64Array.from(rows, (i) => truth[i] as number);
    const score = (p: Float64Array) => (rows.length === 0 ? NaN : rmse(p, t));
    const recipe = { capHours: cap, trees: o.trees ?? 100, seed: 19 };
    const fit: RulFit = await fitRul(h.ev, h.cut, recipe);
    const s = rulPoints(fit, rulPredictions(fit, h.ev, rows));
    const keep = Array.from(s.weibull, (w, j) => (w === w ? j : -1)).filter((j) => j >= 0);
    const sub = (a: Float64Array) => keep.map((j) => a[j] as number);
    const gate = rulGate({
      rmse_h: score(s.model),
      baseline: { rmse_h: score(s.meanLife) },
      weibull_baseline: {
        rmse_h: keep.length ? rmse(sub(s.weibull), sub(t)) : NaN,
        model_rmse_h: keep.length ? rmse(sub(s.model), sub(t)) : NaN,
      },
    });
    const meta = saveRul(registry, scope, { from: h.range.from, to: h.cut }, fit, recipe, {
      gate,
      ev: h.ev,
    });
    const held = championOf(registry, name, scope);
    let champion: Contender | string = typeof held === 'string' ? held : '';
    if (typeof held !== 'string') {
      const v = held.version;
      const champ = registry.load(name, v, scope.featureSet.hash);
      if (!(championCut(champ.meta) > h.cut))
        champion = {
          version: v,
          value: score(
            predictColumns(champ.compiled, pick(h.ev, rows)).map((v) =>
              conformalPoint(v, champ.meta.intervals ?? []),
            ),
          ),
          sawHoldout: false,
          refit: false,
        };
      else {
        const again = {
          capHours: cap,
          trees: recipeNumber(champ.meta, 'trees', recipe.trees),
          seed: recipeNumber(champ.meta, 'seed', recipe.seed),
        };
        // The challenger's own recipe: its re-fit would be the challenger's fit (as for failure).
        const same = again.trees === recipe.trees && again.seed === recipe.seed;
        let value = score(s.model);
        if (!same) {
          const refit = await fitRul(h.ev, h.cut, again);
          value = score(rulPoints(refit, rulPredictions(refit, h.ev, rows)).model);
        }
        champion = {
          version: v,
          value,
          sawHoldout: true,
          refit: true,
          ...(same ? { sameRecipe: true } : {}),
        };
      }
    }
    return decide(registry, name, { meta, value: score(s.model) }, champion, 'rmse', true, {
      from: iso(h.cut),
      to: iso(h.range.to),
      rows: rows.length,
    });
  } catch (err) {
    return { model: name, error: errorMessage(err) };
  }
}

/**
 * Champion/challenger of the any-mode failure model at one horizon only: how the nightly retrain
 * keeps a promoted longer horizon (failure-any-72h) fresh beside the primary one.
 */
export async function retrainFailureHorizon(
  store: Store,
  registry: ModelRegistry,
  scope: ModelScope,
  range: TimeRange,
  o: RetrainOptions & { readonly horizonHours: number },
): Promise<RetrainOutcome> {
  try {
    const h = await prepareHoldout(store, scope, range, o, o.horizonHours);
    return await challengeFailure(registry, scope, o, h, o.horizonHours, undefined);
  } catch (err) {
    return { model: failureModelName(scope, o.horizonHours), error: errorMessage(err) };
  }
}

/**
 * Fits challengers of the failure and RUL models at the holdout cut, compares each with its
 * champion on the holdout, and promotes the winners. A model that cannot train (e.g. no failure
 * in the history yet) is reported with its reason; the others still run.
 */
export async function retrainModels(
  store: Store,
  registry: ModelRegistry,
  scope: ModelScope,
  range: TimeRange,
  o: RetrainOptions,
): Promise<RetrainResult> {
  const horizon = o.horizonHours ?? 24;
  const h = await prepareHoldout(store, scope, range, o, horizon);
  // The any-mode model, and every per-mode model of the scope already promoted at this horizon
  // (declared fields).
  const modes = registry
    .names()
    .filter((n) => registry.promoted(n) !== null)
    .map((n) => registry.meta(n, registry.promoted(n) as string))
    .filter(
      (m) =>
        m.scope === scope.name &&
        m.kind === 'failure-classifier' &&
        m.horizonHours === horizon &&
        m.mode !== undefined &&
        m.mode !== 'any',
    )
    .map((m) => m.mode as string);
  const failure = await challengeFailure(registry, scope, o, h, horizon, undefined);
  const byMode: RetrainResult['byMode'][number][] = [];
  for (const mode of modes)
    byMode.push({ mode, outcome: await challengeFailure(registry, scope, o, h, horizon, mode) });
  const rul = await challengeRul(registry, scope, o, h);
  return { failure, rul, byMode };
}
