import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobScheduler, MemoryRunLog } from '../../src/jobs/index.ts';
import type { JobContext, Leadership, SchedulerEvent } from '../../src/jobs/index.ts';

/** A fixed reference time: 2026-03-02 00:02:30 UTC, between two five-minute slots. */
const T0 = Date.UTC(2026, 2, 2, 0, 2, 30);
const MIN = 60_000;

class Switch implements Leadership {
  readonly describe = 'test switch';
  leading = true;
  isLeader() {
    return this.leading;
  }
  async close() {}
}

describe('the job scheduler (fake timers, fixed reference time)', () => {
  let log: MemoryRunLog;
  let leader: Switch;
  let events: SchedulerEvent[];
  let scheduler: JobScheduler;
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
    log = new MemoryRunLog();
    leader = new Switch();
    events = [];
    scheduler = new JobScheduler({ log, leader, onEvent: (e) => events.push(e) });
  });
  afterEach(async () => {
    await scheduler.stop();
    vi.useRealTimers();
  });

  it('runs a job on its cron slots with the slot as its instant, and records each run', async () => {
    const slots: string[] = [];
    scheduler.add({
      name: 'score',
      cron: '*/5 * * * *',
      description: 'test',
      run: async (ctx: JobContext) => {
        slots.push(ctx.at.toISOString());
        return { rows: 3, detail: 'three' };
      },
    });
    scheduler.start();
    expect(scheduler.status()[0]?.next_run).toBe('2026-03-02T00:05:00.000Z');
    await vi.advanceTimersByTimeAsync(12 * MIN);
    expect(slots).toEqual(['2026-03-02T00:05:00.000Z', '2026-03-02T00:10:00.000Z']);
    const runs = await log.recent('score');
    expect(runs.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(runs.every((r) => r.rows === 3 && r.detail === 'three' && r.ended !== null)).toBe(true);
    expect(runs[1]!.started.startsWith('2026-03-02T00:05:00')).toBe(true);
  });

  it('never overlaps a job with itself: a tick during a long run is skipped and reported', async () => {
    let active = 0;
    let maxActive = 0;
    let started = 0;
    scheduler.add({
      name: 'retrain',
      cron: '* * * * *',
      description: 'slow',
      run: async ({ signal }) => {
        started++;
        active++;
        maxActive = Math.max(maxActive, active);
        // 2.5 minutes, or until the scheduler stops (as a long job should)
        await new Promise((r) => {
          const t = setTimeout(r, 150_000);
          signal.addEventListener('abort', () => (clearTimeout(t), r(undefined)));
        });
        active--;
        return { rows: 1 };
      },
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(6 * MIN + 30_000);
    expect(maxActive).toBe(1);
    // Until 00:09:00: slot 00:03 runs until 00:05:30 (00:04, 00:05 skipped), 00:06 runs until
    // 00:08:30 (00:07, 00:08 skipped), 00:09 starts.
    expect(started).toBe(3);
    expect(events.filter((e) => e.type === 'overlap').length).toBe(4);
    expect(events.filter((e) => e.type === 'started').map((e) => ('run' in e ? e.run.started : ''))).toEqual([
      '2026-03-02T00:03:00.000000Z',
      '2026-03-02T00:06:00.000000Z',
      '2026-03-02T00:09:00.000000Z',
    ]);
  });

  it('records a crashed run with its error, and the next run goes on', async () => {
    let n = 0;
    scheduler.add({
      name: 'features',
      cron: '*/5 * * * *',
      description: 'flaky',
      run: async () => {
        if (++n === 1) throw new Error('QuestDB said no');
        return { rows: 7 };
      },
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(8 * MIN);
    const runs = (await log.recent('features')).reverse();
    expect(runs.map((r) => [r.status, r.error, r.rows])).toEqual([
      ['failed', 'QuestDB said no', 0],
      ['ok', null, 7],
    ]);
    expect(events.filter((e) => e.type === 'failed').length).toBe(1);
  });

  it('records a run whose work partly failed as partial, with what failed', async () => {
    scheduler.add({
      name: 'score',
      cron: '*/5 * * * *',
      description: 'some equipment fail',
      run: async () => ({ rows: 5, status: 'partial', error: '1 not scored: press-3: division by zero' }),
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(3 * MIN);
    const [run] = await log.recent('score');
    expect([run?.status, run?.error, run?.rows]).toEqual([
      'partial',
      '1 not scored: press-3: division by zero',
      5,
    ]);
  });

  it('runs scheduled ticks only while leading; a manual run goes regardless', async () => {
    let runs = 0;
    scheduler.add({
      name: 'freshness',
      cron: '* * * * *',
      description: 'counts',
      run: async () => ({ rows: ++runs }),
    });
    leader.leading = false;
    scheduler.start();
    await vi.advanceTimersByTimeAsync(3 * MIN);
    expect(runs).toBe(0);
    expect(events.filter((e) => e.type === 'not-leader').length).toBe(3);
    leader.leading = true;
    await vi.advanceTimersByTimeAsync(2 * MIN);
    expect(runs).toBe(2);
    leader.leading = false;
    const manual = await scheduler.runNow('freshness');
    expect(manual.status).toBe('ok');
    expect(runs).toBe(3);
    await expect(scheduler.runNow('nope')).rejects.toThrow(/no job "nope"; jobs: freshness/);
  });

  it('rejects an invalid cron expression and a job declared twice', () => {
    const run = async () => ({ rows: 0 });
    expect(() => scheduler.add({ name: 'x', cron: 'every minute', description: '', run })).toThrow(
      /not a cron expression/,
    );
    scheduler.add({ name: 'y', cron: '* * * * *', description: '', run });
    expect(() => scheduler.add({ name: 'y', cron: '* * * * *', description: '', run })).toThrow(
      /declared twice/,
    );
  });
});
