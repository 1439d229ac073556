/**
 * Runs the plant: a backfill of history as fast as the sink accepts it, optionally followed by a
 * live stream (real time x speed). Time-major in steps (an hour in backfill, `speed` seconds a
 * tick live), machine by machine within a step, so each table receives rows close to time order
 * and memory holds one machine-step of readings at a time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { clearEventLog, newEventLog } from './events.ts';
import { Machine, newCounters } from './machine.ts';
import type { MachineCounters } from './machine.ts';
import { buildPlant, MODES } from './plant.ts';
import type { EquipmentSpec, FailureMode } from './plant.ts';
import type { SimSink } from './sink.ts';
import type { PlantState } from './plant-state.ts';

export interface SimulateOptions {
  readonly equipment: number;
  readonly days: number;
  readonly seed: number;
  /** Epoch seconds where history starts (default: `days` before the current hour). */
  readonly start?: number;
  readonly sampleSeconds?: number;
  /** After the backfill, keep streaming in real time until `signal` aborts. */
  readonly live?: boolean;
  /** Simulated seconds per wall-clock second in live mode (default 1). */
  readonly speed?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: SimProgress) => void;
  /** Wall clock in epoch ms (tests pass a fixed one). */
  readonly now?: () => number;
  /**
   * Simulate but do not send anything before this time (epoch s): a restart replays the plant's
   * deterministic history to rebuild its state, then continues where the stored data ends.
   */
  readonly replayUntil?: number;
  /** Called once when the live stream has caught up with the wall clock. */
  readonly onLive?: () => void;
  /**
   * A state an earlier run of the same plant saved (`onState`): the machines continue from it
   * instead of simulating from `start`. Used only if it is this run's (seed, start, machines,
   * sampling) and, with `replayUntil`, no later than it; otherwise the run starts from `start`
   * as without it. `onResume` says which.
   */
  readonly resume?: PlantState;
  readonly onResume?: (r: { at: number } | { reason: string }) => void;
  /**
   * The plant's state at every hour of the run's grid (start + k h) it passes, once every
   * machine has simulated up to it: what `resume` takes.
   */
  readonly onState?: (s: PlantState) => void;
}

export interface SimProgress {
  readonly simulatedS: number;
  readonly totalS: number;
  readonly readings: number;
  readonly live: boolean;
}

export interface SimSummary {
  readonly seed: number;
  readonly start: string;
  readonly end: string;
  readonly equipment: number;
  readonly readings: number;
  readonly duplicates_sent: number;
  readonly late_sent: number;
  readonly failures: Record<FailureMode, number>;
  readonly failures_total: number;
  readonly preventive: number;
  readonly batches: number;
  readonly batches_aborted: number;
  readonly orders: number;
  readonly quality: number;
  readonly burst_samples: number;
  readonly duration_s: number;
  readonly readings_per_s: number;
}

const HOUR = 3600;

export function defaultStart(days: number, nowMs: number): number {
  return Math.floor(nowMs / 1000 / HOUR) * HOUR - Math.round(days * 86_400);
}

function total(machines: readonly Machine[]): MachineCounters {
  const sum: MachineCounters = newCounters();
  for (const m of machines) {
    const c = m.counters;
    sum.readings += c.readings;
    sum.duplicates += c.duplicates;
    sum.late += c.late;
    for (const mode of MODES) sum.failures[mode] += c.failures[mode];
    sum.preventive += c.preventive;
    sum.batchesDone += c.batchesDone;
    sum.batchesAborted += c.batchesAborted;
    sum.orders += c.orders;
    sum.quality += c.quality;
    sum.burstSamples += c.burstSamples;
  }
  return sum;
}

/** Why `s` cannot resume this run (undefined: it can). */
function cannotResume(
  s: PlantState,
  seed: number,
  start: number,
  specs: readonly EquipmentSpec[],
  replayUntil: number,
): string | undefined {
  const at = (t: number) => new Date(t * 1000).toISOString();
  if (s.seed !== seed) return `it is of seed ${s.seed}, not ${seed}`;
  if (s.start !== start) return `its plant started at ${at(s.start)}, not ${at(start)}`;
  const ids = specs.map((e) => e.id).join(',');
  if (s.machines.map((m) => m.id).join(',') !== ids) return "its machines are not this plant's";
  if (s.sampleSeconds !== (specs[0]?.sampleSeconds ?? 0))
    return `it samples every ${s.sampleSeconds} s, not ${specs[0]?.sampleSeconds} s`;
  if (!(s.at >= start) || (s.at - start) % HOUR !== 0) return `it is not at an hour of the run (${s.at})`;
  if (s.at > replayUntil && replayUntil !== -Infinity)
    return `it is from ${at(s.at)}, after the stored history's last hour (${at(replayUntil)})`;
  return undefined;
}

export async function simulate(sink: SimSink, options: SimulateOptions): Promise<SimSummary> {
  const now = options.now ?? Date.now;
  if (!(options.equipment >= 1) || !Number.isInteger(options.equipment))
    throw new Error('equipment must be a positive integer');
  if (!(options.days >= 0)) throw new Error('days must be >= 0');
  const started = performance.now();
  const start = options.start ?? defaultStart(options.days, now());
  const end = start + Math.round(options.days * 86_400);
  const specs: EquipmentSpec[] = buildPlant({
    equipment: options.equipment,
    seed: options.seed,
    sampleSeconds: options.sampleSeconds,
  });
  let machines = specs.map((s) => new Machine(s, options.seed, start));
  const log = newEventLog();
  const replayUntil = options.replayUntil ?? -Infinity;
  let from = start;
  if (options.resume !== undefined) {
    const why = cannotResume(options.resume, options.seed, start, specs, replayUntil);
    if (why === undefined) {
      try {
        options.resume.machines.forEach((s, i) => machines[i]!.restore(s));
        from = options.resume.at;
        options.onResume?.({ at: from });
      } catch (err) {
        machines = specs.map((s) => new Machine(s, options.seed, start));
        options.onResume?.({ reason: `it does not restore: ${(err as Error).message}` });
      }
    } else options.onResume?.({ reason: why });
  }
  if (replayUntil <= start) await sink.equipment(specs, start * 1e6);

  const step = async (until: number) => {
    const send = until > replayUntil;
    for (const m of machines) {
      m.advance(until, log);
      if (send) {
        await sink.readings(m.spec.id, m.out);
        await sink.events(log);
      }
      m.out.clear();
      clearEventLog(log);
    }
  };
  const progress = (t: number, live: boolean) =>
    options.onProgress?.({
      simulatedS: t - start,
      totalS: end - start,
      readings: total(machines).readings,
      live,
    });

  const onGrid = (t: number) => (t - start) % HOUR === 0;
  const state = (at: number): PlantState => ({
    version: 1,
    seed: options.seed,
    start,
    at,
    sampleSeconds: specs[0]?.sampleSeconds ?? 0,
    machines: machines.map((m) => m.snapshot()),
  });
  /** Steps to `until`, stopping at the hour of the grid it passes, if any, for its state. */
  const stepTo = async (last: number, until: number) => {
    if (options.onState !== undefined) {
      const hour = start + (Math.floor((last - start) / HOUR) + 1) * HOUR;
      if (hour < until) {
        await step(hour);
        options.onState(state(hour));
      }
    }
    await step(until);
    if (options.onState !== undefined && onGrid(until)) options.onState(state(until));
  };

  for (let t = from; t < end;) {
    if (options.signal?.aborted) break;
    const until = Math.min(end, t + HOUR);
    await stepTo(t, until);
    t = until;
    progress(t, false);
  }
  let last = Math.max(end, from);
  if (options.live) {
    const speed = options.speed ?? 1;
    let caughtUp = false;
    // Catch up to the wall clock first (history ended at the start of the hour), then keep pace.
    while (!options.signal?.aborted) {
      const wall = now() / 1000;
      const target = last < wall ? Math.min(wall, last + HOUR) : last + speed;
      await stepTo(last, target);
      await sink.flush();
      last = target;
      progress(last, true);
      if (last >= wall && !caughtUp) {
        caughtUp = true;
        options.onLive?.();
      }
      if (last >= wall) await sleep(1000, undefined, { signal: options.signal }).catch(() => {});
    }
  }
  for (const m of machines) {
    m.flushLate();
    await sink.readings(m.spec.id, m.out);
    m.out.clear();
  }
  await sink.flush();
  const c = total(machines);
  const duration = (performance.now() - started) / 1000;
  return {
    seed: options.seed,
    start: new Date(start * 1000).toISOString(),
    end: new Date(last * 1000).toISOString(),
    equipment: specs.length,
    readings: c.readings,
    duplicates_sent: c.duplicates,
    late_sent: c.late,
    failures: c.failures,
    failures_total: MODES.reduce((s, m) => s + c.failures[m], 0),
    preventive: c.preventive,
    batches: c.batchesDone + c.batchesAborted,
    batches_aborted: c.batchesAborted,
    orders: c.orders,
    quality: c.quality,
    burst_samples: c.burstSamples,
    duration_s: Math.round(duration * 1000) / 1000,
    readings_per_s: Math.round(c.readings / duration),
  };
}
