/**
 * The alert replay as it was written before `prepareReplay` (one pass over series of condition
 * objects, each instant looking up the failure or maintenance before it): the reference the
 * prepared replay is tested against. Test code only.
 */
import type { FailureEvent } from '../../features/index.ts';
import { AlertTracker } from '../../pipelines/alert-policy.ts';
import type { AlertTier } from '../../pipelines/alert-policy.ts';
import { judgeAlerts } from '../../pipelines/alert-replay.ts';
import type { AlertReplay, ConditionAt, ReplayOptions } from '../../pipelines/alert-replay.ts';

interface Interval {
  readonly equipment: string;
  readonly opened: number;
  closed: number;
  topTier: AlertTier;
  notified: number;
}

const round = (v: number, d = 3) => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

export function referenceReplay(
  series: Map<string, ConditionAt[]>,
  failures: readonly FailureEvent[],
  o: ReplayOptions,
): AlertReplay {
  const H = o.horizonHours * 3.6e9;
  const spans = new Map<string, { from: number; to: number }>();
  let instants = 0;
  for (const [equipment, list] of series) {
    list.sort((x, y) => x.ts - y.ts);
    instants += list.length;
    spans.set(equipment, {
      from: (list[0] as ConditionAt).ts,
      to: (list[list.length - 1] as ConditionAt).ts,
    });
  }
  const months = [...spans.values()].reduce((s, x) => s + (x.to - x.from), 0) / (30 * 86400e6);
  const tracker = new AlertTracker(o.policyOf, o.timeZone);
  const policyIntervals: Interval[] = [];
  const rawIntervals: Interval[] = [];
  for (const [equipment, list] of series) {
    const line = o.lineOf(equipment);
    const fails = failures.filter((f) => f.equipment === equipment).map((f) => f.ts);
    const works = o.maintenance?.get(equipment) ?? [];
    const openById = new Map<string, Interval>();
    let raw: Interval | null = null;
    let prev = -Infinity;
    for (const s of list) {
      // A failure (repaired) or a maintenance since the last instant: what was open on it resolves.
      const failed = fails.find((f) => f > prev && f <= s.ts);
      const worked = works.find((m) => m > prev && m <= s.ts);
      const at = Math.min(failed ?? Infinity, worked ?? Infinity);
      if (at < Infinity) {
        for (const c of tracker.maintained(equipment)) {
          const iv = openById.get(c.alert.id);
          if (iv) iv.closed = at;
          openById.delete(c.alert.id);
        }
        if (raw !== null) raw.closed = at;
        raw = null;
      }
      prev = s.ts;
      const cond = s.condition;
      for (const c of tracker.observe(s.ts, equipment, line, [cond])) {
        if (c.kind === 'opened') {
          const iv: Interval = {
            equipment,
            opened: s.ts,
            closed: Infinity,
            topTier: c.alert.tier,
            notified: c.notifyAt === null ? 0 : 1,
          };
          openById.set(c.alert.id, iv);
          policyIntervals.push(iv);
        } else if (c.kind === 'escalated') {
          const iv = openById.get(c.alert.id);
          if (iv) {
            iv.topTier = c.alert.top_tier;
            if (c.notifyAt !== null) iv.notified++;
          }
        } else {
          const iv = openById.get(c.alert.id);
          if (iv) iv.closed = s.ts;
          openById.delete(c.alert.id);
        }
      }
      // The raw threshold: open while active, close at the first instant it is not.
      if (cond.active && raw === null) {
        raw = { equipment, opened: s.ts, closed: Infinity, topTier: o.rawTier ?? cond.tier, notified: 1 };
        rawIntervals.push(raw);
      } else if (!cond.active && raw !== null) {
        raw.closed = s.ts;
        raw = null;
      }
    }
    // Still open at the end of the test: open until then (a failure after it still counts).
    for (const iv of openById.values()) iv.closed = spans.get(equipment)?.to ?? iv.opened;
    if (raw !== null) raw.closed = spans.get(equipment)?.to ?? raw.opened;
    for (const a of tracker.openAlerts().filter((x) => x.equipment === equipment))
      tracker.close(a.equipment, a.cause);
  }
  return {
    equipment: spans.size,
    equipment_months: round(months),
    test_instants: instants,
    policy: judgeAlerts(policyIntervals, failures, spans, H, months),
    raw_threshold: judgeAlerts(rawIntervals, failures, spans, H, months),
  };
}
