import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * How late the event loop ran, in milliseconds: Node's `monitorEventLoopDelay` records the time
 * between the ticks of a timer repeating every `resolution` ms, so an idle loop reads the
 * resolution itself (5 ms here), not zero. The lateness is that interval less the resolution.
 * (Until 2026-12-05 bench:api printed the raw interval: its "event-loop delay" figures of that
 * time are 5 ms more than how late the loop was.)
 */
export function loopLateness(resolutionMs = 5) {
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  const late = (ns: number) => Math.round(Math.max(0, ns / 1e6 - resolutionMs) * 100) / 100;
  return {
    enable: () => h.enable(),
    disable: () => h.disable(),
    /** The p-th percentile of the loop's lateness (ms); NaN before any tick. */
    percentileMs: (p: number) => (h.count === 0 ? NaN : late(h.percentile(p))),
    /** The longest lateness (ms); NaN before any tick. */
    maxMs: () => (h.count === 0 ? NaN : late(h.max)),
  };
}
