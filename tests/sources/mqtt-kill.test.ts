/**
 * The fault test, end to end through the CLI: `pdm simulate --live --publish mqtt` publishes
 * Sparkplug B for 12 machines at 1 s per machine to the real broker, `pdm connect mqtt` stores it,
 * and the worker is killed (SIGKILL: no flush, no acknowledgement) five times at random moments and
 * started again. An independent subscriber records every reading the simulator published; each one
 * must be in QuestDB exactly once.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPlant, validatePlant } from '../../src/plant/index.ts';
import { simulatedPlant } from '../../src/sim/index.ts';
import { decodePayload } from '../../src/sources/index.ts';
import { query, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { forgetSession } from '../helpers/mqtt.ts';
import { openTestStore, testEnv } from '../helpers/store.ts';

const URL = process.env.PDM_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const BIN = path.resolve(import.meta.dirname, '../../bin/pdm.js');
/** A Sparkplug group and client ids of this run only: the broker is shared with everything else. */
const G = `pdmkill${process.pid}x${Date.now() % 1e6}`;
const MACHINES = 12;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child running the CLI; `said(text)` resolves when its output first contains `text`. */
function cli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const look = (d: Buffer) => {
    seen = (seen + d.toString()).slice(-4000);
    for (const w of waiters) if (seen.includes(w.text)) w.resolve();
  };
  child.stdout.on('data', look);
  child.stderr.on('data', look);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    exited,
    output: () => seen,
    said: (text: string) =>
      new Promise<void>((resolve) => {
        if (seen.includes(text)) resolve();
        else waiters.push({ text, resolve });
      }),
  };
}

async function stop(c: ChildProcess, exited: Promise<unknown>, signal: NodeJS.Signals) {
  c.kill(signal);
  await exited;
}

describe('the MQTT source fed by the simulator, its worker killed five times', () => {
  let store: Store | undefined;
  afterAll(async () => {
    await forgetSession(URL, `${G}-worker`);
    await store?.close();
  });

  it('stores every reading the simulator published exactly once', async () => {
    store = await openTestStore('mqttkill');
    await applyPlant(
      store,
      validatePlant({
        ...simulatedPlant({ equipment: MACHINES }),
        mqtt: { sparkplug: { groups: [G] } },
      }),
    );
    const env = testEnv({
      PDM_TABLE_PREFIX: store.tables.telemetry.replace(/telemetry$/, ''),
      PDM_MQTT_URL: URL,
      PDM_MQTT_CLIENT_ID: `${G}-worker`,
      PDM_MQTT_BATCH_MS: '200',
    });

    // What the simulator publishes, as an independent subscriber sees it: device and time of each
    // data message (the simulator re-sends some readings and sends some late, as plants do).
    const published = new Set<string>();
    const firstOf = new Map<string, number>(); // each device's first message: on time, after history
    const watcher = await mqtt.connectAsync(URL, { clientId: `${G}-watch`, protocolVersion: 5 });
    watcher.on('message', (topic, payload) => {
      const device = topic.split('/')[4];
      const ts = Number(decodePayload(payload).timestamp);
      published.add(`${device}|${ts}`);
      if (device !== undefined && !firstOf.has(device)) firstOf.set(device, ts);
    });
    await watcher.subscribeAsync(`spBv1.0/${G}/DDATA/+/+`, { qos: 1 });

    let worker = cli(['connect', 'mqtt'], env);
    await worker.said('mqtt: connected'); // the persistent session exists from here on
    const sim = cli(
      ['simulate', '--live', '--publish', 'mqtt', '--equipment', String(MACHINES), '--sample-seconds', '1'],
      env,
    );
    for (let i = 0; i < 600 && published.size === 0; i++) await sleep(100);
    expect(published.size, sim.output()).toBeGreaterThan(0);

    // Five kills at random moments over about 25 s (different moments every run); a new worker
    // takes the session over each time.
    const gaps = Array.from({ length: 5 }, () => 1500 + Math.random() * 5000);
    const logs: string[] = [];
    for (const gap of gaps) {
      await sleep(gap);
      await stop(worker.child, worker.exited, 'SIGKILL');
      logs.push(worker.output());
      worker = cli(['connect', 'mqtt'], env);
      await worker.said('mqtt: connected');
    }
    await sleep(2000);
    // The simulator stops as a plant's gateway does: late readings sent, deaths, disconnect.
    await stop(sim.child, sim.exited, 'SIGTERM');
    await sleep(500);
    await watcher.endAsync();
    expect(published.size).toBeGreaterThan(MACHINES * 20);

    const tables = store.tables;
    const from = Math.min(...[...published].map((k) => Number(k.split('|')[1])));
    const stored = async () => {
      await waitForWal(store!.pool, tables, tables.telemetry);
      const { rows } = await query<{ equipment: string; ts: string; n: string }>(
        store!.pool,
        `SELECT equipment, cast(ts AS long) ts, count() n FROM ${tables.telemetry}
          WHERE ts >= $1 GROUP BY equipment, ts`,
        [new Date(from).toISOString()],
      );
      return rows;
    };
    let rows = await stored();
    const missing = () => {
      const have = new Set(rows.map((r) => `${r.equipment}|${Number(r.ts) / 1000}`));
      return [...published].filter((k) => !have.has(k));
    };
    for (let i = 0; i < 600 && missing().length > 0; i++) {
      await sleep(100);
      rows = await stored();
    }
    await stop(worker.child, worker.exited, 'SIGTERM');
    rows = await stored();
    logs.push(worker.output());
    expect(missing(), logs.join('\n')).toEqual([]); // 0 lost
    expect(rows.filter((r) => Number(r.n) > 1)).toEqual([]); // 0 stored twice
    // Nothing stored that was not published, from where every device streamed live (the history
    // before it went to QuestDB directly; a late reading may be published with a time inside it).
    const live = Math.max(...firstOf.values());
    expect(firstOf.size).toBe(MACHINES);
    const extra = rows
      .map((r) => `${r.equipment}|${Number(r.ts) / 1000}`)
      .filter((k) => Number(k.split('|')[1]) >= live && !published.has(k));
    expect(extra).toEqual([]);
    // And nothing refused: the simulator's readings are plausible for its plant file.
    await waitForWal(store.pool, tables, tables.events);
    const { rows: refused } = await query<{ detail: string }>(
      store.pool,
      `SELECT detail FROM ${tables.events} WHERE kind = 'mqtt_rejected'`,
    );
    expect(refused).toEqual([]);
  }, 240_000);
});
