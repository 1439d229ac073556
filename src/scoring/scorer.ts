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
import { ErrorCodes, PdmError } from '../errors.ts';
import { microsToIso, queryTable, sql } from '../store/index.ts';
import type { Store } from '../store/index.ts';

export interface Score {
  readonly equipment: string;
  readonly at: string;
  readonly readings: number;
  readonly failure: {
    readonly horizon_h: number;
    readonly probability: number;
    readonly model: string;
  } | null;
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
  ) {}

  /** Loads the promoted models that were trained on `fs` (a model on another feature set is refused). */
  static load(
    store: Store,
    registry: ModelRegistry,
    fs: FeatureSet,
    names = { failure: 'failure-any-24h', rul: 'rul-168h' },
  ): Scorer {
    const tryLoad = (name: string) =>
      registry.promoted(name) === null ? undefined : registry.load(name, undefined, fs.hash);
    return new Scorer(store, fs, tryLoad(names.failure), tryLoad(names.rul));
  }

  get ready(): boolean {
    return this.failure !== undefined || this.rul !== undefined;
  }

  /** MES/maintenance context of the whole plant as of an instant (30 days back): one load serves many scores. */
  async contextAt(atMicros: number): Promise<ContextIndex> {
    return new ContextIndex(await loadContext(this.store, { from: atMicros - 30 * DAY, to: atMicros + 1 }));
  }

  /** Scores one equipment; pass `context` from contextAt when scoring many at the same instant. */
  async score(equipment: string, atMicros: number, context?: ContextIndex): Promise<Score> {
    const fs = this.fs;
    const text = sql('readings_equipment_window', this.store.tables, { sensors: fs.sensors });
    const table = await queryTable(this.store.pool, text, [
      equipment,
      microsToIso(atMicros - DAY),
      microsToIso(atMicros + 1),
    ]);
    if (table.numRows === 0) {
      throw new PdmError(
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
    const ts = timestampMicros(table.getChild('ts')!);
    const t = Float64Array.from(ts, (v) => v / 1e6);
    const x = featuresAtLast(
      fs,
      t,
      fs.sensors.map((s) => float64Values(table.getChild(s)!)),
    );
    // Context columns close the vector, in feature-set order.
    const ctxNames = fs.context ?? [];
    if (ctxNames.length > 0) {
      const ctx = context ?? (await this.contextAt(atMicros));
      const buf = new Float64Array(ctxNames.length);
      ctx.at(equipment, ts[ts.length - 1] as number, ctxNames, buf, 0);
      x.set(buf, fs.columns.length - ctxNames.length);
    }
    let failure: Score['failure'] = null;
    let top: Score['top_features'] = [];
    if (this.failure) {
      const raw = predictRow(this.failure.compiled, x, new Float64Array(2))[1] as number;
      const cal = this.failure.meta.calibration;
      const p = cal ? calibrate({ x: Float64Array.from(cal.x), y: Float64Array.from(cal.y) }, raw) : raw;
      const hours = Number(/within (\d+) h/.exec(this.failure.meta.target ?? '')?.[1] ?? NaN);
      failure = {
        horizon_h: hours,
        probability: Math.round(p * 1e4) / 1e4,
        model: `${this.failure.meta.name}@${this.failure.meta.version}`,
      };
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
      rul = {
        hours: Math.round(mean * 10) / 10,
        low: Math.round(q(0.1) * 10) / 10,
        high: Math.round(q(0.9) * 10) / 10,
        model: `${this.rul.meta.name}@${this.rul.meta.version}`,
      };
    }
    return {
      equipment,
      at: microsToIso(ts[ts.length - 1] as number),
      readings: table.numRows,
      failure,
      rul,
      top_features: top,
    };
  }
}

/**
 * The scorer the API and the jobs share: `current` is swapped atomically by `reload()` when a
 * retrain promotes a new model, so requests in flight finish on the models they started with.
 */
export class LiveScorer {
  private scorer: Scorer;
  constructor(
    private readonly store: Store,
    private readonly registry: ModelRegistry,
    private readonly fs: FeatureSet,
  ) {
    this.scorer = Scorer.load(store, registry, fs);
  }

  get current(): Scorer {
    return this.scorer;
  }

  reload(): Scorer {
    this.scorer = Scorer.load(this.store, this.registry, this.fs);
    return this.scorer;
  }
}
