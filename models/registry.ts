/**
 * Versioned models on disk: `<dir>/<name>/<version>/model.json` (the forest, typed arrays as
 * base64) beside `meta.json` (feature-set hash, training window, row counts, metrics, created-at,
 * sha256 of model.json), and `<dir>/<name>/registry.json` (which version is promoted, and the
 * promotion history for rollback). Every file is written to a temporary name, fsynced and renamed:
 * a crash never leaves half a model. Loading refuses a model whose checksum or feature-set hash
 * does not match, with an error that says which.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, PdmError } from '../src/errors.ts';
import { writeAtomic } from '../src/write-atomic.ts';
import { compileForest } from './compiled.ts';
import type { CompiledForest } from './compiled.ts';
import type { FailureBaseline, RulBaseline } from './baselines.ts';
import type { AnomalyModel } from './anomaly.ts';
import type { ContextZ } from './context-z.ts';
import type { CalibratorJson } from './calibration.ts';
import type { Forest } from './forest.ts';
import type { Tree } from './tree.ts';

export interface ModelMeta {
  readonly name: string;
  readonly version: string;
  readonly createdAt: string;
  readonly kind: string;
  /** The model scope (pipelines/scopes.ts) it was trained on and serves, and that scope's classes. */
  readonly scope?: string;
  readonly classes?: readonly string[];
  readonly featureSet: string;
  readonly featureSetHash: string;
  readonly featureNames: readonly string[];
  readonly trainingWindow: { readonly from: string; readonly to: string } | null;
  readonly rows: number;
  readonly metrics: Readonly<Record<string, number>>;
  /** Isotonic calibration of a classifier's scores (models/calibration.ts: step or centered). */
  readonly calibration?: CalibratorJson;
  /** What the target is, e.g. "failure within 24 h (any mode)" or "RUL hours, capped at 168". */
  readonly target?: string;
  /** Declared fields the scorer resolves models by (never the name): a failure model's horizon and mode. */
  readonly horizonHours?: number;
  readonly mode?: string;
  /** A RUL model's cap. */
  readonly capHours?: number;
  /** The references fitted beside the model on the same training side (they answer when it loses). */
  readonly baselines?: readonly (FailureBaseline | RulBaseline)[];
  /** The promotion gate's verdict: what answers when this version is promoted, and why. */
  readonly gate?: { readonly passed: boolean; readonly serve: string; readonly reason: string };
  /** A failure model's alert threshold for the false-alarm budget (null: none meets it). */
  readonly alertThreshold?: number | null;
  /** Its work-order level for the work-order budget (null or absent: halfway from the threshold to 1). */
  readonly workOrderThreshold?: number | null;
  /** An anomaly model's alarm level on its health index (alarm at or below it). */
  readonly alarmHealth?: number;
  /** A RUL model's conformal residual bounds per nominal level (truth - prediction). */
  readonly intervals?: readonly { readonly level: number; readonly low: number; readonly high: number }[];
  /** The sets of sensors the training equipment reported (one per distinct set). */
  readonly sensorProfiles?: readonly (readonly string[])[];
  /** How it was trained (trees, seed, cut), so a comparison can re-fit the recipe on another cut. */
  readonly recipe?: Readonly<Record<string, number | string>>;
  readonly checksum: string;
}

/** One champion/challenger comparison on a holdout neither model trained on. */
export interface ChallengeRecord {
  readonly at: string;
  readonly metric: string;
  /** true when lower is better (brier, rmse). */
  readonly lowerIsBetter: boolean;
  readonly holdout: {
    readonly from: string;
    readonly to: string;
    readonly rows: number;
    readonly positives?: number;
  };
  readonly champion: {
    readonly version: string;
    readonly value: number;
    /** The champion had trained on the holdout... */
    readonly sawHoldout: boolean;
    /** ...so its recipe was re-fitted at the holdout's cut, and `value` is the re-fit's. */
    readonly refit?: boolean;
    /** ...with the challenger's own recipe: the re-fit is the challenger's fit, not fitted twice. */
    readonly sameRecipe?: boolean;
  } | null;
  readonly challenger: { readonly version: string; readonly value: number };
  readonly promoted: boolean;
  readonly reason: string;
  /** What both sides were judged on, in words. */
  readonly compared_on?: string;
}

export interface LoadedAnomaly {
  readonly meta: ModelMeta;
  readonly model: AnomalyModel;
}

export interface LoadedModel {
  readonly meta: ModelMeta;
  readonly forest: Forest;
  readonly compiled: CompiledForest;
  /**
   * The context z normaliser whose columns follow the feature set's in the forest's input
   * (`meta.featureNames` names both), or null: the forest reads the feature set alone.
   */
  readonly contextZ: ContextZ | null;
}

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromB64<T>(s: string, make: (buf: ArrayBuffer) => T): T {
  const b = Buffer.from(s, 'base64');
  return make(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function serialise(forest: Forest, contextZ: ContextZ | null): string {
  return JSON.stringify({
    format: 'pdm-forest-v1',
    // In the checksummed file: the forest's input is wrong without it.
    ...(contextZ === null ? {} : { contextZ }),
    task: forest.task,
    classes: forest.classes,
    features: forest.features,
    options: forest.options,
    importance: b64(forest.importance),
    edges: forest.edges.map(b64),
    trees: forest.trees.map((t) => ({
      nOut: t.nOut,
      feature: b64(t.feature),
      threshold: b64(t.threshold),
      thresholdBin: b64(t.thresholdBin),
      left: b64(t.left),
      right: b64(t.right),
      value: b64(t.value),
      cover: b64(t.cover),
      gain: b64(t.gain),
    })),
  });
}

function deserialise(text: string): { forest: Forest; contextZ: ContextZ | null } {
  const o = JSON.parse(text) as Record<string, unknown> & {
    trees: Record<string, string | number>[];
    edges: string[];
    contextZ?: ContextZ;
  };
  if (o.format !== 'pdm-forest-v1')
    throw new PdmError(ErrorCodes.MODEL_CORRUPT, `unknown model format ${String(o.format)}`);
  const i32 = (s: unknown) => fromB64(String(s), (b) => new Int32Array(b));
  const f64 = (s: unknown) => fromB64(String(s), (b) => new Float64Array(b));
  const trees: Tree[] = o.trees.map((t) => ({
    nOut: Number(t.nOut),
    feature: i32(t.feature),
    threshold: f64(t.threshold),
    thresholdBin: i32(t.thresholdBin),
    left: i32(t.left),
    right: i32(t.right),
    value: f64(t.value),
    cover: f64(t.cover),
    gain: f64(t.gain),
  }));
  const forest: Forest = {
    task: o.task as Forest['task'],
    classes: Number(o.classes),
    features: Number(o.features),
    options: o.options as Forest['options'],
    importance: f64(o.importance),
    edges: o.edges.map(f64),
    trees,
  };
  return { forest, contextZ: o.contextZ ?? null };
}

export class ModelRegistry {
  constructor(readonly dir: string) {}

  private modelDir(name: string): string {
    if (!NAME.test(name))
      throw new PdmError(
        ErrorCodes.CLI_USAGE,
        `invalid model name ${JSON.stringify(name)}: lowercase letters, digits, . _ -`,
      );
    return path.join(this.dir, name);
  }

  /**
   * Saves a new version (v0001, v0002, ...) and returns its metadata; promotes nothing. A forest
   * that reads context z columns is saved with their normaliser (`info.featureNames` names both).
   */
  save(
    name: string,
    forest: Forest,
    info: Omit<ModelMeta, 'name' | 'version' | 'createdAt' | 'checksum'>,
    contextZ: ContextZ | null = null,
  ): ModelMeta {
    if (info.featureNames.length !== forest.features)
      throw new PdmError(
        ErrorCodes.MODEL_CORRUPT,
        `model ${name}: ${info.featureNames.length} feature names for a forest of ${forest.features} inputs`,
      );
    return this.saveText(name, serialise(forest, contextZ), info);
  }

  /** Saves an anomaly model (kind `anomaly`) as a new version; promotes nothing. */
  saveAnomaly(
    name: string,
    model: AnomalyModel,
    info: Omit<ModelMeta, 'name' | 'version' | 'createdAt' | 'checksum' | 'kind'>,
  ): ModelMeta {
    return this.saveText(name, JSON.stringify({ format: 'pdm-anomaly-v1', ...model }), {
      ...info,
      kind: 'anomaly',
    });
  }

  /** Loads an anomaly model version (default: the promoted one), its checksum and feature set verified. */
  loadAnomaly(name: string, version?: string, expectedFeatureSetHash?: string): LoadedAnomaly {
    const { meta, text } = this.verified(name, version, expectedFeatureSetHash);
    const o = JSON.parse(text) as AnomalyModel & { format?: string };
    if (o.format !== 'pdm-anomaly-v1' || meta.kind !== 'anomaly')
      throw new PdmError(ErrorCodes.MODEL_CORRUPT, `model ${name} ${meta.version} is not an anomaly model`);
    const { format: _format, ...model } = o;
    return { meta, model };
  }

  private saveText(
    name: string,
    model: string,
    info: Omit<ModelMeta, 'name' | 'version' | 'createdAt' | 'checksum'>,
  ): ModelMeta {
    const root = this.modelDir(name);
    mkdirSync(root, { recursive: true });
    const versions = this.versions(name);
    const last = versions.length > 0 ? Number(versions[versions.length - 1]!.slice(1)) : 0;
    const version = `v${String(last + 1).padStart(4, '0')}`;
    const dir = path.join(root, version);
    mkdirSync(dir);
    const meta: ModelMeta = {
      ...info,
      name,
      version,
      createdAt: new Date().toISOString(),
      checksum: createHash('sha256').update(model).digest('hex'),
    };
    writeAtomic(path.join(dir, 'model.json'), model);
    writeAtomic(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    return meta;
  }

  names(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((n) => NAME.test(n) && existsSync(path.join(this.dir, n)))
      .sort();
  }

  versions(name: string): string[] {
    const root = this.modelDir(name);
    if (!existsSync(root)) return [];
    return readdirSync(root)
      .filter((v) => /^v\d{4}$/.test(v) && existsSync(path.join(root, v, 'meta.json')))
      .sort();
  }

  meta(name: string, version: string): ModelMeta {
    const file = path.join(this.modelDir(name), version, 'meta.json');
    if (!existsSync(file))
      throw new PdmError(ErrorCodes.MODEL_NOT_FOUND, `model ${name} ${version} not found in ${this.dir}`);
    return JSON.parse(readFileSync(file, 'utf8')) as ModelMeta;
  }

  private state(name: string): { promoted: string | null; history: string[] } {
    const file = path.join(this.modelDir(name), 'registry.json');
    return existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { promoted: string | null; history: string[] })
      : { promoted: null, history: [] };
  }

  /** Every name with its promoted version, as one string: it changes exactly when a promotion does. */
  promotedSignature(): string {
    return this.names()
      .map((n) => `${n}@${this.promoted(n) ?? ''}`)
      .join(',');
  }

  promoted(name: string): string | null {
    return this.state(name).promoted;
  }

  promote(name: string, version: string): void {
    this.meta(name, version); // exists?
    const s = this.state(name);
    const next = { promoted: version, history: [...s.history, version] };
    writeAtomic(path.join(this.modelDir(name), 'registry.json'), JSON.stringify(next, null, 2) + '\n');
  }

  /** Stores a version's backtest (curves and figures for engineers) beside it, as backtest.json. */
  saveBacktest(name: string, version: string, backtest: object): void {
    this.meta(name, version); // exists?
    writeAtomic(path.join(this.modelDir(name), version, 'backtest.json'), JSON.stringify(backtest) + '\n');
  }

  backtest(name: string, version: string): Record<string, unknown> | null {
    const file = path.join(this.modelDir(name), version, 'backtest.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : null;
  }

  /** Appends a champion/challenger comparison to `<name>/challenges.json` (newest last). */
  recordChallenge(name: string, record: ChallengeRecord): void {
    const all = [...this.challenges(name), record];
    writeAtomic(path.join(this.modelDir(name), 'challenges.json'), JSON.stringify(all, null, 2) + '\n');
  }

  challenges(name: string): ChallengeRecord[] {
    const file = path.join(this.modelDir(name), 'challenges.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ChallengeRecord[]) : [];
  }

  /**
   * Deletes the versions never promoted, but the newest `keep` of them (at least one, so version
   * numbers are never reused); every version ever promoted stays, so rollback always finds its
   * target. Returns the deleted versions, oldest first.
   */
  prune(name: string, keep: number): string[] {
    const everPromoted = new Set(this.state(name).history);
    const unpromoted = this.versions(name).filter((v) => !everPromoted.has(v));
    const drop = unpromoted.slice(0, Math.max(0, unpromoted.length - Math.max(1, keep)));
    for (const v of drop) rmSync(path.join(this.modelDir(name), v), { recursive: true, force: true });
    return drop;
  }

  /** Back to the version promoted before the current one. */
  rollback(name: string): string {
    const s = this.state(name);
    if (s.history.length < 2)
      throw new PdmError(
        ErrorCodes.MODEL_NOT_FOUND,
        `model ${name} has no earlier promoted version to roll back to`,
      );
    const history = s.history.slice(0, -1);
    const promoted = history[history.length - 1] as string;
    writeAtomic(
      path.join(this.modelDir(name), 'registry.json'),
      JSON.stringify({ promoted, history }, null, 2) + '\n',
    );
    return promoted;
  }

  /**
   * Loads a version (default: the promoted one), verifying its checksum and, when given, that it
   * was trained on the feature set the caller computes.
   */
  load(name: string, version?: string, expectedFeatureSetHash?: string): LoadedModel {
    const { meta, text } = this.verified(name, version, expectedFeatureSetHash);
    const { forest, contextZ } = deserialise(text);
    return { meta, forest, compiled: compileForest(forest), contextZ };
  }

  private verified(
    name: string,
    version: string | undefined,
    expectedFeatureSetHash: string | undefined,
  ): { meta: ModelMeta; text: string } {
    const v = version ?? this.promoted(name);
    if (v === null || v === undefined)
      throw new PdmError(
        ErrorCodes.MODEL_NOT_FOUND,
        `model ${name} has no promoted version: pdm models promote ${name} VERSION`,
      );
    const meta = this.meta(name, v);
    const text = readFileSync(path.join(this.modelDir(name), v, 'model.json'), 'utf8');
    const sum = createHash('sha256').update(text).digest('hex');
    if (sum !== meta.checksum) {
      throw new PdmError(
        ErrorCodes.MODEL_CORRUPT,
        `model ${name} ${v}: checksum mismatch (file ${sum.slice(0, 12)}, recorded ${meta.checksum.slice(0, 12)}); refusing to load`,
      );
    }
    if (expectedFeatureSetHash !== undefined && meta.featureSetHash !== expectedFeatureSetHash) {
      throw new PdmError(
        ErrorCodes.MODEL_FEATURES_MISMATCH,
        `model ${name} ${v} was trained on feature set ${meta.featureSet} ${meta.featureSetHash}, not ${expectedFeatureSetHash}; retrain it or score with its feature set`,
      );
    }
    return { meta, text };
  }
}
