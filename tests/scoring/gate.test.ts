import { describe, expect, it } from 'vitest';
import { ErrorCodes, isPdmError } from '../../src/errors.ts';
import { Gate } from '../../src/scoring/gate.ts';

/** A task that ends when told, recording how many ran at once. */
function tasks() {
  let now = 0;
  let peak = 0;
  const release: (() => void)[] = [];
  const task = (): Promise<number> => {
    now++;
    peak = Math.max(peak, now);
    return new Promise<number>((resolve) =>
      release.push(() => {
        now--;
        resolve(1);
      }),
    );
  };
  return { task, release, peak: () => peak, now: () => now };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('the gate of scores that read a stored window', () => {
  it('runs at most its concurrency, queues up to its limit, then refuses with 503 and Retry-After', async () => {
    const gate = new Gate(2, 3);
    const t = tasks();
    const admitted = Array.from({ length: 5 }, () => gate.run(t.task, true));
    await tick();
    expect(t.now()).toBe(2);
    expect(gate.stats).toEqual({ running: 2, waiting: 3 });
    let refused: unknown;
    await gate.run(t.task, true).catch((e: unknown) => (refused = e));
    expect(isPdmError(refused, ErrorCodes.SCORING_BUSY)).toBe(true);
    expect((refused as { detail: Record<string, unknown> }).detail).toMatchObject({
      status: 503,
      retryAfter: 1,
    });
    // Without shedding (a job), it waits its turn instead.
    const job = gate.run(t.task, false);
    while (t.now() > 0 || t.release.length > 0) {
      t.release.shift()?.();
      await tick();
    }
    expect(await Promise.all([...admitted, job])).toEqual([1, 1, 1, 1, 1, 1]);
    expect(t.peak()).toBe(2);
    expect(gate.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the slot of a failed run', async () => {
    const gate = new Gate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('query failed')), true)).rejects.toThrow(
      'query failed',
    );
    expect(await gate.run(() => Promise.resolve(7), true)).toBe(7);
    expect(gate.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('drops a waiting score whose client has gone: it never runs, and the next waiter takes the slot', async () => {
    const gate = new Gate(1, 4);
    const t = tasks();
    const ran: string[] = [];
    const named = (name: string) => () => {
      ran.push(name);
      return t.task();
    };
    const first = gate.run(named('first'), true);
    const left = new AbortController();
    const gone = gate.run(named('gone'), true, left.signal);
    const stays = gate.run(named('stays'), true, new AbortController().signal);
    await tick();
    expect(gate.stats).toEqual({ running: 1, waiting: 2 });
    left.abort();
    let error: unknown;
    await gone.catch((e: unknown) => (error = e));
    expect(isPdmError(error, ErrorCodes.CLIENT_GONE)).toBe(true);
    expect((error as { detail: Record<string, unknown> }).detail).toMatchObject({ status: 499 });
    expect(gate.stats).toEqual({ running: 1, waiting: 1 });
    while (t.now() > 0 || t.release.length > 0) {
      t.release.shift()?.();
      await tick();
    }
    expect(await Promise.all([first, stays])).toEqual([1, 1]);
    expect(ran).toEqual(['first', 'stays']);
    expect(gate.stats).toEqual({ running: 0, waiting: 0 });
    // A client already gone is not queued at all.
    const aborted = new AbortController();
    aborted.abort();
    await expect(gate.run(named('late'), true, aborted.signal)).rejects.toMatchObject({
      code: ErrorCodes.CLIENT_GONE,
    });
    expect(ran).toEqual(['first', 'stays']);
  });
});
