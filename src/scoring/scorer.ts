/**
 * The online scorer: for one equipment at an instant, its last 24 h of readings from the store,
 * the declared feature vector at that instant (features/online), MES/maintenance context as of
 * then, and what answers for each promoted version (served.ts: the model, or the reference it lost
 * to): calibrated failure probability, RUL with its conformal 10-90 % interval reconciled with the
 * probability (models/reconcile.ts), the features that drove the failure score, and the recommendation
 * (recommend.ts). An equipment without enough data to score says so instead (sufficiency.ts).
 */
import {
  ContextIndex,
  featuresAtLast,
  float64Values,
  stringCodes,
  timestampMicros,
} from '../../features/index.ts';
import type { FeatureSet } from '../../features/index.ts';
import type { ModelRegistry } from '../../models/index.ts';
import { loadContext, loadEquipmentWindow, loadReadings } from '../../pipelines/data.ts';
import { modelScopes } from '../../pipelines/scopes.ts';
import type { ModelScope } from '../../pipelines/scopes.ts';
import { currentPlant } from '../plant/index.ts';
import type { Plant } from '../plant/index.ts';
import { driftShapes, qualityDrift } from '../../pipelines/drift.ts';
import type { DriftForecastRow, DriftShapes } from '../../pipelines/drift.ts';
import { ErrorCodes, PdmError, errorMessage } from '../errors.ts';
import { microsToIso, query, sql } from '../store/index.ts';
import { clientGone, storedWindowGate } from './gate.ts';
import { featuresAtLastOffThread, inPlace } from './feature-worker.ts';
import { LiveWindows } from './live-window.ts';
import { recommend } from './recommend.ts';
import { resolveServed } from './served.ts';
import type { ServedAnomaly, ServedFailure, ServedModels, ServedRul } from './served.ts';
import { reconcile } from '../../models/index.ts';
import { COVERAGE_NEEDED, coveredSeconds, judgeData, longestWindowSeconds } from './sufficiency.ts';
import type { Sufficiency } from './sufficiency.ts';

export { recommend };
import type { WindowView } from './live-window.ts';
import type { Store } from '../store/index.ts';

/** What the MES may send with a score request. */
export interface ScoreInput {
  /** Readings the engine may not have ingested yet (µs; sensor -> value); later than the stored ones count. */
  readonly readings?: readonly {
    readonly ts: number;
    readonly values: Readonly<Record<string, number | null>>;
  }[];
  /** The MES context of the moment: echoed back and used to phrase the recommendation. */
  readonly mes?: {
    readonly order_id?: string;
    readonly batch_id?: string;
    readonly product?: string;
    readonly recipe?: string;
    /** Planned end of the running batch (µs). */
    readonly batch_end?: number;
  };
  /** Score now from the live window (cached per equipment) rather than querying the stored day. */
  readonly live?: boolean;
  /** Internal: the live window's readings to score on. */
  readonly view?: WindowView;
  /**
   * The equipment's stored readings in the lookback before `atMicros`, already read (a fleet read:
   * `PlantScorer.storedWindows`); scored like the stored window this would otherwise query.
   */
  readonly stored?: WindowView;
  /**
   * Refuse (503, Retry-After) rather than wait when too many scores at past instants are already
   * reading their windows (the API sets it; jobs wait their turn). See gate.ts.
   */
  readonly shed?: boolean;
  /** Aborts when the requester has gone: a score still waiting for the gate is then dropped. */
  readonly signal?: AbortSignal;
}

function noReadings(equipment: string, atMicros: number, lookbackMicros: number): PdmError {
  return new PdmError(
    ErrorCodes.QUERY_FAILED,
    `no readings for equipment ${JSON.stringify(equipment)} in the ${Math.round(lookbackMicros / 3.6e9)} h before ${microsToIso(atMicros)}`,
    {
      detail: {
        status: 404,
        hint: 'check the equipment id (GET /v1/equipment lists them) or send readings first',
      },
    },
  );
}

export interface Recommendation {
  readonly action:
    'none' | 'plan_maintenance' | 'maintain_after_batch' | 'maintain_now' | 'hold_for_inspection';
  readonly reason: string;
  /** Latest advisable time for the action, when there is one. */
  readonly before: string | null;
}

/** One failure forecast: what answered it, and the registered version behind it. */
export interface FailureForecast {
  readonly horizon_h: number;
  readonly probability: number;
  /** What answered: the version (`failure-any-24h@v0001`) or a baseline (`baseline:climatology`). */
  readonly model: string;
  /** The registered version behind the answer (the one a baseline stands in for). */
  readonly version?: string;
  /** Why a baseline answers, or that the model was never judged; absent when the model passed its gate. */
  readonly note?: string;
  /** The probability at which this forecast alerts (chosen for the false-alarm budget). */
  readonly alert_threshold?: number | null;
  /** Where its work-order tier starts for the work-order budget (null: halfway from the alert threshold to 1). */
  readonly work_order_threshold?: number | null;
}

export interface Score {
  readonly equipment: string;
  readonly at: string;
  /** `insufficient_data`: too little history or sensors missing; no forecast is given then. */
  readonly status: 'ok' | 'insufficient_data';
  /** With insufficient_data: why, how much history is covered, which sensors are absent. */
  readonly insufficient: Sufficiency | null;
  readonly readings: number;
  /** Readings from the request that were used (later than the stored ones). */
  readonly readings_from_request: number;
  readonly mes: ScoreInput['mes'] | null;
  readonly quality: DriftForecastRow[];
  /** Why quality drift could not be forecast (the fit failed); null when it was. */
  readonly quality_error: string | null;
  readonly recommended_action: Recommendation;
  readonly failure: FailureForecast | null;
  /** Any mode at every horizon with a promoted model, shortest first. */
  readonly failure_by_horizon: FailureForecast[];
  /** Per failure mode (models of one mode promoted beside the any-mode one). */
  readonly failure_by_mode: (FailureForecast & { readonly mode: string })[];
  readonly rul: {
    readonly hours: number;
    readonly low: number;
    readonly high: number;
    readonly model: string;
    readonly version?: string;
    readonly note?: string;
    /** Where the bounds come from: conformal residuals out of sample, or (old versions) the trees' spread. */
    readonly interval?: 'conformal' | 'trees';
    /** True when the quantiles were moved to agree with the failure probability (models/reconcile.ts). */
    readonly reconciled?: boolean;
  } | null;
  readonly top_features: { feature: string; contribution: number }[];
  /** The health index from the anomaly model (learnt from normal operation); null without one. */
  readonly anomaly: AnomalyAnswer | null;
  /** Which model's risk this answer rests on, and why (the hand-over from anomaly to failure models). */
  readonly answered_by: {
    readonly risk: 'failure_model' | 'failure_baseline' | 'anomaly' | 'none';
    readonly reason: string;
  };
}

export interface AnomalyAnswer {
  /** 1 healthy ... 0; 0.5 = as far from normal as the 1 % most unusual normal instants. */
  readonly health: number;
  /** Share of normal instants (the model's reference) that were at least as normal. */
  readonly percentile: number;
  /** True at or below the alarm level (chosen for the false-alarm budget on normal operation). */
  readonly alarm: boolean;
  readonly alarm_health: number;
  readonly model: string;
  /** The features furthest from their normal value under the running context, furthest first. */
  readonly drivers: {
    readonly feature: string;
    readonly sensor: string;
    /** Distance from normal in normal spreads, signed (+ above, - below). */
    readonly z: number;
    readonly value: number;
    readonly expected: number;
  }[];
}

/** Which model's risk answers: the supervised failure model where one is served, else the anomaly model. */
export function handOver(
  failure: FailureForecast | null,
  anomaly: AnomalyAnswer | null,
): Score['answered_by'] {
  if (failure !== null && failure.note === undefined)
    return {
      risk: 'failure_model',
      reason: `the failure model ${failure.model} passed its promotion gate${anomaly === null ? '' : '; the health index is shown beside it'}`,
    };
  if (failure !== null && failure.model.startsWith('baseline:'))
    return {
      risk: 'failure_baseline',
      reason: `${failure.model} answers for ${failure.version ?? 'the failure model'}: ${failure.note}${anomaly === null ? '' : '; the health index is shown beside it'}`,
    };
  if (failure !== null) return { risk: 'failure_model', reason: `${failure.model}: ${failure.note}` };
  if (anomaly !== null)
    return {
      risk: 'anomaly',
      reason: `no failure model is promoted for this equipment yet (it needs recorded failures to learn from): the anomaly model ${anomaly.model}, learnt from normal operation, answers`,
    };
  return { risk: 'none', reason: 'no failure model and no anomaly model is promoted for this equipment' };
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

const DAY = 86_400e6;

interface DriftOutcome {
  readonly rows: DriftForecastRow[];
  readonly error: string | null;
}

/** How far back a score reads: a day, or the scope's longest window and a quarter when longer. */
export function lookbackMicros(scope: ModelScope): number {
  return Math.max(DAY, 1.25 * longestWindowSeconds(scope.featureSet) * 1e6);
}

/** The scorer of one model scope (pipelines/scopes.ts): its feature set and promoted models. */
/** A live context load: its 5-s period, the load, its result once in, and the one it replaces. */
interface LiveContext {
  readonly bucket: number;
  readonly ctx: Promise<ContextIndex>;
  ready?: ContextIndex;
  readonly previous?: ContextIndex;
}

/**
 * How much older than the newest reading a live score may be while the newest one's is computed:
 * a few readings' worth (a machine reading once a second), never a stale machine's.
 */
const LIVE_STALE_MICROS = 10e6;

/** A live score per equipment: the one being computed, and the previous one answering meanwhile. */
interface LiveScoreEntry {
  readonly key: string;
  /** The MES input it was computed with (a score for other MES input is never reused). */
  readonly mes: string;
  readonly lastTs: number;
  readonly score: Promise<Score>;
  ready?: Score;
  /** The last score computed before it, with its newest reading's time, while it is recent. */
  readonly previous: { readonly score: Score; readonly lastTs: number } | undefined;
}

export class Scorer {
  private readonly fs: FeatureSet;
  private readonly lookback: number;
  private constructor(
    private readonly store: Store,
    readonly scope: ModelScope,
    readonly served: ServedModels,
    private readonly windows: LiveWindows | undefined,
  ) {
    this.fs = scope.featureSet;
    this.lookback = lookbackMicros(scope);
  }

  /**
   * Loads what answers for the scope's promoted versions (a model of the scope trained on another
   * feature set is refused), resolved by declared fields: the any-mode failure model at
   * `primaryHorizonHours`, the other horizons, the per-mode models at that horizon, and the RUL model.
   */
  static load(
    store: Store,
    registry: ModelRegistry,
    scope: ModelScope,
    primaryHorizonHours = 24,
    windows?: LiveWindows,
  ): Scorer {
    return new Scorer(store, scope, resolveServed(registry, scope, primaryHorizonHours), windows);
  }

  get failure(): ServedFailure | undefined {
    return this.served.failure;
  }

  get rul(): ServedRul | undefined {
    return this.served.rul;
  }

  get byHorizon(): ReadonlyMap<number, ServedFailure> {
    return this.served.byHorizon;
  }

  get byMode(): ReadonlyMap<string, ServedFailure> {
    return this.served.byMode;
  }

  get anomaly(): ServedAnomaly | undefined {
    return this.served.anomaly;
  }

  get ready(): boolean {
    return this.failure !== undefined || this.rul !== undefined || this.anomaly !== undefined;
  }

  /** One equipment's MES/maintenance context as of an instant (the request path: narrow queries). */
  async contextFor(equipment: string, atMicros: number): Promise<ContextIndex> {
    return new ContextIndex({
      ...(await loadContext(this.store, { from: atMicros - 30 * DAY, to: atMicros + 1 }, equipment, {
        maintenanceFrom: 0,
      })),
      classOf: this.scope.classOf,
      installedAt: this.scope.installedAt,
    });
  }

  /**
   * Live requests: one equipment's context, reloaded at most every 5 s (MES events are rarer).
   * While a reload runs, requests are answered from the previous context if it is from the period
   * just before (so at most ~10 s old): when QuestDB is busy (a retrain reading its history) every
   * request for the equipment would otherwise wait for the reload's two queries.
   */
  private readonly liveContext = new Map<string, LiveContext>();
  private contextLive(equipment: string, atMicros: number): Promise<ContextIndex> {
    const bucket = Math.floor(Date.now() / 5000);
    const hit = this.liveContext.get(equipment);
    if (hit !== undefined && hit.bucket === bucket) {
      const now = hit.ready ?? hit.previous;
      return now === undefined ? hit.ctx : Promise.resolve(now);
    }
    const ctx = this.contextFor(equipment, atMicros);
    const previous = hit !== undefined && hit.bucket === bucket - 1 ? hit.ready : undefined;
    const entry: LiveContext = {
      bucket,
      ctx,
      ...(previous === undefined ? {} : { previous }),
    };
    ctx.then(
      (c) => (entry.ready = c),
      () => {
        if (this.liveContext.get(equipment) === entry) this.liveContext.delete(equipment);
      },
    );
    this.liveContext.set(equipment, entry);
    return previous === undefined ? ctx : Promise.resolve(previous);
  }

  private readonly sensorFeatures = new Map<string, { lastTs: number; x: Float64Array }>();

  /** Live requests: the last score per equipment, reused while its inputs are the same. */
  private readonly liveScores = new Map<string, LiveScoreEntry>();

  /** Quality drift per equipment, refitted at most once a minute (measurements arrive per batch). */
  private readonly driftCache = new Map<string, { minute: number; rows: Promise<DriftOutcome> }>();
  /**
   * A failed fit is answered with its reason (the score says quality could not be forecast) and is
   * not cached: "no drift" and "could not tell" must not look alike, or the hold-for-inspection
   * advice silently disappears.
   */
  private drift(equipment: string, atMicros: number): Promise<DriftOutcome> {
    const minute = Math.floor(atMicros / 60e6);
    const hit = this.driftCache.get(equipment);
    if (hit !== undefined && hit.minute === minute) return hit.rows;
    const rows: Promise<DriftOutcome> = this.shapesAt(atMicros)
      .then((shapes) => qualityDrift(this.store, equipment, atMicros, 168, shapes))
      .then(
        (r) => ({ rows: r, error: null }),
        (err: unknown) => {
          if (this.driftCache.get(equipment)?.rows === rows) this.driftCache.delete(equipment);
          return { rows: [], error: `quality drift not forecast: ${errorMessage(err)}` };
        },
      );
    this.driftCache.set(equipment, { minute, rows });
    return rows;
  }

  /** The plant's pooled wear-law shapes, reloaded at most once an hour (they move with whole cycles). */
  private shapes: { hour: number; shapes: Promise<DriftShapes> } | undefined;
  private shapesAt(atMicros: number): Promise<DriftShapes> {
    const hour = Math.floor(atMicros / 3.6e9);
    if (this.shapes?.hour === hour) return this.shapes.shapes;
    const shapes = driftShapes(this.store, atMicros).catch(() => new Map() as DriftShapes);
    this.shapes = { hour, shapes };
    return shapes;
  }

  /** Seconds of an equipment's last 30 days covered by readings; a known-long history is not asked again. */
  private readonly coverage = new Map<string, { seconds: number; checkedAt: number }>();
  private async historyCoverage(equipment: string, atMicros: number): Promise<number> {
    const hit = this.coverage.get(equipment);
    const enough = COVERAGE_NEEDED * longestWindowSeconds(this.fs);
    if (hit !== undefined && (hit.seconds >= enough || Math.abs(atMicros - hit.checkedAt) < 600e6))
      return hit.seconds;
    const { rows } = await query<{ buckets: string | number }>(
      this.store.pool,
      sql('telemetry_coverage', this.store.tables),
      [equipment, microsToIso(atMicros - 30 * DAY), microsToIso(atMicros + 1)],
    );
    // A bucket with a reading covers ten minutes, or one sample interval when readings are rarer.
    const seconds = Number(rows[0]?.buckets ?? 0) * Math.max(600, this.scope.sampleSeconds);
    this.coverage.set(equipment, { seconds, checkedAt: atMicros });
    return seconds;
  }

  /**
   * The stored windows ending at `atMicros` of every equipment of this scope with readings in it,
   * in one bulk read (QuestDB's export where configured: pipelines/data.ts) instead of one query per
   * equipment: what scoring the whole fleet at one instant needs. Each view holds exactly the rows
   * the per-equipment query would return, in time order.
   */
  async storedWindows(atMicros: number): Promise<Map<string, WindowView>> {
    const range = { from: atMicros - this.lookback, to: atMicros + 1 };
    const table = await storedWindowGate(this.store).run(
      () => loadReadings(this.store, this.fs, range),
      false,
    );
    const out = new Map<string, WindowView>();
    const n = table.numRows;
    if (n === 0) return out;
    const ts = timestampMicros(table.getChild('ts')!);
    const cols = this.fs.sensors.map((s) => float64Values(table.getChild(s)!));
    const { codes, labels } = stringCodes(table.getChild('equipment')!);
    // Rows come grouped by equipment (readings_range orders by equipment, ts): one run each.
    for (let start = 0; start < n;) {
      let end = start + 1;
      while (end < n && codes[end] === codes[start]) end++;
      const id = labels[codes[start] as number] as string;
      if (this.scope.classOf.has(id))
        out.set(id, {
          ts: ts.subarray(start, end),
          values: cols.map((c) => c.subarray(start, end)),
          lastTs: ts[end - 1] as number,
        });
      start = end;
    }
    return out;
  }

  /**
   * Scores one equipment; pass `context` from contextAt when scoring many at the same instant.
   * `input` adds readings not yet ingested and the MES context of the moment.
   */
  async score(
    equipment: string,
    atMicros: number,
    context?: ContextIndex,
    input: ScoreInput = {},
  ): Promise<Score> {
    const fs = this.fs;
    let ts: Float64Array;
    let values: readonly Float64Array[];
    let stored: number;
    if (input.live === true && this.windows !== undefined) {
      // Now, from the live window: a small refresh query instead of a day of rows.
      const view = await this.windows.get(equipment);
      if (view === undefined) throw noReadings(equipment, atMicros, this.lookback);
      if (input.readings === undefined || input.readings.length === 0) {
        const ctxBucket = Math.floor(Date.now() / 5000);
        const mes = JSON.stringify(input.mes ?? null);
        const key = `${view.lastTs}|${ctxBucket}|${mes}`;
        const hit = this.liveScores.get(equipment);
        if (hit !== undefined && hit.key === key) return hit.ready ?? hit.previous?.score ?? hit.score;
        // Cached before anything is awaited, so concurrent requests share one computation.
        const score = this.contextLive(equipment, view.lastTs).then((ctx) =>
          this.score(equipment, view.lastTs, ctx, { ...input, live: false, view }),
        );
        // While it is computed (its features on the feature worker, behind the other machines'),
        // the score of the previous reading or context bucket answers, for the same MES input and
        // at most LIVE_STALE_MICROS older: it says which instant it scored.
        const last = hit?.ready === undefined ? hit?.previous : { score: hit.ready, lastTs: hit.lastTs };
        const previous =
          last !== undefined && hit?.mes === mes && last.lastTs >= view.lastTs - LIVE_STALE_MICROS
            ? last
            : undefined;
        const entry: LiveScoreEntry = { key, mes, lastTs: view.lastTs, score, previous };
        score.then(
          (s) => (entry.ready = s),
          () => {
            if (this.liveScores.get(equipment) === entry) this.liveScores.delete(equipment);
          },
        );
        this.liveScores.set(equipment, entry);
        return previous?.score ?? score;
      }
      ts = view.ts;
      values = view.values;
      stored = ts.length;
      atMicros = Math.max(view.lastTs, ...input.readings.map((r) => r.ts));
      context = context ?? (await this.contextLive(equipment, atMicros));
    } else if (input.view !== undefined || input.stored !== undefined) {
      const v = (input.view ?? input.stored) as WindowView;
      ts = v.ts;
      values = v.values;
      stored = ts.length;
    } else {
      const signal = input.signal;
      const range = { from: atMicros - this.lookback, to: atMicros + 1 };
      const table = await storedWindowGate(this.store).run(
        () =>
          loadEquipmentWindow(this.store, fs.sensors, equipment, range, signal).catch((err: unknown) => {
            // The client left while its window was read: the read stopped, nobody gets an answer.
            throw signal?.aborted === true ? clientGone() : err;
          }),
        input.shed === true,
        signal,
      );
      if (table.numRows === 0) throw noReadings(equipment, atMicros, this.lookback);
      ts = timestampMicros(table.getChild('ts')!);
      values = fs.sensors.map((s) => float64Values(table.getChild(s)!));
      stored = table.numRows;
    }
    const quality = this.drift(equipment, atMicros);
    // Request readings after the last stored one extend the series (earlier ones are already known).
    const lastStored = ts[ts.length - 1] as number;
    const extra = (input.readings ?? [])
      .filter((r) => r.ts > lastStored && r.ts <= atMicros)
      .sort((a, b) => a.ts - b.ts);
    if (extra.length > 0) {
      const n = ts.length;
      const ts2 = new Float64Array(n + extra.length);
      ts2.set(ts);
      extra.forEach((r, i) => (ts2[n + i] = r.ts));
      values = values.map((v, j) => {
        const out = new Float64Array(n + extra.length);
        out.set(v);
        const name = fs.sensors[j] as string;
        extra.forEach((r, i) => (out[n + i] = r.values[name] ?? NaN));
        return out;
      });
      ts = ts2;
    }
    // The sensor features of a live window depend only on its readings: computed once per new reading.
    const cached = this.sensorFeatures.get(equipment);
    let x: Float64Array;
    if (input.view !== undefined && extra.length === 0 && cached?.lastTs === input.view.lastTs) {
      x = Float64Array.from(cached.x);
    } else {
      const here = (): Float64Array => {
        // A plain loop: Float64Array.from with a map function took 18 ms for a day at 1 s here
        // (2.2 ms this way).
        const seconds = new Float64Array(ts.length);
        for (let i = 0; i < ts.length; i++) seconds[i] = (ts[i] as number) / 1e6;
        return featuresAtLast(fs, seconds, values);
      };
      // A live window's features, at every new reading, on the feature worker: not on the API's
      // thread, where the machines' recomputes came back to back (feature-worker.ts).
      x =
        input.view !== undefined && extra.length === 0 && inPlace(ts, values)
          ? await featuresAtLastOffThread(fs, ts, values).catch(here)
          : here();
      if (input.view !== undefined && extra.length === 0)
        this.sensorFeatures.set(equipment, { lastTs: input.view.lastTs, x: Float64Array.from(x) });
    }
    // Context columns close the vector, in feature-set order.
    const ctxNames = fs.context ?? [];
    if (ctxNames.length > 0) {
      const ctx = context ?? (await this.contextFor(equipment, atMicros));
      const buf = new Float64Array(ctxNames.length);
      ctx.at(equipment, ts[ts.length - 1] as number, ctxNames, buf, 0);
      x.set(buf, fs.columns.length - ctxNames.length);
    }
    const at = ts[ts.length - 1] as number;
    const { rows: q, error: qualityError } = await quality;
    const base = {
      equipment,
      at: microsToIso(at),
      readings: stored,
      readings_from_request: extra.length,
      mes: input.mes ?? null,
      quality: q,
      quality_error: qualityError,
    };
    const all = [
      ...[this.failure, this.rul, ...this.byHorizon.values(), ...this.byMode.values()].filter(
        (m) => m !== undefined,
      ),
    ];
    const required = longestWindowSeconds(fs);
    const coveredNow = coveredSeconds(ts, at, required);
    const history = coveredNow >= COVERAGE_NEEDED * required ? 0 : await this.historyCoverage(equipment, at);
    const enough = judgeData(fs, ts, values, at, all, history, coveredNow);
    if (!enough.ok) {
      return {
        ...base,
        status: 'insufficient_data',
        insufficient: enough,
        failure: null,
        failure_by_horizon: [],
        failure_by_mode: [],
        rul: null,
        top_features: [],
        anomaly: null,
        answered_by: { risk: 'none', reason: `insufficient data: ${enough.reason}` },
        recommended_action: { action: 'none', reason: `insufficient data: ${enough.reason}`, before: null },
      };
    }
    const byMode: Score['failure_by_mode'] = [];
    for (const [mode, model] of this.byMode) byMode.push({ mode, ...failureForecast(model, x) });
    byMode.sort((a, b) => b.probability - a.probability);
    const byHorizon: FailureForecast[] = [];
    for (const model of this.byHorizon.values()) byHorizon.push(failureForecast(model, x));
    let failure: FailureForecast | null = null;
    let top: Score['top_features'] = [];
    if (this.failure) {
      failure = failureForecast(this.failure, x);
      byHorizon.push(failure);
      top = this.failure.drivers(x, 5).map((c) => ({
        feature: c.feature,
        contribution: Math.round(c.contribution * 1e4) / 1e4,
      }));
    }
    let rul: Score['rul'] = null;
    if (this.rul) {
      const r = this.rul.predict(x);
      // One story: the RUL's quantiles agree with the failure probability at its horizon.
      const s =
        failure === null
          ? { ...r, reconciled: false }
          : reconcile(failure.probability, failure.horizon_h, r, this.rul.capHours);
      const round = (v: number) => Math.round(v * 10) / 10;
      rul = {
        hours: round(s.hours),
        low: round(s.low),
        high: round(s.high),
        ...answered(this.rul),
        interval: r.interval,
        reconciled: s.reconciled,
      };
    }
    let anomaly: AnomalyAnswer | null = null;
    if (this.anomaly) {
      const a = this.anomaly.assess(x, 3);
      if (a.score.health === a.score.health)
        anomaly = {
          health: round4(a.score.health),
          percentile: round4(a.score.percentile),
          alarm: a.score.health <= this.anomaly.alarmHealth,
          alarm_health: round4(this.anomaly.alarmHealth),
          model: this.anomaly.version,
          drivers: a.drivers.map((d) => ({
            feature: d.feature,
            sensor: d.feature.slice(0, d.feature.indexOf('__')),
            z: Math.round(d.z * 100) / 100,
            value: round4(d.value),
            expected: round4(d.expected),
          })),
        };
    }
    const answeredBy = handOver(failure, anomaly);
    return {
      ...base,
      status: 'ok',
      insufficient: null,
      failure,
      failure_by_horizon: byHorizon.sort((a, b) => a.horizon_h - b.horizon_h),
      failure_by_mode: byMode,
      rul,
      recommended_action:
        answeredBy.risk === 'anomaly' && anomaly?.alarm === true
          ? anomalyRecommendation(anomaly)
          : recommend(at, failure, rul, q, input.mes, byMode),
      top_features: top,
      anomaly,
      answered_by: answeredBy,
    };
  }
}

/** With no failure model, an anomaly alarm asks for an inspection of the sensor that departs most. */
function anomalyRecommendation(a: AnomalyAnswer): Recommendation {
  const d = a.drivers[0];
  const what =
    d === undefined
      ? ''
      : `; ${d.sensor} departs most (${d.feature} ${d.value} vs ${d.expected} expected under this context, ${Math.abs(d.z)} normal spreads ${d.z > 0 ? 'above' : 'below'})`;
  return {
    action: 'plan_maintenance',
    reason: `unusual behaviour: health index ${a.health.toFixed(2)} (alarm at ${a.alarm_health.toFixed(2)}; no failure model yet)${what}: inspect`,
    before: null,
  };
}

/** `model` (what answered), `version` and, when a baseline answers or nothing judged the model, `note`. */
function answered(m: ServedFailure | ServedRul): { model: string; version: string; note?: string } {
  return {
    model: m.answeredBy === 'model' ? m.version : m.answeredBy,
    version: m.version,
    ...(m.note === null ? {} : { note: m.note }),
  };
}

/** The calibrated probability of a served failure model at one feature vector. */
function failureForecast(m: ServedFailure, x: Float64Array): FailureForecast {
  return {
    horizon_h: m.horizonHours,
    probability: Math.round(m.probability(x) * 1e4) / 1e4,
    ...answered(m),
    alert_threshold: m.alertThreshold,
    work_order_threshold: m.workOrderThreshold,
  };
}

/**
 * The plant's scorers, one per model scope, and which equipment each serves (the plant file's
 * equipment list: equipment it does not list is stored and shown, not forecast).
 */
export class PlantScorer {
  private readonly byName: ReadonlyMap<string, Scorer>;
  constructor(
    private readonly store: Store,
    readonly plant: Plant | null,
    readonly scorers: readonly Scorer[],
    /** The primary "failure within H" horizon (PDM_FAILURE_HORIZONS' first). */
    readonly primaryHorizonHours: number,
  ) {
    this.byName = new Map(scorers.map((s) => [s.scope.name, s]));
  }

  static load(
    store: Store,
    registry: ModelRegistry,
    plant: Plant | null,
    primaryHorizonHours = 24,
    windows?: (scope: ModelScope) => LiveWindows,
  ): PlantScorer {
    const scopes = plant === null ? [] : modelScopes(plant);
    return new PlantScorer(
      store,
      plant,
      scopes.map((sc) => Scorer.load(store, registry, sc, primaryHorizonHours, windows?.(sc))),
      primaryHorizonHours,
    );
  }

  /** Some scope has a promoted model to answer with. */
  get ready(): boolean {
    return this.scorers.some((s) => s.ready);
  }

  /** The plant's equipment that some scope forecasts, in the plant file's order. */
  get equipment(): string[] {
    return (this.plant?.equipment ?? []).map((e) => e.id).filter((id) => this.find(id) !== undefined);
  }

  find(equipment: string): Scorer | undefined {
    return this.scorers.find((s) => s.scope.classOf.has(equipment));
  }

  scope(name: string): Scorer | undefined {
    return this.byName.get(name);
  }

  /** The scorer of an equipment, or a 404 that says why it is not forecast. */
  scorerFor(equipment: string): Scorer {
    const s = this.find(equipment);
    if (s !== undefined) return s;
    throw new PdmError(
      ErrorCodes.QUERY_FAILED,
      this.plant === null
        ? `equipment ${JSON.stringify(equipment)} cannot be forecast: no plant file is applied`
        : `equipment ${JSON.stringify(equipment)} is not in the plant file in force (${this.plant.name}): it is stored and shown, not forecast`,
      {
        detail: {
          status: 404,
          hint:
            this.plant === null
              ? 'apply a plant file that lists it: pdm plant apply FILE (or PUT /v1/plant)'
              : 'add it to the plant file and apply it (pdm plant apply FILE, or PUT /v1/plant); GET /v1/plant shows the equipment listed',
        },
      },
    );
  }

  score(equipment: string, atMicros: number, context?: ContextIndex, input?: ScoreInput): Promise<Score> {
    try {
      return this.scorerFor(equipment).score(equipment, atMicros, context, input);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Every scope's stored windows ending at an instant, by equipment (Scorer.storedWindows). */
  async storedWindows(atMicros: number): Promise<Map<string, WindowView>> {
    const out = new Map<string, WindowView>();
    for (const s of this.scorers) for (const [e, v] of await s.storedWindows(atMicros)) out.set(e, v);
    return out;
  }

  /** MES/maintenance context of the whole plant as of an instant (30 days back): one load serves many scores. */
  async contextAt(atMicros: number): Promise<ContextIndex> {
    return new ContextIndex({
      ...(await loadContext(this.store, { from: atMicros - 30 * DAY, to: atMicros + 1 }, undefined, {
        maintenanceFrom: 0,
      })),
      classOf: new Map(this.scorers.flatMap((s) => [...s.scope.classOf])),
      installedAt: new Map(this.scorers.flatMap((s) => [...s.scope.installedAt])),
    });
  }
}

/**
 * The scorer the API and the jobs share: `current` is swapped atomically by `reload()` when a
 * retrain promotes a new model or a new plant file is applied, so requests in flight finish on
 * the models they started with.
 */
export class LiveScorer {
  private scorer: PlantScorer;
  /** The live windows outlive model reloads (the readings do not change when the model does), one per scope's sensors. */
  private readonly windows = new Map<string, LiveWindows>();
  constructor(
    private readonly store: Store,
    private readonly registry: ModelRegistry,
    private plant: Plant | null,
    /** The primary "failure within H" horizon (PDM_FAILURE_HORIZONS' first). */
    private readonly primaryHorizonHours = 24,
    private plantVersion = 0,
  ) {
    this.scorer = this.build();
  }

  /** The scorer of the plant in force in the store (none: nothing is forecast until one is applied). */
  static async open(store: Store, registry: ModelRegistry, primaryHorizonHours = 24): Promise<LiveScorer> {
    const p = await currentPlant(store);
    return new LiveScorer(store, registry, p?.plant ?? null, primaryHorizonHours, p?.version ?? 0);
  }

  private windowsFor = (scope: ModelScope): LiveWindows => {
    const key = `${scope.featureSet.sensors.join(',')}|${lookbackMicros(scope)}`;
    let w = this.windows.get(key);
    if (w === undefined) {
      w = new LiveWindows(this.store, scope.featureSet.sensors, { windowMicros: lookbackMicros(scope) });
      this.windows.set(key, w);
    }
    return w;
  };

  private build(): PlantScorer {
    return PlantScorer.load(this.store, this.registry, this.plant, this.primaryHorizonHours, this.windowsFor);
  }

  get current(): PlantScorer {
    return this.scorer;
  }

  reload(): PlantScorer {
    this.scorer = this.build();
    this.signature = this.registry.promotedSignature();
    return this.scorer;
  }

  /** Serves another plant (a new plant file applied): its scopes, models and equipment. */
  setPlant(plant: Plant | null, version = this.plantVersion + 1): PlantScorer {
    this.plant = plant;
    this.plantVersion = version;
    return this.reload();
  }

  private signature = '';
  private timer: NodeJS.Timeout | undefined;
  private plantTimer: NodeJS.Timeout | undefined;

  /**
   * Reloads when the registry's promoted versions change (pdm models promote/rollback, the retrain
   * job in another process), polled every `everyMs`, and when another plant file is applied
   * (pdm plant apply in another process), polled every `plantEveryMs`: every running API serves
   * the new version within seconds. A registry being written mid-poll is read again at the next one.
   */
  watch(everyMs = 2000, onReload?: (signature: string) => void, plantEveryMs = 5000): this {
    if (this.signature === '') this.signature = this.registry.promotedSignature();
    this.timer ??= setInterval(() => {
      try {
        const now = this.registry.promotedSignature();
        if (now === this.signature) return;
        this.reload();
        onReload?.(now);
      } catch {
        // half-written registry or a model failing its checksum: keep serving the loaded one
      }
    }, everyMs).unref();
    let polling = false;
    this.plantTimer ??= setInterval(() => {
      if (polling) return;
      polling = true;
      currentPlant(this.store)
        .then((p) => {
          if (p !== null && p.version !== this.plantVersion) this.setPlant(p.plant, p.version);
        })
        .catch(() => {
          // the store is down: keep serving the plant loaded (the health check reports the outage)
        })
        .finally(() => (polling = false));
    }, plantEveryMs).unref();
    return this;
  }

  unwatch(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.plantTimer !== undefined) clearInterval(this.plantTimer);
    this.timer = undefined;
    this.plantTimer = undefined;
  }
}
