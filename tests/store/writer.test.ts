import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writer, query, sensorSetOf, waitForWal } from '../../src/store/index.ts';
import type { Store, TableLayout } from '../../src/store/index.ts';
import { isPdmError } from '../../src/errors.ts';
import { openTestStore, testConfig } from '../helpers/store.ts';

const T0 = Date.UTC(2024, 0, 1) * 1000;

async function rowsOf(store: Store, table: string) {
  await waitForWal(store.pool, store.tables, table);
  const { rows } = await query<{
    ts: string;
    equipment: string;
    vibration_rms: number | null;
    torque: number | null;
  }>(store.pool, `SELECT ts, equipment, vibration_rms, torque FROM ${table} ORDER BY ts, equipment`);
  return rows;
}

/** An HTTP proxy to QuestDB that, for the first `failures` requests, forwards the request (so the
 * server stores it) and then drops the connection instead of answering: the worst case for retries. */
async function lossyProxy(
  target: number,
  failures: number,
): Promise<{ port: number; close(): Promise<void>; seen(): number }> {
  let seen = 0;
  const server = http.createServer((req, res) => {
    const n = ++seen;
    const upstream = http.request(
      { host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        if (n <= failures) {
          up.resume();
          up.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen: () => seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('Writer', () => {
  let store: Store;
  let layout: TableLayout;
  beforeAll(async () => {
    store = await openTestStore('writer');
    layout = { table: store.tables.telemetry, symbols: ['equipment'], doubles: ['vibration_rms', 'torque'] };
  });
  afterAll(async () => store?.close());

  it('writes every row across batch boundaries; NaN becomes NULL', async () => {
    const table = store.tables.telemetry;
    const writer = await Writer.open(store.config.questdb, store.config.ingest, layout, { batchRows: 7 });
    for (let i = 0; i < 50; i++)
      await writer.append(T0 + i * 1000, [i % 2 ? 'a' : 'b'], [i, i % 5 === 0 ? NaN : -i]);
    await writer.close();
    expect(writer.stats).toMatchObject({ rowsAppended: 50, rowsAcknowledged: 50, batches: 8, retries: 0 });
    const rows = await rowsOf(store, table);
    expect(rows).toHaveLength(50);
    expect(rows[0]).toEqual({
      ts: '2024-01-01 00:00:00.000000',
      equipment: 'b',
      vibration_rms: 0,
      torque: null,
    });
    expect(rows[49]?.torque).toBe(-49);
  });

  it('appendBlock and append store the same rows, across batch boundaries, on both writers', async () => {
    const { ParallelWriter } = await import('../../src/store/index.ts');
    const n = 53;
    const ts = new Float64Array(n).map((_, i) => T0 + 7_200_000_000 + i * 1000);
    const dbl = new Float64Array(2 * n).map((_, k) => (k % 7 === 0 ? NaN : k * 0.5));
    const bySymbol = async (eq: string) =>
      (await rowsOf(store, store.tables.telemetry))
        .filter((r) => r.equipment === eq)
        .map(({ ts: t, vibration_rms, torque }) => ({ t, vibration_rms, torque }));
    const one = await Writer.open(store.config.questdb, store.config.ingest, layout, { batchRows: 7 });
    for (let i = 0; i < n; i++) await one.append(ts[i]!, ['rows'], dbl.subarray(2 * i, 2 * i + 2));
    await one.close();
    const block = await Writer.open(store.config.questdb, store.config.ingest, layout, { batchRows: 7 });
    // A block that starts mid-batch: a plain row first, then the rest of the rows at once.
    await block.append(ts[0]!, ['block'], dbl.subarray(0, 2));
    await block.appendBlock(n - 1, ts.subarray(1), ['block'], dbl.subarray(2));
    await block.close();
    expect(block.stats).toMatchObject({ rowsAppended: n, rowsAcknowledged: n });
    const parallel = await ParallelWriter.open(
      store.config.questdb,
      { ...store.config.ingest, batchRows: 7 },
      layout,
      2,
    );
    await parallel.appendBlock(n, ts, ['parallel'], dbl);
    await parallel.close();
    const expected = await bySymbol('rows');
    expect(expected).toHaveLength(n);
    expect(await bySymbol('block')).toEqual(expected);
    expect(await bySymbol('parallel')).toEqual(expected);
  });

  it('resends a batch the server stored but never acknowledged, without duplicating it', async () => {
    const proxy = await lossyProxy(store.config.questdb.httpPort, 1);
    const cfg = { ...store.config.questdb, httpPort: proxy.port };
    const writer = await Writer.open(cfg, store.config.ingest, layout, {
      flushTimeoutMs: 5000,
      maxRetries: 3,
    });
    for (let i = 0; i < 10; i++) await writer.append(T0 + 3_600_000_000 + i, ['resent'], [i, i]);
    await writer.close();
    await proxy.close();
    expect(proxy.seen()).toBeGreaterThanOrEqual(2);
    const rows = (await rowsOf(store, store.tables.telemetry)).filter((r) => r.equipment === 'resent');
    expect(rows.map((r) => r.vibration_rms)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('puts its own deadline on a flush that never settles, and fails with a clear error', async () => {
    // Accepts connections and never answers: the client alone would wait for its request timeout.
    const sockets: net.Socket[] = [];
    const blackHole = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const cfg = { ...testConfig().questdb, httpPort: (blackHole.address() as net.AddressInfo).port };
    const writer = await Writer.open(cfg, store.config.ingest, layout, {
      flushTimeoutMs: 300,
      maxRetries: 1,
    });
    await writer.append(T0, ['x'], [1, 1]);
    const started = Date.now();
    const err = await writer.close().catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_WRITE_FAILED')).toBe(true);
    // Whichever fires first, the client's request timeout or our deadline, the batch fails loudly.
    expect(String((err as Error).message)).toMatch(
      /failed after 2 attempt\(s\): (HTTP request timeout|.*did not settle)/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => blackHole.close(resolve));
  });

  it('puts a deadline on a flush while the server refuses connections (the client never settles)', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve)); // now nothing listens there
    const cfg = { ...testConfig().questdb, httpPort: port };
    const writer = await Writer.open(cfg, store.config.ingest, layout, {
      flushTimeoutMs: 400,
      maxRetries: 1,
    });
    await writer.append(T0, ['x'], [1, 1]);
    const started = Date.now();
    const err = await writer.close().catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_WRITE_FAILED')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not retry a batch the server rejects as bad, and says why', async () => {
    // vibration_rms is a DOUBLE: text into it is a cast error the server answers with 400.
    const bad: TableLayout = {
      table: store.tables.telemetry,
      symbols: [],
      doubles: [],
      strings: ['vibration_rms'],
    };
    const writer = await Writer.open(store.config.questdb, store.config.ingest, bad, { maxRetries: 3 });
    await writer.append(T0, [], [], [], [], ['abc']);
    const err = await writer.close().catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_WRITE_FAILED')).toBe(true);
    expect(String((err as Error).message)).toMatch(/after 1 attempt\(s\).*statusCode=400/);
    expect(writer.stats.retries).toBe(0);
  });

  it('refuses invalid timestamps and column names up front', async () => {
    const writer = await Writer.open(store.config.questdb, store.config.ingest, layout);
    await expect(writer.append(1.5, ['x'], [1, 1])).rejects.toThrow(/Invalid timestamp/);
    await writer.close();
    await expect(
      Writer.open(store.config.questdb, store.config.ingest, {
        table: store.tables.telemetry,
        symbols: ['Bad Name'],
        doubles: [],
      }),
    ).rejects.toThrow(/Invalid column name/);
  });
});

describe('readings of different sensors are independent', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('sensor_sets');
  });
  afterAll(async () => store?.close());

  it('two sources writing other sensors of one machine at the same instants, in both orders, keep both; re-sends change nothing', async () => {
    const t = store.tables.telemetry;
    const write = async (equipment: string, sensors: string[], offset: number) => {
      const w = await Writer.open(store.config.questdb, store.config.ingest, {
        table: t,
        symbols: ['equipment'],
        doubles: sensors,
        readings: true,
      });
      for (let i = 0; i < 100; i++)
        await w.append(
          T0 + i * 1e6,
          [equipment],
          sensors.map((_, j) => offset + i + j),
        );
      await w.close();
    };
    // Order A then B on one machine, B then A on another, then every source again (a re-send).
    await write('m1', ['flow', 'pressure'], 0);
    await write('m1', ['torque'], 1000);
    await write('m2', ['torque'], 1000);
    await write('m2', ['flow', 'pressure'], 0);
    await write('m1', ['flow', 'pressure'], 0);
    await write('m2', ['torque'], 1000);
    await waitForWal(store.pool, store.tables, t);
    const { rows } = await query<{
      equipment: string;
      flows: string;
      pressures: string;
      torques: string;
      n: string;
      flow_sum: number;
      torque_sum: number;
    }>(
      store.pool,
      `SELECT equipment, count(flow) flows, count(pressure) pressures, count(torque) torques, count() n, sum(flow) flow_sum, sum(torque) torque_sum FROM ${t} GROUP BY equipment ORDER BY equipment`,
    );
    for (const r of rows) {
      expect([Number(r.flows), Number(r.pressures), Number(r.torques), Number(r.n)], r.equipment).toEqual([
        100, 100, 100, 200,
      ]);
      expect(r.flow_sum).toBe((99 * 100) / 2);
      expect(r.torque_sum).toBe(100 * 1000 + (99 * 100) / 2);
    }
    expect(rows.map((r) => r.equipment)).toEqual(['m1', 'm2']);
  }, 60_000);

  it('names a set by its sensors, whatever their order', () => {
    expect(sensorSetOf(['b', 'a'])).toBe(sensorSetOf(['a', 'b']));
    expect(sensorSetOf(['a'])).not.toBe(sensorSetOf(['a', 'b']));
    expect(sensorSetOf(['a', 'b'])).toMatch(/^ss_[0-9a-f]{12}$/);
  });
});

describe('ParallelWriter', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('parallel_writer');
  });
  afterAll(async () => store?.close());

  it('spreads batches over workers and writes every row exactly once', async () => {
    const { ParallelWriter } = await import('../../src/store/index.ts');
    const layout: TableLayout = {
      table: store.tables.telemetry,
      symbols: ['equipment'],
      doubles: ['vibration_rms', 'torque'],
    };
    const w = await ParallelWriter.open(
      store.config.questdb,
      { ...store.config.ingest, batchRows: 1000 },
      layout,
      2,
    );
    for (let i = 0; i < 10_500; i++)
      await w.append(T0 + i * 1000, [`p${i % 3}`], [i, i % 11 === 0 ? NaN : 1]);
    await w.close();
    expect(w.stats).toMatchObject({ rowsAppended: 10_500, rowsAcknowledged: 10_500, batches: 11 });
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    const { rows } = await query<{ n: string; s: number; nulls: string }>(
      store.pool,
      `SELECT count() n, sum(vibration_rms) s, sum(CASE WHEN torque IS NULL THEN 1 ELSE 0 END) nulls FROM ${store.tables.telemetry}`,
    );
    expect(Number(rows[0]?.n)).toBe(10_500);
    expect(rows[0]?.s).toBe((10_499 * 10_500) / 2);
    expect(Number(rows[0]?.nulls)).toBe(Math.ceil(10_500 / 11));
  }, 60_000);

  it('reports a batch the server refuses, naming the table', async () => {
    const { ParallelWriter } = await import('../../src/store/index.ts');
    const bad: TableLayout = {
      table: store.tables.telemetry,
      symbols: [],
      doubles: [],
      strings: ['vibration_rms'],
    };
    const w = await ParallelWriter.open(
      store.config.questdb,
      { ...store.config.ingest, batchRows: 10 },
      bad,
      2,
    );
    await w.append(T0, [], [], [], [], ['abc']);
    const err = await w.close().catch((e: unknown) => e);
    expect(isPdmError(err, 'PDM_ERR_WRITE_FAILED')).toBe(true);
    expect(String((err as Error).message)).toContain(store.tables.telemetry);
  }, 60_000);

  it('fails the ingestion with a clear error when a worker dies, instead of waiting forever', async () => {
    const { ParallelWriter } = await import('../../src/store/index.ts');
    const layout: TableLayout = {
      table: store.tables.telemetry,
      symbols: ['equipment'],
      doubles: ['torque'],
    };
    const w = await ParallelWriter.open(
      store.config.questdb,
      { ...store.config.ingest, batchRows: 100 },
      layout,
      2,
    );
    // A worker killed from outside (as an out-of-memory or a crash would end it).
    const slots = (w as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
    await slots[0]!.worker.terminate();
    const t0 = performance.now();
    const err = await (async () => {
      for (let i = 0; i < 1000; i++) await w.append(T0 + i * 1000, ['dead'], [i]);
      await w.close();
    })().catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(isPdmError(err, 'PDM_ERR_WRITE_FAILED')).toBe(true);
    expect(String((err as Error).message)).toMatch(/worker 1 of 2 .* died/);
    await w.close().catch(() => {});
  }, 60_000);
});
