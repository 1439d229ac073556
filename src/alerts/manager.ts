/**
 * From forecasts to alerts: after each scoring run the manager turns every equipment's score into
 * conditions (failure risk, RUL's pessimistic end inside the running batch, quality drift reaching
 * a spec limit before the batch ends, insufficient data, silence), runs the plant file's policy
 * (pipelines/alert-policy.ts) over them, records every change in the `alerts` table and queues what
 * receivers must be told (src/alerts/delivery.ts). People acknowledge, resolve or suppress alerts
 * over the API; the manager reads those changes back before each run, so it never reopens what a
 * person closed, and a restart keeps the open alerts (hold timers start again).
 */
import { randomUUID } from 'node:crypto';
import { AlertTracker, anomalyCondition, failureRiskCondition } from '../../pipelines/alert-policy.ts';
import type { AlertChange, Condition, OpenAlert } from '../../pipelines/alert-policy.ts';
import { DEFAULT_ALERT_POLICY } from '../plant/index.ts';
import type { AlertPolicy, Plant } from '../plant/index.ts';
import type { Score } from '../scoring/scorer.ts';
import { microsToIso, parseTimestampMicros, query, sql } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import type { AlertDeliverer } from './delivery.ts';
import { alertHistory, latestAlerts, viewOf, writeAlertRows } from './store.ts';
import type { AlertRow, AlertState, AlertView } from './store.ts';

const h = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v)} h`;

/** The conditions one score states, one per cause (a cause it cannot judge is clear). */
export function conditionsOf(s: Score, policy: AlertPolicy, atMicros: number): Condition[] {
  const clear = (cause: Condition['cause']): Condition => ({
    cause,
    active: false,
    clear: true,
    tier: 'notify',
    value: NaN,
    reason: '',
  });
  if (s.status === 'insufficient_data')
    return [
      {
        cause: 'insufficient_data',
        active: true,
        clear: false,
        tier: 'info',
        value: 1,
        reason: s.recommended_action.reason,
      },
      clear('silent'),
    ];
  const out: Condition[] = [clear('insufficient_data'), clear('silent')];
  const f = s.failure;
  out.push(
    f === null
      ? clear('failure_risk')
      : failureRiskCondition(
          policy,
          f.probability,
          f.alert_threshold,
          !f.model.startsWith('baseline'),
          f.horizon_h,
          f.work_order_threshold,
        ),
  );
  const toEnd = s.mes?.batch_end === undefined ? NaN : (s.mes.batch_end - atMicros) / 3.6e9;
  const batch = s.mes?.batch_id === undefined ? 'the running batch' : `batch ${s.mes.batch_id}`;
  if (s.rul !== null && toEnd > 0 && s.rul.low < toEnd)
    out.push({
      cause: 'rul_before_batch_end',
      active: true,
      clear: false,
      tier: 'notify',
      value: s.rul.low,
      reason: `remaining useful life may end in ${h(s.rul.low)} (pessimistic end), before ${batch} ends in ${h(toEnd)}`,
    });
  else out.push(clear('rul_before_batch_end'));
  const within = toEnd > 0 ? toEnd : 24;
  const q = s.quality.find((x) => x.to_limit_low_h !== null && x.to_limit_low_h <= within);
  if (q !== undefined)
    out.push({
      cause: 'quality_drift',
      active: true,
      clear: false,
      tier: 'notify',
      value: q.to_limit_low_h as number,
      reason: `${q.characteristic} may reach its ${q.limit ?? 'spec limit'} in ${h(q.to_limit_low_h as number)} of running, before ${toEnd > 0 ? `${batch} ends` : 'the next 24 h are over'}`,
    });
  else out.push(clear('quality_drift'));
  // The anomaly cause raises only while the anomaly model answers the risk (no failure model yet):
  // beside a failure model its false alarms (tens per equipment-month on the simulated plant)
  // would bury the failure model's alerts, which already cover the risk.
  const a = s.answered_by.risk === 'anomaly' ? s.anomaly : null;
  const d = a?.drivers[0];
  out.push(
    a === null
      ? clear('anomaly')
      : anomalyCondition(
          policy,
          a.health,
          a.alarm_health,
          d &&
            `${d.sensor} departs most (${d.feature} ${d.value} vs ${d.expected} expected, ${Math.abs(d.z)} spreads ${d.z > 0 ? 'above' : 'below'})`,
        ),
  );
  return out;
}

/** The body receivers get (webhook), and the work order a CMMS gets (docs/alerts.md maps its fields). */
export function messageOf(row: AlertRow, plant: Plant | null, score: Score | undefined) {
  const alert = viewOf(row);
  const cls = plant?.classes[plant.equipment.find((e) => e.id === row.equipment)?.class ?? ''];
  const mode = score?.failure_by_mode[0];
  const code =
    (mode !== undefined &&
      mode.probability >= 0.2 &&
      cls?.failure_modes.find((m) => m.name === mode.mode)?.code) ||
    row.cause.toUpperCase();
  const due = score?.recommended_action.before ?? null;
  const workOrder = {
    asset: row.equipment,
    functional_location: row.line,
    failure_code: code,
    priority: row.top_tier === 'work_order' ? (row.value >= 0.9 ? 1 : 2) : 3,
    short_text: `${row.cause.replaceAll('_', ' ')} on ${row.equipment}`.slice(0, 40),
    description: row.reason,
    due_by: due,
    requested_window: { start: microsToIso(row.ts), end: due },
    notification_type: 'M2',
    source: 'pdm-engine',
    alert_id: row.alert_id,
    model_version: row.model_version,
    mes: alert.mes,
  };
  return {
    event: `alert.${row.change}`,
    alert,
    work_order: workOrder,
    action: score?.recommended_action ?? null,
  };
}

export interface EvaluateOutcome {
  readonly opened: number;
  readonly escalated: number;
  readonly resolved: number;
  readonly open: number;
}

export class AlertManager {
  private readonly tracker: AlertTracker;
  private policyOf: (equipment: string) => AlertPolicy = () => DEFAULT_ALERT_POLICY;
  private plant: Plant | null = null;
  /** The latest row of every alert this manager holds open (for their next rows). */
  private readonly rows = new Map<string, AlertRow>();

  private constructor(
    private readonly store: Store,
    private readonly deliverer: AlertDeliverer | undefined,
    timeZone: string,
  ) {
    this.tracker = new AlertTracker(
      (e) => this.policyOf(e),
      timeZone,
      () => randomUUID(),
    );
  }

  static async open(store: Store, o: { deliverer?: AlertDeliverer; timeZone?: string } = {}) {
    const m = new AlertManager(store, o.deliverer, o.timeZone ?? 'UTC');
    await m.sync();
    return m;
  }

  /** Takes changes people made over the API (and a restart's open alerts) from the store. */
  async sync(): Promise<void> {
    const open = new Map(this.tracker.openAlerts().map((a) => [a.id, a]));
    for (const r of await latestAlerts(this.store)) {
      const mine = open.get(r.alert_id);
      if (r.state === 'open' || r.state === 'acknowledged') {
        this.rows.set(r.alert_id, r);
        if (mine === undefined)
          this.tracker.restore({
            id: r.alert_id,
            equipment: r.equipment,
            line: r.line,
            cause: r.cause,
            opened_at: r.opened_at,
            group_id: r.group_id,
            state: r.state,
            tier: r.tier,
            top_tier: r.top_tier,
            value: r.value,
            reason: r.reason,
          });
        else mine.state = r.state;
      } else if (mine !== undefined) {
        this.tracker.close(r.equipment, r.cause, r.state === 'suppressed' ? r.until : 0);
        this.rows.delete(r.alert_id);
      } else if (r.state === 'suppressed' && r.until > Date.now() * 1000) {
        this.tracker.close(r.equipment, r.cause, r.until);
      }
    }
  }

  /** One scoring run's scores (and the equipment that went silent), through the policy. */
  async evaluate(
    atMicros: number,
    plant: Plant | null,
    scores: readonly Score[],
    silent: readonly string[] = [],
  ): Promise<EvaluateOutcome> {
    this.plant = plant;
    const classOf = new Map(plant?.equipment.map((e) => [e.id, e.class]) ?? []);
    const lineOf = new Map(plant?.equipment.map((e) => [e.id, e.line]) ?? []);
    this.policyOf = (e) =>
      plant?.classes[classOf.get(e) ?? '']?.alerts ?? plant?.alerts ?? DEFAULT_ALERT_POLICY;
    await this.sync();
    const changes: { change: AlertChange; score: Score | undefined }[] = [];
    // Maintenance since an alert opened resolves it (the work was done): one read for all of them.
    const fixable = this.tracker
      .openAlerts()
      .filter(
        (a) => a.cause === 'failure_risk' || a.cause === 'rul_before_batch_end' || a.cause === 'anomaly',
      );
    if (fixable.length > 0) {
      const { rows } = await query<{ ts: string; equipment: string }>(
        this.store.pool,
        sql('maintenance_range', this.store.tables),
        [microsToIso(Math.min(...fixable.map((a) => a.opened_at))), microsToIso(atMicros)],
      );
      const maintained = new Set(
        fixable
          .filter((a) =>
            rows.some((r) => r.equipment === a.equipment && parseTimestampMicros(r.ts) >= a.opened_at),
          )
          .map((a) => a.equipment),
      );
      for (const e of maintained)
        for (const c of this.tracker.maintained(e)) changes.push({ change: c, score: undefined });
    }
    for (const s of scores) {
      const conds = conditionsOf(s, this.policyOf(s.equipment), atMicros);
      for (const c of this.tracker.observe(atMicros, s.equipment, lineOf.get(s.equipment) ?? '', conds))
        changes.push({ change: c, score: s });
    }
    for (const e of silent) {
      const cond: Condition = {
        cause: 'silent',
        active: true,
        clear: false,
        tier: 'info',
        value: 1,
        reason: `${e} sent no readings in the last 24 h: nothing can be forecast for it`,
      };
      for (const c of this.tracker.observe(atMicros, e, lineOf.get(e) ?? '', [cond]))
        changes.push({ change: c, score: undefined });
    }
    await this.record(atMicros, changes);
    return {
      opened: changes.filter((c) => c.change.kind === 'opened').length,
      escalated: changes.filter((c) => c.change.kind === 'escalated').length,
      resolved: changes.filter((c) => c.change.kind === 'resolved').length,
      open: this.tracker.openAlerts().length,
    };
  }

  private rowOf(
    at: number,
    a: OpenAlert,
    change: AlertRow['change'],
    state: AlertState,
    s?: Score,
  ): AlertRow {
    const prev = this.rows.get(a.id);
    return {
      // After the alert's last change, whoever made it (a person's clock may run ahead of the scoring instant).
      ts: prev === undefined ? at : Math.max(at, prev.ts + 1),
      alert_id: a.id,
      change,
      state,
      equipment: a.equipment,
      line: a.line,
      cause: a.cause,
      tier: a.tier,
      top_tier: a.top_tier,
      group_id: a.group_id,
      opened_at: a.opened_at,
      until: NaN,
      value: a.value,
      reason: a.reason,
      model_version: s?.failure?.version ?? s?.failure?.model ?? prev?.model_version ?? null,
      order_id: s?.mes?.order_id ?? prev?.order_id ?? null,
      batch_id: s?.mes?.batch_id ?? prev?.batch_id ?? null,
      product: s?.mes?.product ?? prev?.product ?? null,
      actor: 'engine',
      note: null,
    };
  }

  private async record(at: number, changes: readonly { change: AlertChange; score: Score | undefined }[]) {
    const rows: AlertRow[] = [];
    const messages: Parameters<AlertDeliverer['enqueue']>[0][number][] = [];
    const dropped: string[] = [];
    // Rows of one alert at one instant get distinct times (the table's key is time, id and change).
    let tick = 0;
    for (const { change: c, score } of changes) {
      const a = c.alert;
      const ts = at + tick++;
      if (c.kind === 'resolved') {
        const row = {
          ...this.rowOf(ts, a, 'resolved', 'resolved', score),
          note:
            c.by === 'maintenance'
              ? 'resolved by a maintenance'
              : 'resolved: the risk fell below its clear level',
        };
        rows.push(row);
        this.rows.delete(a.id);
        dropped.push(a.id);
        continue;
      }
      const row = this.rowOf(ts, a, c.kind, a.state, score);
      rows.push(row);
      this.rows.set(a.id, row);
      const body = messageOf(row, this.plant, score);
      if (c.notifyAt !== null)
        for (const target of ['webhook', 'mqtt'] as const)
          messages.push({
            id: `${a.id}.${c.kind}.${target}`,
            alertId: a.id,
            target,
            dueAt: c.notifyAt,
            payload: body,
          });
      if (a.top_tier === 'work_order' && (c.kind === 'escalated' || a.tier === 'work_order'))
        messages.push({
          id: `${a.id}.work_order`,
          alertId: a.id,
          target: 'work_order',
          dueAt: ts,
          payload: body,
        });
    }
    await writeAlertRows(this.store, rows);
    if (this.deliverer !== undefined) {
      await this.deliverer.enqueue(messages);
      for (const id of dropped) await this.deliverer.drop(id, ['webhook', 'mqtt']);
    }
  }
}

export type AlertAction = 'acknowledge' | 'resolve' | 'suppress';

/**
 * A person's change to an alert: acknowledge (it stays open), resolve, or suppress until a time.
 * Returns the alert as it now is, `null` when there is no such alert, or `{ conflict }` when the
 * change does not apply to its state.
 */
export async function actOnAlert(
  store: Store,
  id: string,
  action: AlertAction,
  by: { actor: string; note?: string | null; until?: number },
  nowMicros = Date.now() * 1000,
): Promise<AlertView | null | { conflict: string }> {
  const history = await alertHistory(store, id);
  const last = history[history.length - 1];
  if (last === undefined) return null;
  if (last.state === 'resolved' || last.state === 'suppressed')
    return {
      conflict: `alert ${id} is ${last.state} (${microsToIso(last.ts)}, by ${last.actor}): nothing to ${action}`,
    };
  if (action === 'acknowledge' && last.state === 'acknowledged')
    return { conflict: `alert ${id} was acknowledged already (${microsToIso(last.ts)}, by ${last.actor})` };
  const state: AlertState =
    action === 'acknowledge' ? 'acknowledged' : action === 'resolve' ? 'resolved' : 'suppressed';
  const row: AlertRow = {
    ...last,
    ts: Math.max(nowMicros, last.ts + 1),
    change: state,
    state,
    until: action === 'suppress' ? (by.until ?? NaN) : NaN,
    actor: by.actor,
    note: by.note ?? null,
  };
  await writeAlertRows(store, [row]);
  return viewOf(row);
}
