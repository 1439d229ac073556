/**
 * The online scorer: for one equipment at an instant, its last 24 h of readings from the store,
 * the declared feature vector at that instant (features/online), MES/maintenance context as of
 * then, and the promoted models: calibrated failure probability, RUL with an interval from the
 * trees' spread, and the features that drove the failure score.
 */
import { ContextIndex, featuresAtLast, float64Values, timestampMicros } from '../../features/index.ts';
import type { FeatureSet } from '../../features/index.ts';
import { calibrate, explainRow, predictRow, topContributions, treePredictions } from '../../models/index.ts';
import type { LoadedModel, ModelRegistry } from '../../models/index.ts';
import { loadContext } from '../../pipelines/data.ts';
import { driftShapes, qualityDrift } from '../../pipelines/drift.ts';
import type { DriftForecastRow, DriftShapes } from '../../pipelines/drift.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import { microsToIso, queryTable, sql } from '../store/index.ts';
import { LiveWindows } from './live-window.ts';
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
}

function noReadings(equipment: string, atMicros: number): PdmError {
  return new PdmError(
    ErrorCodes.QUERY_FAILED,
    `no readings for equipment ${JSON.stringify(equipment)} in the 24 h before ${microsToIso(atMicros)}`,
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

export interface Score {
  readonly equipment: string;
  readonly at: string;
  readonly readings: number;
  /** Readings from the request that were used (later than the stored ones). */
  readonly readings_from_request: number;
  readonly mes: ScoreInput['mes'] | null;
  readonly quality: DriftForecastRow[];
  readonly recommended_action: Recommendation;
  readonly failure: {
    readonly horizon_h: number;
    readonly probability: number;
    readonly model: string;
  } | null;
  /** Any mode at every horizon with a promoted model (`failure-any-<H>h`), shortest first. */
  readonly failure_by_horizon: {
    readonly horizon_h: number;
    readonly probability: number;
    readonly model: string;
  }[];
  /** Per failure mode (models `failure-<mode>-<H>h` promoted beside the any-mode one). */
  readonly failure_by_mode: {
    readonly mode: string;
    readonly horizon_h: number;
    readonly probability: number;
    readonly model: string;
  }[];
  readonly rul: {
    readonly hours: number;
    readonly low: number;
    readonly high: number;
    readonly model: string;
  } | null;
  readonly top_features: { feature: string; contribution: number }[];
}

const DAY = 86_400e6;

export class Scorer {
  private constructor(
    private readonly store: Store,
    private readonly fs: FeatureSet,
    readonly failure: LoadedModel | undefined,
    readonly rul: LoadedModel | undefined,
    private readonly windows: LiveWindows | undefined,
    /** Promoted per-mode failure models, by mode. */
    readonly byMode: ReadonlyMap<string, LoadedModel> = new Map(),
    /** Promoted any-mode failure models at other horizons than the primary one, by hours. */
    readonly byHorizon: ReadonlyMap<number, LoadedModel> = new Map(),
  ) {}

  /** Loads the promoted models that were trained on `fs` (a model on another feature set is refused). */
  static load(
    store: Store,
    registry: ModelRegistry,
    fs: FeatureSet,
    names = { failure: 'failure-any-24h', rul: 'rul-168h' },
    windows?: LiveWindows,
  ): Scorer {
    const tryLoad = (name: string) =>
      registry.promoted(name) === null ? undefined : registry.load(name, undefined, fs.hash);
    // Per-mode models share the any-mode model's horizon: failure-bearing-24h beside failure-any-24h.
    const horizon = /-(\d+h)$/.exec(names.failure)?.[1] ?? '24h';
    const byMode = new Map<string, LoadedModel>();
    const byHorizon = new Map<number, LoadedModel>();
    for (const name of registry.names()) {
      if (registry.promoted(name) === null) continue;
      const other = /^failure-any-(\d+)h$/.exec(name);
      if (other !== null && name !== names.failure) {
        byHorizon.set(Number(other[1]), registry.load(name, undefined, fs.hash));
        continue;
      }
      const m = new RegExp(`^failure-([a-z0-9_]+)-${horizon}$`).exec(name);
      if (m === null || m[1] === 'any') continue;
      byMode.set(m[1] as string, registry.load(name, undefined, fs.hash));
    }
    return new Scorer(store, fs, tryLoad(names.failure), tryLoad(names.rul), windows, byMode, byHorizon);
  }

  get ready(): boolean {
    return this.failure !== undefined || this.rul !== undefined;
  }

  /** MES/maintenance context of the whole plant as of an instant (30 days back): one load serves many scores. */
  async contextAt(atMicros: number): Promise<ContextIndex> {
    return new ContextIndex(await loadContext(this.store, { from: atMicros - 30 * DAY, to: atMicros + 1 }));
  }

  /** One equipment's MES/maintenance context as of an instant (the request path: narrow queries). */
  async contextFor(equipment: string, atMicros: number): Promise<ContextIndex> {
    return new ContextIndex(
      await loadContext(this.store, { from: atMicros - 30 * DAY, to: atMicros + 1 }, equipment),
    );
  }

  /** Live requests: one equipment's context, reloaded at most every 5 s (MES events are rarer). */
  private readonly liveContext = new Map<string, { bucket: number; ctx: Promise<ContextIndex> }>();
  private contextLive(equipment: string, atMicros: number): Promise<ContextIndex> {
    const bucket = Math.floor(Date.now() / 5000);
    const hit = this.liveContext.get(equipment);
    if (hit !== undefined && hit.bucket === bucket) return hit.ctx;
    const ctx = this.contextFor(equipment, atMicros);
    ctx.catch(() => this.liveContext.delete(equipment));
    this.liveContext.set(equipment, { bucket, ctx });
    return ctx;
  }

  private readonly sensorFeatures = new Map<string, { lastTs: number; x: Float64Array }>();

  /** Live requests: the last score per equipment, reused while its inputs are the same. */
  private readonly liveScores = new Map<string, { key: string; score: Promise<Score> }>();

  /** Quality drift per equipment, refitted at most once a minute (measurements arrive per batch). */
  private readonly driftCache = new Map<string, { minute: number; rows: Promise<DriftForecastRow[]> }>();
  private drift(equipment: string, atMicros: number): Promise<DriftForecastRow[]> {
    const minute = Math.floor(atMicros / 60e6);
    const hit = this.driftCache.get(equipment);
    if (hit !== undefined && hit.minute === minute) return hit.rows;
    const rows = this.shapesAt(atMicros)
      .then((shapes) => qualityDrift(this.store, equipment, atMicros, 168, shapes))
      .catch(() => []);
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
      if (view === undefined) throw noReadings(equipment, atMicros);
      if (input.readings === undefined || input.readings.length === 0) {
        const ctxBucket = Math.floor(Date.now() / 5000);
        const key = `${view.lastTs}|${ctxBucket}|${JSON.stringify(input.mes ?? null)}`;
        const hit = this.liveScores.get(equipment);
        if (hit !== undefined && hit.key === key) return hit.score;
        // Cached before anything is awaited, so concurrent requests share one computation.
        const score = this.contextLive(equipment, view.lastTs).then((ctx) =>
          this.score(equipment, view.lastTs, ctx, { ...input, live: false, view }),
        );
        score.catch(() => this.liveScores.delete(equipment));
        this.liveScores.set(equipment, { key, score });
        return score;
      }
      ts = view.ts;
      values = view.values;
      stored = ts.length;
      atMicros = Math.max(view.lastTs, ...input.readings.map((r) => r.ts));
      context = context ?? (await this.contextLive(equipment, atMicros));
    } else if (input.view !== undefined) {
      ts = input.view.ts;
      values = input.view.values;
      stored = ts.length;
    } else {
      const text = sql('readings_equipment_window', this.store.tables, { sensors: fs.sensors });
      const table = await queryTable(this.store.pool, text, [
        equipment,
        microsToIso(atMicros - DAY),
        microsToIso(atMicros + 1),
      ]);
      if (table.numRows === 0) throw noReadings(equipment, atMicros);
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
      x = featuresAtLast(
        fs,
        Float64Array.from(ts, (v) => v / 1e6),
        values,
      );
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
    let failure: Score['failure'] = null;
    let top: Score['top_features'] = [];
    const byMode: Score['failure_by_mode'] = [];
    for (const [mode, model] of this.byMode) {
      const f = failureProbability(model, x);
      byMode.push({ mode, ...f });
    }
    byMode.sort((a, b) => b.probability - a.probability);
    const byHorizon: Score['failure_by_horizon'] = [];
    for (const model of this.byHorizon.values()) byHorizon.push(failureProbability(model, x));
    if (this.failure) {
      failure = failureProbability(this.failure, x);
      byHorizon.push(failure);
      top = topContributions(explainRow(this.failure.compiled, x), fs.columns, 5).map((c) => ({
        feature: c.feature,
        contribution: Math.round(c.contribution * 1e4) / 1e4,
      }));
    }
    let rul: Score['rul'] = null;
    if (this.rul) {
      const each = treePredictions(this.rul.compiled, x).sort();
      const mean = each.reduce((s, v) => s + v, 0) / each.length;
      const q = (p: number) => each[Math.min(each.length - 1, Math.floor(p * each.length))] as number;
      // The interval: backtest residual quantiles when the model has them (calibrated out of
      // sample), else the trees' spread (which the backtests show to be far too narrow).
      const r10 = this.rul.meta.metrics.interval_residual_q10_h;
      const r90 = this.rul.meta.metrics.interval_residual_q90_h;
      const calibrated = typeof r10 === 'number' && typeof r90 === 'number' && r10 === r10 && r90 === r90;
      const low = calibrated ? Math.max(0, mean + r10) : q(0.1);
      const high = calibrated ? Math.max(low, mean + r90) : q(0.9);
      rul = {
        hours: Math.round(mean * 10) / 10,
        low: Math.round(Math.min(low, mean) * 10) / 10,
        high: Math.round(Math.max(high, mean) * 10) / 10,
        model: `${this.rul.meta.name}@${this.rul.meta.version}`,
      };
    }
    const at = ts[ts.length - 1] as number;
    const q = await quality;
    return {
      equipment,
      at: microsToIso(at),
      readings: stored,
      readings_from_request: extra.length,
      mes: input.mes ?? null,
      failure,
      failure_by_horizon: byHorizon.sort((a, b) => a.horizon_h - b.horizon_h),
      failure_by_mode: byMode,
      rul,
      quality: q,
      recommended_action: recommend(at, failure, rul, q, input.mes, byMode),
      top_features: top,
    };
  }
}

/** Calibrated probability of a failure classifier at one feature vector. */
function failureProbability(
  model: LoadedModel,
  x: Float64Array,
): { horizon_h: number; probability: number; model: string } {
  const raw = predictRow(model.compiled, x, new Float64Array(2))[1] as number;
  const cal = model.meta.calibration;
  const p = cal ? calibrate({ x: Float64Array.from(cal.x), y: Float64Array.from(cal.y) }, raw) : raw;
  return {
    horizon_h: Number(/within (\d+) h/.exec(model.meta.target ?? '')?.[1] ?? NaN),
    probability: Math.round(p * 1e4) / 1e4,
    model: `${model.meta.name}@${model.meta.version}`,
  };
}

const h = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} h`;

/**
 * The action a planner would take from the forecasts: hold for inspection when quality is already
 * out of capability; maintain now when failure is likely before the running batch can finish;
 * finish the batch and then maintain when it can; plan maintenance when the risk is rising.
 */
export function recommend(
  atMicros: number,
  failure: Score['failure'],
  rul: Score['rul'],
  quality: readonly DriftForecastRow[],
  mes: ScoreInput['mes'],
  byMode: Score['failure_by_mode'] = [],
): Recommendation {
  // The mode most likely to be the one, for the reason (byMode is sorted most likely first).
  const likely =
    byMode[0] !== undefined && byMode[0].probability >= 0.2
      ? `; most likely ${byMode[0].mode} (${byMode[0].probability.toFixed(2)})`
      : '';
  const batch = mes?.batch_id === undefined ? 'the running batch' : `batch ${mes.batch_id}`;
  const out = quality.find((q) => q.to_limit_running_h === 0 || (q.cpk_now !== null && q.cpk_now < 1));
  if (out !== undefined) {
    return {
      action: 'hold_for_inspection',
      reason: `${out.characteristic} predicted out of spec (${out.limit ?? 'limit'}; Cpk now ${out.cpk_now ?? 'n/a'})`,
      before: null,
    };
  }
  const p = failure?.probability ?? 0;
  const safeH = rul === null ? Infinity : rul.low; // the pessimistic end of the RUL interval
  const deadline = Number.isFinite(safeH) ? microsToIso(atMicros + safeH * 3.6e9) : null;
  const toBatchEnd = mes?.batch_end === undefined ? NaN : (mes.batch_end - atMicros) / 3.6e9;
  if (p >= 0.5 || safeH <= 8) {
    const why = `failure probability ${p.toFixed(2)} within ${failure?.horizon_h ?? '?'} h, RUL ${rul ? `${h(rul.hours)} (low ${h(rul.low)})` : 'n/a'}${likely}`;
    if (toBatchEnd === toBatchEnd && toBatchEnd >= 0 && toBatchEnd < safeH) {
      return {
        action: 'maintain_after_batch',
        reason: `finish ${batch} (ends in ${h(toBatchEnd)}), then maintain: ${why}`,
        before: deadline,
      };
    }
    return { action: 'maintain_now', reason: `maintain before ${batch} ends: ${why}`, before: deadline };
  }
  const drifting = quality.find((q) => q.to_limit_low_h !== null && q.to_limit_low_h <= 24);
  if (p >= 0.2 || (rul !== null && rul.hours <= 48) || drifting !== undefined) {
    const parts = [
      p >= 0.2 ? `failure probability ${p.toFixed(2)}` : '',
      rul !== null && rul.hours <= 48 ? `RUL ${h(rul.hours)} (low ${h(rul.low)})` : '',
      drifting
        ? `${drifting.characteristic} may reach its ${drifting.limit} in ${h(drifting.to_limit_low_h ?? 0)} of running`
        : '',
    ].filter(Boolean);
    return {
      action: 'plan_maintenance',
      reason: `plan maintenance in the next gap between batches: ${parts.join('; ')}`,
      before: deadline,
    };
  }
  return {
    action: 'none',
    reason: `risk low: failure probability ${p.toFixed(2)}${rul ? `, RUL at least ${h(rul.low)}` : ''}`,
    before: null,
  };
}

/**
 * The scorer the API and the jobs share: `current` is swapped atomically by `reload()` when a
 * retrain promotes a new model, so requests in flight finish on the models they started with.
 */
export class LiveScorer {
  private scorer: Scorer;
  /** The live windows outlive model reloads: the readings do not change when the model does. */
  private readonly windows: LiveWindows;
  constructor(
    private readonly store: Store,
    private readonly registry: ModelRegistry,
    private readonly fs: FeatureSet,
    /** The primary "failure within H" horizon (PDM_FAILURE_HORIZONS' first). */
    private readonly primaryHorizonHours = 24,
  ) {
    this.windows = new LiveWindows(store, fs.sensors);
    this.scorer = Scorer.load(store, registry, fs, this.names(), this.windows);
  }

  private names() {
    return { failure: `failure-any-${this.primaryHorizonHours}h`, rul: 'rul-168h' };
  }

  get current(): Scorer {
    return this.scorer;
  }

  reload(): Scorer {
    this.scorer = Scorer.load(this.store, this.registry, this.fs, this.names(), this.windows);
    return this.scorer;
  }
}
