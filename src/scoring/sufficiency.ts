/**
 * Enough data to score, or say so. An equipment is scored only when its readings cover the
 * feature set's longest window (coverage: the time between consecutive readings, a gap longer than
 * a few sampling steps counting only up to that, so one stray old reading does not make a day of
 * history) and it reports the sensors its models learnt from: every model records the sensor sets
 * its training equipment reported, and an equipment that reports less than the closest of them,
 * among the sensors the answering predictor reads, lacks what the model depends on.
 */
import type { FeatureSet } from '../../features/index.ts';
import type { Served } from './served.ts';

/** Share of the longest window the readings must cover. */
export const COVERAGE_NEEDED = 0.9;

export interface Sufficiency {
  readonly ok: boolean;
  /** Why not, in words (empty when ok). */
  readonly reason: string;
  readonly covered_h: number;
  readonly required_h: number;
  readonly sensors_absent: string[];
}

/** The longest time window of the feature set, seconds (count windows assume one reading a second). */
export function longestWindowSeconds(fs: FeatureSet): number {
  return Math.max(...fs.windows.map((w) => (w.kind === 'time' ? w.seconds : w.rows)));
}

/** Seconds of [at - window, at] covered by readings (µs times, ascending). */
export function coveredSeconds(ts: Float64Array, atMicros: number, windowSeconds: number): number {
  const from = atMicros - windowSeconds * 1e6;
  let first = 0;
  while (first < ts.length && (ts[first] as number) < from) first++;
  if (ts.length - first < 2) return 0;
  // The sampling step: the median of the latest (at most 2,000) gaps; this runs on every live score,
  // so a day of 1 s readings is not sorted each time.
  const recent: number[] = [];
  for (let i = ts.length - 1; i > first && recent.length < 2000; i--)
    recent.push((ts[i] as number) - (ts[i - 1] as number));
  recent.sort((a, b) => a - b);
  const step = recent[recent.length >> 1] as number;
  const maxGap = Math.max(60e6, 5 * step);
  let covered = 0;
  for (let i = first + 1; i < ts.length; i++)
    covered += Math.min((ts[i] as number) - (ts[i - 1] as number), maxGap);
  return covered / 1e6;
}

/**
 * Judges the readings of one equipment at an instant. `historySeconds`: the coverage of its stored
 * history (ten-minute buckets with readings), for an equipment whose last window is not covered
 * (it was down or idle part of the day): a long history is enough even if today has gaps.
 */
export function judgeData(
  fs: FeatureSet,
  ts: Float64Array,
  values: readonly Float64Array[],
  atMicros: number,
  models: readonly Served[],
  historySeconds = 0,
  /** `coveredSeconds(ts, atMicros, longest window)`, when the caller has it already. */
  coveredNow?: number,
): Sufficiency {
  const required = longestWindowSeconds(fs);
  const covered = Math.max(coveredNow ?? coveredSeconds(ts, atMicros, required), historySeconds);
  // A plain loop, from the newest reading back to the first value present: a sensor the equipment
  // does not report is read whole (a day at 1 s), and `some` with a callback took several times as
  // long on every live score.
  const present = new Set<string>();
  fs.sensors.forEach((name, j) => {
    const v = values[j] as Float64Array;
    for (let i = v.length - 1; i >= 0; i--)
      if (v[i] === v[i]) {
        present.add(name);
        return;
      }
  });
  const absent = new Set<string>();
  for (const m of models) {
    const profiles = m.model.meta.sensorProfiles ?? [];
    if (profiles.length === 0) continue;
    let closest: readonly string[] = [];
    let fewest = Infinity;
    for (const p of profiles) {
      const missing = p.filter((s) => !present.has(s));
      if (missing.length < fewest) {
        fewest = missing.length;
        closest = missing;
      }
    }
    for (const s of closest) if (m.sensors.includes(s)) absent.add(s);
  }
  const problems: string[] = [];
  if (covered < COVERAGE_NEEDED * required)
    problems.push(
      `the readings cover ${(covered / 3600).toFixed(1)} h of history; the longest feature window needs ${(required / 3600).toFixed(0)} h`,
    );
  if (absent.size > 0)
    problems.push(
      `no values for ${[...absent].sort().join(', ')}, which the models read for equipment like this one`,
    );
  return {
    ok: problems.length === 0,
    reason: problems.join('; '),
    covered_h: Math.round((covered / 3600) * 10) / 10,
    required_h: Math.round((required / 3600) * 10) / 10,
    sensors_absent: [...absent].sort(),
  };
}
