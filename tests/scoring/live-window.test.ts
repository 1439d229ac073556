import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveWindows } from '../../src/scoring/live-window.ts';
import { Writer, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';

const SENSORS = ['vibration_rms', 'torque'];

describe('live windows read QuestDB only when the telemetry table changed', () => {
  let store: Store;
  let writer: Writer;
  // Readings an hour old and older, at one a second; the window's clock is the test's.
  const nowMs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const first = (nowMs - 400_000) * 1000;
  const write = async (from: number, count: number, equipment = 'lw-1') => {
    for (let i = 0; i < count; i++) await writer.append(from + i * 1e6, [equipment], [i, -i]);
    await writer.flush();
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
  };
  beforeAll(async () => {
    store = await openTestStore('live-window');
    writer = await Writer.open(store.config.questdb, store.config.ingest, {
      table: store.tables.telemetry,
      symbols: ['equipment'],
      doubles: SENSORS,
    });
    await write(first, 300); // 300 readings, 400 to 101 s before nowMs
  });
  afterAll(async () => {
    await writer?.close();
    await store?.close();
  });

  it('refreshes without a query while nothing was applied, and reads what was', async () => {
    // Every data query of the window takes a connection (a cursor); the WAL count a plain query.
    let cursors = 0;
    const pool = store.pool;
    const counting = new Proxy(pool, {
      get(target, key) {
        if (key === 'connect') cursors++;
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    let clock = nowMs;
    // A 5-minute window: readings leave it as the clock moves on.
    const windows = new LiveWindows({ ...store, pool: counting }, SENSORS, {
      now: () => clock,
      windowMicros: 300e6,
      refreshMs: 200,
    });
    const view0 = await windows.get('lw-1');
    expect(view0?.ts.length).toBe(200); // the first 100 are more than 300 s old: outside the window
    const loaded = cursors;
    // Each step waits for its refresh (more than 5 refresh periods since the last one).
    for (let step = 1; step <= 3; step++) {
      clock += 1_100;
      const view = await windows.get('lw-1');
      // No query for readings: nothing was applied to the table. The oldest readings left.
      expect(cursors - loaded, `step ${step}`).toBe(0);
      expect(view?.ts[0]).toBeGreaterThanOrEqual(clock * 1000 - 300e6);
      expect(view?.lastTs).toBe(first + 299e6);
    }
    // Another machine's reading changes the table: one query, nothing new for lw-1.
    await write(first + 300e6, 1, 'lw-2');
    clock += 1_100;
    expect((await windows.get('lw-1'))?.lastTs).toBe(first + 299e6);
    expect(cursors - loaded).toBe(1);
    // lw-1's own new readings are read at the next refresh.
    await write(first + 300e6, 2);
    clock += 1_100;
    const view = await windows.get('lw-1');
    expect(cursors - loaded).toBe(2);
    expect(view?.lastTs).toBe(first + 301e6);
    expect(Array.from(view!.values[0]!.subarray(-2))).toEqual([0, 1]);
  });
});
