/**
 * Where maintenance fits in the schedule: the first gap between the running batch and the planned
 * ones that is at least as long as the maintenance and ends before the predicted failure's
 * pessimistic time. Batches are busy from their start to their end: the reported end, else the
 * planned end the MES gave, else the median duration of that product on that equipment (a batch
 * is never taken to last no time). When no gap fits, the answer says when to stop at the latest
 * and which batch that interrupts.
 */

export interface BusySpan {
  readonly batch_id: string;
  /** µs */
  readonly start: number;
  /** µs; resolved (see batchEnd) */
  readonly end: number;
}

export type WindowAnswer =
  | { readonly window: { readonly start: number; readonly end: number }; readonly stop: null }
  | {
      readonly window: null;
      /** No gap before the predicted failure: stop by this time (µs) so maintenance ends before it. */
      readonly stop: { readonly at: number; readonly interrupts: string | null; readonly reason: string };
    };

/**
 * A batch's end for planning: the reported end, else its planned end, else its start plus the
 * median duration of the product on the equipment (`typicalMicros`), else NaN.
 */
export function batchEnd(b: {
  start: number;
  endedAt: number;
  plannedEnd: number;
  typicalMicros: number;
}): number {
  if (b.endedAt === b.endedAt) return b.endedAt;
  if (b.plannedEnd === b.plannedEnd) return b.plannedEnd;
  return b.typicalMicros === b.typicalMicros ? b.start + b.typicalMicros : NaN;
}

/** Median of durations (µs), NaN when none. */
export function medianDuration(durations: readonly number[]): number {
  const d = durations.filter((v) => v > 0).sort((a, b) => a - b);
  if (d.length === 0) return NaN;
  const m = d.length >> 1;
  return d.length % 2 === 1 ? (d[m] as number) : ((d[m - 1] as number) + (d[m] as number)) / 2;
}

const iso = (micros: number) => new Date(micros / 1000).toISOString().replace('.000Z', 'Z');

export function maintenanceWindow(
  atMicros: number,
  busy: readonly BusySpan[],
  failAtMicros: number,
  windowMicros: number,
): WindowAnswer {
  // A span with no known end blocks everything after its start.
  const spans = busy
    .map((b) => ({ ...b, end: b.end === b.end ? b.end : Infinity }))
    .filter((b) => b.end > atMicros)
    .sort((a, b) => a.start - b.start);
  let cursor = atMicros;
  for (const b of spans) {
    if (b.start - cursor >= windowMicros && cursor + windowMicros <= failAtMicros)
      return { window: { start: cursor, end: cursor + windowMicros }, stop: null };
    cursor = Math.max(cursor, b.end);
    if (cursor + windowMicros > failAtMicros) break;
  }
  if (cursor + windowMicros <= failAtMicros)
    return { window: { start: cursor, end: cursor + windowMicros }, stop: null };
  // No gap: stop in time for the maintenance to end at the pessimistic failure time (or now).
  const stopAt = Math.max(atMicros, failAtMicros - windowMicros);
  // The batch the stop cuts into: the first one busy during the maintenance.
  const hit = spans.find((b) => b.start < stopAt + windowMicros && b.end > stopAt) ?? null;
  return {
    window: null,
    stop: {
      at: stopAt,
      interrupts: hit?.batch_id ?? null,
      reason:
        `no gap of ${(windowMicros / 3.6e9).toFixed(1)} h before the predicted failure (${iso(failAtMicros)}): ` +
        `stop at ${iso(stopAt)}${hit === null ? '' : `, interrupting batch ${hit.batch_id}`}`,
    },
  };
}
