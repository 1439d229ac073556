/**
 * Labels for prediction instants, from what happens strictly after each instant (never at or
 * before it) and strictly before `observedUntil`, the exclusive end of observation: an event at or
 * after it is ignored, so a label function cannot look past the time it is given (a walk-forward
 * fold passes its cut). Unknown is NaN, whatever happened: an instant whose horizon is not over
 * by `observedUntil` is unlabelled even if a failure already fell inside it, so the last H hours
 * of a period are not positives-only.
 *
 * Instants and events are epoch microseconds; `equipment` arrays align with `instants`.
 */

export interface FailureEvent {
  readonly equipment: string;
  readonly ts: number;
  readonly mode: string;
}

function byEquipment(
  events: readonly FailureEvent[],
  observedUntil: number,
  mode?: string,
): Map<string, Float64Array> {
  const m = new Map<string, number[]>();
  for (const e of events) {
    if ((mode !== undefined && e.mode !== mode) || !(e.ts < observedUntil)) continue;
    const list = m.get(e.equipment);
    if (list) list.push(e.ts);
    else m.set(e.equipment, [e.ts]);
  }
  return new Map([...m].map(([k, v]) => [k, Float64Array.from(v).sort()]));
}

/** First event time strictly after t, or NaN. */
function nextAfter(times: Float64Array | undefined, t: number): number {
  if (times === undefined) return NaN;
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo < times.length ? (times[lo] as number) : NaN;
}

/**
 * 1 if a failure (of `mode`, or any) happens in (t, t + horizon], 0 if none does, when that
 * horizon is over before `observedUntil`; NaN otherwise (not known yet, whatever it will be).
 */
export function failureWithin(
  instants: Float64Array,
  equipment: readonly string[],
  failures: readonly FailureEvent[],
  horizonMicros: number,
  observedUntil: number,
  mode?: string,
): Float64Array {
  const idx = byEquipment(failures, observedUntil, mode);
  const out = new Float64Array(instants.length);
  for (let i = 0; i < instants.length; i++) {
    const t = instants[i] as number;
    if (!(t + horizonMicros < observedUntil)) {
      out[i] = NaN;
      continue;
    }
    const next = nextAfter(idx.get(equipment[i] as string), t);
    out[i] = next === next && next <= t + horizonMicros ? 1 : 0;
  }
  return out;
}

/**
 * Remaining useful life in hours: time to the next failure (any mode) after t, capped at
 * `capHours` (the usual piecewise-linear target). Without a failure before `observedUntil`, the
 * RUL is known only if the cap is passed inside observation (then it is the cap); else NaN (right
 * censored). An instant at or after `observedUntil` has no label.
 */
export function remainingLife(
  instants: Float64Array,
  equipment: readonly string[],
  failures: readonly FailureEvent[],
  observedUntil: number,
  capHours = Infinity,
): Float64Array {
  const idx = byEquipment(failures, observedUntil);
  const out = new Float64Array(instants.length);
  const capMicros = capHours * 3.6e9;
  for (let i = 0; i < instants.length; i++) {
    const t = instants[i] as number;
    const next = t < observedUntil ? nextAfter(idx.get(equipment[i] as string), t) : NaN;
    if (next === next) out[i] = Math.min(next - t, capMicros) / 3.6e9;
    else out[i] = t + capMicros < observedUntil ? capHours : NaN;
  }
  return out;
}

export interface QualityMeasurement {
  readonly equipment: string;
  readonly ts: number;
  readonly value: number;
  readonly lsl: number;
  readonly usl: number;
}

/** The next quality measurement after t (the one at the end of the running batch), or NaN. */
export function qualityAtBatchEnd(
  instants: Float64Array,
  equipment: readonly string[],
  measurements: readonly QualityMeasurement[],
): Float64Array {
  const groups = new Map<string, QualityMeasurement[]>();
  for (const q of measurements) groups.set(q.equipment, [...(groups.get(q.equipment) ?? []), q]);
  const sorted = new Map([...groups].map(([k, v]) => [k, v.sort((a, b) => a.ts - b.ts)]));
  const times = new Map([...sorted].map(([k, v]) => [k, Float64Array.from(v, (q) => q.ts)]));
  const out = new Float64Array(instants.length);
  for (let i = 0; i < instants.length; i++) {
    const eq = equipment[i] as string;
    const next = nextAfter(times.get(eq), instants[i] as number);
    out[i] = next === next ? (sorted.get(eq)!.find((q) => q.ts === next)?.value ?? NaN) : NaN;
  }
  return out;
}

/** Hours from t to the first later measurement outside its spec limits; NaN if none is observed. */
export function timeToSpecLimit(
  instants: Float64Array,
  equipment: readonly string[],
  measurements: readonly QualityMeasurement[],
): Float64Array {
  const out = byEquipment(
    measurements
      .filter((q) => q.value < q.lsl || q.value > q.usl)
      .map((q) => ({ equipment: q.equipment, ts: q.ts, mode: '' })),
    Infinity,
  );
  const res = new Float64Array(instants.length);
  for (let i = 0; i < instants.length; i++) {
    const t = instants[i] as number;
    const next = nextAfter(out.get(equipment[i] as string), t);
    res[i] = next === next ? (next - t) / 3.6e9 : NaN;
  }
  return res;
}
