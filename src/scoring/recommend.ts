/**
 * The recommendation policy: turns one equipment's forecasts and MES context into the action a
 * planner would take, with its reason and the latest advisable time.
 */
import { UNCHOSEN_ALERT_AT } from '../../pipelines/alert-policy.ts';
import type { DriftForecastRow } from '../../pipelines/drift.ts';
import { microsToIso } from '../store/index.ts';
import type { Recommendation, Score, ScoreInput } from './scorer.ts';

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
  // Alert at the threshold chosen on the training side for the false-alarm budget; a model
  // without one (or a baseline answering) alerts at even odds.
  const alertAt = failure?.alert_threshold ?? UNCHOSEN_ALERT_AT;
  const safeH = rul === null ? Infinity : rul.low; // the pessimistic end of the RUL interval
  const deadline = Number.isFinite(safeH) ? microsToIso(atMicros + safeH * 3.6e9) : null;
  const toBatchEnd = mes?.batch_end === undefined ? NaN : (mes.batch_end - atMicros) / 3.6e9;
  if ((failure !== null && p >= alertAt) || safeH <= 8) {
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
  const rising = Math.min(0.2, alertAt / 2);
  if (p >= rising || (rul !== null && rul.hours <= 48) || drifting !== undefined) {
    const parts = [
      p >= rising ? `failure probability ${p.toFixed(2)}` : '',
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
