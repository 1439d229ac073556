/**
 * Champion/challenger retraining. A challenger is trained on the history up to the start of a
 * holdout (by default the horizon plus 24 h); champion and challenger are then scored on that holdout,
 * which the challenger never saw and which a champion trained a run earlier did not see either
 * (when it did, the record says so: the comparison then favours the champion, which errs on the
 * side of keeping what runs). The challenger is promoted only if it beats the champion on the
 * declared metric; otherwise it stays in the registry, unpromoted, and the comparison is recorded.
 */
import { failureWithin, remainingLife } from '../features/index.ts';
import type { FeatureSet } from '../features/index.ts';
import { brier, calibrate, predictColumns, rmse, rocAuc } from '../models/index.ts';
import type { ChallengeRecord, LoadedModel, ModelMeta, ModelRegistry } from '../models/index.ts';
import { errorMessage } from '../src/errors.ts';
import type { Store } from '../src/store/index.ts';
import type { TimeRange } from './data.ts';
import { computeStoreFeatures, featureMatrix } from './features.ts';
import type { FeatureMatrix } from './features.ts';
import { trainFailureModel, trainRulModel } from './train.ts';

export interface RetrainOptions {
  /** Declared metric for the failure model: brier (lower wins) or roc_auc (higher wins). RUL uses RMSE. */
  readonly metric: 'brier' | 'roc_auc';
  readonly holdoutHours?: number;
  readonly horizonHours?: number;
  readonly rulCapHours?: number;
  readonly trees?: number;
  readonly everySeconds?: number;
}

export type RetrainOutcome = ChallengeRecord | { readonly model: string; readonly error: string };

export interface RetrainResult {
  readonly failure: RetrainOutcome;
  readonly rul: RetrainOutcome;
  /** Challenges of the promoted per-mode failure models. */
  readonly byMode: { readonly mode: string; readonly outcome: RetrainOutcome }[];
}

const iso = (micros: number) => new Date(micros / 1000).toISOString();
const LOOKBACK = 86_400e6; // the longest window of the plant feature set

function loadChampion(registry: ModelRegistry, name: string, fs: FeatureSet): LoadedModel | string {
  const v = registry.promoted(name);
  if (v === null) return 'no champion yet';
  try {
    return registry.load(name, v, fs.hash);
  } catch (err) {
    return `champion ${v} cannot be scored on ${fs.name}: ${errorMessage(err)}`;
  }
}

function probabilities(model: LoadedModel, X: readonly Float64Array[]): Float64Array {
  const raw = predictColumns(model.compiled, X);
  const cal = model.meta.calibration;
  if (cal === undefined) return raw;
  const c = { x: Float64Array.from(cal.x), y: Float64Array.from(cal.y) };
  return raw.map((s) => calibrate(c, s));
}

/** Compares and promotes (or not); records the comparison in the registry. */
function decide(
  registry: ModelRegistry,
  challenger: ModelMeta,
  champion: LoadedModel | string,
  evaluate: (m: LoadedModel) => number,
  metric: string,
  lowerIsBetter: boolean,
  holdout: ChallengeRecord['holdout'],
  cut: number,
): ChallengeRecord {
  const challengerValue = evaluate(registry.load(challenger.name, challenger.version));
  const champ =
    typeof champion === 'string'
      ? null
      : {
          version: champion.meta.version,
          value: evaluate(champion),
          sawHoldout: Date.parse(champion.meta.trainingWindow?.to ?? '') * 1000 > cut,
        };
  let promoted: boolean;
  let reason: string;
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
  if (champ === null) {
    promoted = true;
    reason = `promoted: ${champion as string}`;
  } else if (!Number.isFinite(challengerValue) || !Number.isFinite(champ.value)) {
    promoted = false;
    reason = `kept champion ${champ.version}: ${metric} not defined on the holdout (${holdout.rows} rows${
      holdout.positives === undefined ? '' : `, ${holdout.positives} positives`
    })`;
  } else {
    const better = lowerIsBetter ? challengerValue < champ.value : challengerValue > champ.value;
    promoted = better;
    reason = better
      ? `promoted: ${metric} ${fmt(challengerValue)} beats champion ${champ.version}'s ${fmt(champ.value)}`
      : `kept champion ${champ.version}: ${metric} ${fmt(champ.value)} vs challenger ${fmt(challengerValue)}`;
  }
  if (promoted) registry.promote(challenger.name, challenger.version);
  const record: ChallengeRecord = {
    at: new Date().toISOString(),
    metric,
    lowerIsBetter,
    holdout,
    champion: champ,
    challenger: { version: challenger.version, value: challengerValue },
    promoted,
    reason,
  };
  registry.recordChallenge(challenger.name, record);
  return record;
}

function rowsWhere(m: FeatureMatrix, keep: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < m.ts.length; i++) if (keep(i)) out.push(i);
  return out;
}

interface Holdout {
  readonly cut: number;
  readonly train: TimeRange;
  readonly every: number;
  readonly run: Awaited<ReturnType<typeof computeStoreFeatures>>;
  readonly m: FeatureMatrix;
  inHoldout(i: number): boolean;
  pick(rows: number[]): Float64Array[];
}

/** The training range (history minus the holdout) and the holdout's features. */
async function prepareHoldout(
  store: Store,
  fs: FeatureSet,
  range: TimeRange,
  o: RetrainOptions,
): Promise<Holdout> {
  // The holdout must outlast the horizon: an instant's label is known only once its horizon has
  // passed, so a holdout of H + 24 h scores the 24 h of instants whose outcome is now known.
  const cut = range.to - (o.holdoutHours ?? (o.horizonHours ?? 24) + 24) * 3.6e9;
  if (cut <= range.from) throw new Error('the history is shorter than the holdout: nothing to train on');
  const every = o.everySeconds ?? 600;
  const run = await computeStoreFeatures(store, fs, { from: cut - LOOKBACK, to: range.to }, every);
  const m = featureMatrix(run.features, fs);
  return {
    cut,
    train: { from: range.from, to: cut },
    every,
    run,
    m,
    inHoldout: (i) => (m.ts[i] as number) >= cut,
    pick: (rows) => m.columns.map((c) => Float64Array.from(rows, (i) => c[i] as number)),
  };
}

/** Champion/challenger of one failure model (`failure-<mode|any>-<H>h`) on the holdout. */
async function challengeFailure(
  store: Store,
  registry: ModelRegistry,
  fs: FeatureSet,
  range: TimeRange,
  o: RetrainOptions,
  h: Holdout,
  mode: string | undefined,
): Promise<RetrainOutcome> {
  const H = (o.horizonHours ?? 24) * 3.6e9;
  const failureName = `failure-${mode ?? 'any'}-${o.horizonHours ?? 24}h`;
  try {
    const challenger = await trainFailureModel(store, registry, fs, h.train, {
      horizonHours: o.horizonHours,
      mode,
      trees: o.trees,
      everySeconds: h.every,
    });
    const y = failureWithin(h.m.ts, h.m.equipment, h.run.failures, H, range.to, mode);
    const rows = rowsWhere(h.m, (i) => h.inHoldout(i) && y[i] === y[i]);
    const X = h.pick(rows);
    const labels = Float64Array.from(rows, (i) => y[i] as number);
    const positives = labels.reduce((s, v) => s + v, 0);
    const evaluate = (model: LoadedModel) => {
      const p = probabilities(model, X);
      if (rows.length === 0) return NaN;
      return o.metric === 'brier'
        ? brier(p, labels)
        : positives > 0 && positives < rows.length
          ? rocAuc(p, labels)
          : NaN;
    };
    return decide(
      registry,
      challenger,
      loadChampion(registry, failureName, fs),
      evaluate,
      o.metric,
      o.metric === 'brier',
      { from: iso(h.cut), to: iso(range.to), rows: rows.length, positives },
      h.cut,
    );
  } catch (err) {
    return { model: failureName, error: errorMessage(err) };
  }
}

/**
 * Champion/challenger of the any-mode failure model at one horizon only: how the nightly retrain
 * keeps a promoted longer horizon (failure-any-72h) fresh beside the primary one.
 */
export async function retrainFailureHorizon(
  store: Store,
  registry: ModelRegistry,
  fs: FeatureSet,
  range: TimeRange,
  o: RetrainOptions & { readonly horizonHours: number },
): Promise<RetrainOutcome> {
  try {
    const h = await prepareHoldout(store, fs, range, o);
    return await challengeFailure(store, registry, fs, range, o, h, undefined);
  } catch (err) {
    return { model: `failure-any-${o.horizonHours}h`, error: errorMessage(err) };
  }
}

/**
 * Trains challengers of the failure and RUL models on `range` minus the holdout, compares each with
 * its champion on the holdout, and promotes the winners. A model that cannot train (e.g. no
 * failure in the history yet) is reported with its reason; the other still runs.
 */
export async function retrainModels(
  store: Store,
  registry: ModelRegistry,
  fs: FeatureSet,
  range: TimeRange,
  o: RetrainOptions,
): Promise<RetrainResult> {
  const cap = o.rulCapHours ?? 168;
  const h = await prepareHoldout(store, fs, range, o);
  const { cut, train, every, run, m, inHoldout, pick } = h;

  // The any-mode model, and every per-mode model already promoted (failure-<mode>-<H>h).
  const hTag = `${o.horizonHours ?? 24}h`;
  const modes = registry
    .names()
    .map((n) => new RegExp(`^failure-([a-z0-9_]+)-${hTag}$`).exec(n)?.[1])
    .filter(
      (m): m is string =>
        m !== undefined && m !== 'any' && registry.promoted(`failure-${m}-${hTag}`) !== null,
    );
  const challenge = (mode: string | undefined) => challengeFailure(store, registry, fs, range, o, h, mode);
  const failure = await challenge(undefined);
  const byMode: RetrainResult['byMode'][number][] = [];
  for (const mode of modes) byMode.push({ mode, outcome: await challenge(mode) });

  const rulName = `rul-${cap}h`;
  let rul: RetrainOutcome;
  try {
    // The RUL interval is the prediction plus out-of-sample residual quantiles, measured by the
    // recipe's walk-forward backtest: a challenger of the same recipe carries the champion's, so a
    // promotion does not fall back to the trees' spread (which under-covers badly).
    const champion = loadChampion(registry, rulName, fs);
    const carried: Record<string, number> = {};
    if (typeof champion !== 'string')
      for (const k of [
        'interval_residual_q10_h',
        'interval_residual_q90_h',
        'backtest_residual_interval_coverage',
      ]) {
        const v = champion.meta.metrics[k];
        if (typeof v === 'number') carried[k] = v;
      }
    const challenger = await trainRulModel(store, registry, fs, train, {
      rulCapHours: cap,
      trees: o.trees,
      everySeconds: every,
      metrics: carried,
    });
    const truth = remainingLife(m.ts, m.equipment, run.failures, range.to, cap);
    const rows = rowsWhere(m, (i) => inHoldout(i) && truth[i] === truth[i]);
    const X = pick(rows);
    const t = Float64Array.from(rows, (i) => truth[i] as number);
    const evaluate = (model: LoadedModel) =>
      rows.length === 0 ? NaN : rmse(predictColumns(model.compiled, X), t);
    rul = decide(
      registry,
      challenger,
      champion,
      evaluate,
      'rmse',
      true,
      { from: iso(cut), to: iso(range.to), rows: rows.length },
      cut,
    );
  } catch (err) {
    rul = { model: rulName, error: errorMessage(err) };
  }
  return { failure, rul, byMode };
}
