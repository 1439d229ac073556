/**
 * The engine's declared jobs over the plant: refresh features, score and write forecasts, retrain
 * with champion/challenger, check data freshness. Each returns the rows it wrote and one line of
 * detail for the run history.
 */
import { isPdmError } from '../errors.ts';
import type { FeatureSet } from '../../features/index.ts';
import type { ModelRegistry } from '../../models/index.ts';
import {
  computeStoreFeatures,
  ensureInitialModels,
  forecastAll,
  persistFeatures,
  storedHistory,
} from '../../pipelines/index.ts';
import { checkFreshness, raiseEvents } from '../../pipelines/freshness.ts';
import { retrainFailureHorizon, retrainModels } from '../../pipelines/retrain.ts';
import type { RetrainOutcome } from '../../pipelines/retrain.ts';
import type { JobsConfig, JobName } from '../config.ts';
import type { LiveScorer } from '../scoring/scorer.ts';
import type { Store } from '../store/index.ts';
import type { JobSpec } from './scheduler.ts';

export interface PlantJobDeps {
  readonly store: Store;
  readonly registry: ModelRegistry;
  readonly scorer: LiveScorer;
  readonly featureSet: FeatureSet;
  readonly config: JobsConfig;
  /** Trees per retrained forest (default 100). */
  readonly trees?: number;
}

/** Features are refreshed for this much recent time on each run (more than the default interval, so runs overlap rather than leave gaps). */
const FEATURE_REFRESH_MICROS = 30 * 60e6;
const LOOKBACK_MICROS = 86_400e6;

function outcome(name: string, o: RetrainOutcome): string {
  return 'error' in o ? `${name}: not trained (${o.error})` : `${name}: ${o.reason}`;
}

export function plantJobs(d: PlantJobDeps): Record<JobName, JobSpec> {
  const { store, featureSet: fs, registry } = d;
  const horizons = store.config.models.failureHorizonsHours;
  const primary = horizons[0] as number;
  // Sensors an equipment does not have, remembered between freshness runs (see checkFreshness).
  const absentSensors = new Map<string, number>();
  return {
    features: {
      name: 'features',
      cron: d.config.schedules.features,
      description: `computes ${fs.name} for the last 30 min of every equipment and persists it`,
      async run({ at }) {
        const to = at.getTime() * 1000;
        const from = to - FEATURE_REFRESH_MICROS;
        const run = await computeStoreFeatures(store, fs, { from: from - LOOKBACK_MICROS, to }, 600);
        const rows = await persistFeatures(store.config, store, fs, run.features, from);
        return { rows, detail: `${rows} feature rows from ${run.readings} readings` };
      },
    },
    score: {
      name: 'score',
      cron: d.config.schedules.score,
      description: 'scores every equipment with the promoted models and writes the forecasts',
      async run({ at }) {
        const scorer = d.scorer.current;
        if (!scorer.ready)
          throw new Error('no promoted model to score with (pdm train failure, or wait for retrain)');
        // Three different outcomes, recorded as such: silent equipment (no readings in 24 h), too
        // little data (an insufficient_data forecast is written), and failures, which make the
        // run partial (or failed when nothing was scored) with the real error.
        const silent: string[] = [];
        const insufficient: string[] = [];
        const failed: string[] = [];
        const rows = await forecastAll(store, scorer, at.getTime() * 1000, (e, reason, err) => {
          if (err === undefined) insufficient.push(e);
          else if (isPdmError(err) && err.detail?.status === 404) silent.push(e);
          else failed.push(`${e}: ${reason}`);
        });
        if (failed.length > 0 && rows === 0)
          throw new Error(`no equipment scored; ${failed.length} failed: ${failed.slice(0, 5).join('; ')}`);
        return {
          rows,
          status: failed.length > 0 ? 'partial' : 'ok',
          error: failed.length > 0 ? `${failed.length} not scored: ${failed.slice(0, 5).join('; ')}` : null,
          detail:
            `${rows} forecasts by ${[scorer.failure, scorer.rul]
              .filter((m) => m !== undefined)
              .map((m) => (m.answeredBy === 'model' ? m.version : `${m.answeredBy} (for ${m.version})`))
              .join(', ')}` +
            (insufficient.length > 0 ? `; insufficient data: ${insufficient.join(', ')}` : '') +
            (silent.length > 0 ? `; not scored (no readings in 24 h): ${silent.join(', ')}` : ''),
        };
      },
    },
    retrain: {
      name: 'retrain',
      cron: d.config.schedules.retrain,
      description:
        `trains challengers and promotes those that beat the champion on ${d.config.retrainMetric} (RUL: rmse) ` +
        `over the last ${primary + 24} h (instants whose ${primary} h outcome is known); ` +
        `first trains any model still missing that the history can now backtest (e.g. a longer horizon)`,
      async run({ at }) {
        const history = await storedHistory(store, 'retrain');
        const range = { from: history.from, to: Math.min(at.getTime() * 1000, history.to) };
        // One read of the history serves the first models and every challenge below.
        const features = await computeStoreFeatures(store, fs, range, 600);
        const first = await ensureInitialModels(store, registry, fs, range, {
          horizons,
          trees: d.trees,
          alertBudget: store.config.models.alertBudget,
          features,
        });
        const addedModels = [first.failure, ...first.horizons, first.rul, ...first.modes]
          .filter((m) => 'model' in m)
          .map((m) => m.model);
        const added = addedModels.map((m) => `${m.name}@${m.version}`);
        const r = await retrainModels(store, registry, fs, range, {
          metric: d.config.retrainMetric,
          trees: d.trees,
          alertBudget: store.config.models.alertBudget,
          horizonHours: primary,
          features,
        });
        // Promoted longer horizons are challenged too (not the ones just trained above).
        const longer: { horizon: number; outcome: RetrainOutcome }[] = [];
        for (const h of horizons.slice(1)) {
          const name = `failure-any-${h}h`;
          if (registry.promoted(name) === null || addedModels.some((m) => m.name === name)) continue;
          longer.push({
            horizon: h,
            outcome: await retrainFailureHorizon(store, registry, fs, range, {
              metric: d.config.retrainMetric,
              trees: d.trees,
              alertBudget: store.config.models.alertBudget,
              horizonHours: h,
              features,
            }),
          });
        }
        const all = [r.failure, r.rul, ...r.byMode.map((b) => b.outcome), ...longer.map((l) => l.outcome)];
        const promoted = all.filter((o) => !('error' in o) && o.promoted).length + added.length;
        if (promoted > 0) d.scorer.reload();
        const modes = r.byMode.map((b) => `; ${outcome(b.mode, b.outcome)}`).join('');
        const horizonsDetail = longer
          .map((l) => `; ${outcome(`failure ${l.horizon} h`, l.outcome)}`)
          .join('');
        return {
          rows: promoted,
          detail:
            (added.length > 0 ? `first models trained: ${added.join(', ')}; ` : '') +
            `${outcome('failure', r.failure)}; ${outcome('rul', r.rul)}${modes}${horizonsDetail}`,
        };
      },
    },
    freshness: {
      name: 'freshness',
      cron: d.config.schedules.freshness,
      description: `raises events for equipment silent ${d.config.staleAfterSeconds} s and sensors without values for 10 min`,
      async run({ at }) {
        const now = at.getTime() * 1000;
        const events = await checkFreshness(store, now, {
          staleAfterSeconds: d.config.staleAfterSeconds,
          sensors: fs.sensors,
          absent: absentSensors,
        });
        const rows = await raiseEvents(store, events, now);
        const stale = events.filter((e) => e.kind === 'stale').length;
        return { rows, detail: `${stale} stale equipment, ${rows - stale} silent sensors` };
      },
    },
  };
}
