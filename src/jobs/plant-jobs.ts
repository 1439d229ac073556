/**
 * The engine's declared jobs over the plant in force: refresh features, score and write forecasts,
 * retrain with champion/challenger, check data freshness, each over every model scope of the plant
 * file (read from the live scorer, which follows the plant applied). Each returns the rows it wrote
 * and one line of detail for the run history.
 */
import { isPdmError } from '../errors.ts';
import type { ModelRegistry } from '../../models/index.ts';
import {
  computeStoreFeatures,
  forecastAll,
  persistFeatures,
  storedHistory,
  historyWindow,
} from '../../pipelines/index.ts';
import { checkFreshness, raiseEvents } from '../../pipelines/freshness.ts';
import type { ModelScope } from '../../pipelines/scopes.ts';
import type { AlertManager } from '../alerts/index.ts';
import { retrainData } from './retrain-runner.ts';
import type { RetrainProcess } from './retrain-runner.ts';
import { retrainScopes } from './retrain-scope.ts';
import type { JobsConfig, JobName } from '../config.ts';
import type { Score } from '../scoring/scorer.ts';
import type { LiveScorer } from '../scoring/scorer.ts';
import type { Store } from '../store/index.ts';
import type { JobSpec } from './scheduler.ts';

export interface PlantJobDeps {
  readonly store: Store;
  readonly registry: ModelRegistry;
  readonly scorer: LiveScorer;
  readonly config: JobsConfig;
  /** Trees per retrained forest (default 100). */
  readonly trees?: number;
  /** Runs the alert policy over each scoring run's forecasts; absent: no alerts. */
  readonly alerts?: AlertManager;
  /** Told each step of a long job (the retrain job runs for minutes), e.g. to show it on a terminal. */
  readonly onProgress?: (what: string) => void;
  /**
   * Where the retrain runs: its process of its own (the API's event loop stays free while it runs),
   * or, absent, the calling thread.
   */
  readonly retrainProcess?: RetrainProcess;
}

/** Features are refreshed for this much recent time on each run (more than the default interval, so runs overlap rather than leave gaps). */
const FEATURE_REFRESH_MICROS = 30 * 60e6;
const LOOKBACK_MICROS = 86_400e6;

/** The scopes of the plant in force, or an error that says no plant file is applied. */
function scopesOf(d: PlantJobDeps): ModelScope[] {
  const scopes = d.scorer.current.scorers.map((s) => s.scope);
  if (scopes.length === 0)
    throw new Error('no plant file is applied (pdm plant apply FILE): nothing to model');
  return scopes;
}

export function plantJobs(d: PlantJobDeps): Record<JobName, JobSpec> {
  const { store, registry } = d;
  const horizons = store.config.models.failureHorizonsHours;
  const primary = horizons[0] as number;
  // Sensors an equipment does not have, remembered between freshness runs (see checkFreshness).
  const absentSensors = new Map<string, number>();

  return {
    features: {
      name: 'features',
      cron: d.config.schedules.features,
      description:
        "computes each model scope's feature set for the last 30 min of its equipment and persists it",
      async run({ at }) {
        const to = at.getTime() * 1000;
        const from = to - FEATURE_REFRESH_MICROS;
        let rows = 0;
        let readings = 0;
        for (const scope of scopesOf(d)) {
          const run = await computeStoreFeatures(store, scope, { from: from - LOOKBACK_MICROS, to });
          rows += await persistFeatures(store.config, store, scope.featureSet, run.features, from);
          readings += run.readings;
        }
        return { rows, detail: `${rows} feature rows from ${readings} readings` };
      },
    },
    score: {
      name: 'score',
      cron: d.config.schedules.score,
      description:
        'scores every equipment of the plant file with the promoted models and writes the forecasts',
      async run({ at }) {
        const scorer = d.scorer.current;
        if (!scorer.ready)
          throw new Error(
            scorer.scorers.length === 0
              ? 'no plant file is applied (pdm plant apply FILE): nothing to score'
              : 'no promoted model to score with (pdm train failure, or wait for retrain)',
          );
        // Three different outcomes, recorded as such: silent equipment (no readings in 24 h), too
        // little data (an insufficient_data forecast is written), and failures, which make the
        // run partial (or failed when nothing was scored) with the real error.
        const silent: string[] = [];
        const insufficient: string[] = [];
        const failed: string[] = [];
        const scores: Score[] = [];
        const rows = await forecastAll(
          store,
          scorer,
          at.getTime() * 1000,
          (e, reason, err) => {
            if (err === undefined) insufficient.push(e);
            else if (isPdmError(err) && err.detail?.status === 404) silent.push(e);
            else failed.push(`${e}: ${reason}`);
          },
          (s) => scores.push(s),
        );
        // The alert policy over what was just forecast: opened, escalated, resolved. The forecasts
        // are written whatever happens here; a failure of the alerts makes the run partial.
        let alertLine = '';
        let alertError: string | null = null;
        try {
          const a = await d.alerts?.evaluate(at.getTime() * 1000, scorer.plant, scores, silent);
          if (a !== undefined)
            alertLine = `; alerts: ${a.opened} opened, ${a.escalated} escalated, ${a.resolved} resolved, ${a.open} open`;
        } catch (err) {
          alertError = `alerts not evaluated: ${err instanceof Error ? err.message : String(err)}`;
        }
        if (failed.length > 0 && rows === 0)
          throw new Error(`no equipment scored; ${failed.length} failed: ${failed.slice(0, 5).join('; ')}`);
        const by = scorer.scorers
          .flatMap((s) => [s.failure, s.rul])
          .filter((m) => m !== undefined)
          .map((m) => (m.answeredBy === 'model' ? m.version : `${m.answeredBy} (for ${m.version})`));
        return {
          rows,
          status: failed.length > 0 || alertError !== null ? 'partial' : 'ok',
          error:
            [
              failed.length > 0 ? `${failed.length} not scored: ${failed.slice(0, 5).join('; ')}` : '',
              alertError ?? '',
            ]
              .filter(Boolean)
              .join('; ') || null,
          detail:
            `${rows} forecasts by ${by.join(', ')}` +
            (insufficient.length > 0 ? `; insufficient data: ${insufficient.join(', ')}` : '') +
            (silent.length > 0 ? `; not scored (no recent readings): ${silent.join(', ')}` : '') +
            alertLine,
        };
      },
    },
    retrain: {
      name: 'retrain',
      cron: d.config.schedules.retrain,
      description:
        `per model scope, trains challengers and promotes those that beat the champion on ${d.config.retrainMetric} (RUL: rmse) ` +
        `over the last ${primary + 24} h (instants whose ${primary} h outcome is known); ` +
        `first trains any model still missing that the history can now backtest (e.g. a longer horizon)`,
      async run({ at }) {
        const history = historyWindow(await storedHistory(store, 'retrain'), store.config.models.historyDays);
        const range = { from: history.from, to: Math.min(at.getTime() * 1000, history.to) };
        const scopes = scopesOf(d);
        const plant = d.scorer.current.plant;
        const options = { metric: d.config.retrainMetric, trees: d.trees, onProgress: d.onProgress };
        // Off the event loop by default: the API keeps answering while this runs for minutes.
        const child =
          d.retrainProcess === undefined || plant === null
            ? undefined
            : await d.retrainProcess.retrain(
                retrainData(store, registry, plant, scopes, range, options),
                options.onProgress,
              );
        const results = child?.results ?? (await retrainScopes(store, registry, scopes, range, options));
        let promoted = 0;
        const details: string[] = [];
        for (const r of results) {
          promoted += r.promoted;
          details.push(r.detail);
        }
        if (child !== undefined)
          details.push(
            `retrained in a process of its own${
              child.idleClass
                ? ' in the idle scheduling class'
                : child.nice > 0
                  ? ` at nice ${child.nice}`
                  : ''
            } (peak memory ${child.peakRssMb} MB; the API kept answering)`,
          );
        if (promoted > 0) d.scorer.reload();
        // Challengers that lost pile up night after night: keep the newest few, never a promoted one.
        let pruned = 0;
        for (const name of registry.names())
          pruned += registry.prune(name, store.config.models.keepUnpromoted).length;
        if (pruned > 0)
          details.push(
            `deleted ${pruned} never-promoted model versions beyond the newest ${store.config.models.keepUnpromoted} per model`,
          );
        return { rows: promoted, detail: details.join(' | ') };
      },
    },
    freshness: {
      name: 'freshness',
      cron: d.config.schedules.freshness,
      description: `raises events for equipment silent ${d.config.staleAfterSeconds} s and sensors without values for 10 min`,
      async run({ at }) {
        const now = at.getTime() * 1000;
        const plant = d.scorer.current.plant;
        // Every sensor the plant file declares, each checked on the equipment whose class has it.
        const declared = new Map(
          Object.entries(plant?.classes ?? {}).map(([c, spec]) => [
            c,
            new Set(spec.sensors.filter((x) => !x.high_rate).map((x) => x.name)),
          ]),
        );
        const classOf = new Map((plant?.equipment ?? []).map((e) => [e.id, e.class]));
        const sensors = [...new Set([...declared.values()].flatMap((x) => [...x]))];
        if (sensors.length === 0) return { rows: 0, detail: 'no plant file applied: no sensor to check' };
        const events = await checkFreshness(store, now, {
          staleAfterSeconds: d.config.staleAfterSeconds,
          sensors,
          sensorsOf: (e) => declared.get(classOf.get(e) ?? ''),
          absent: absentSensors,
        });
        const rows = await raiseEvents(store, events, now);
        const stale = events.filter((e) => e.kind === 'stale').length;
        return { rows, detail: `${stale} stale equipment, ${rows - stale} silent sensors` };
      },
    },
  };
}
