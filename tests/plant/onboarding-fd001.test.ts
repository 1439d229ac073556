/**
 * Onboarding a foreign plant end to end, as docs/onboarding.md walks a user through it, with NASA
 * C-MAPSS FD001 as the plant: its plant file applied, the training file ingested through the
 * generic CSV path (whitespace fields without a header, cycles as hours, ids from a template, a
 * failure at each unit's last cycle given by its ISO 14224 code), then the RUL and failure
 * backtests, training, forecasts and the answers the dashboard's fleet and equipment views read.
 * Nothing on the way knows C-MAPSS: only the plant file and the CLI's generic options do.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../models/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { KeyStore } from '../../src/api/keys.ts';
import { readPlantFile } from '../../src/plant/index.ts';
import { LiveScorer } from '../../src/scoring/scorer.ts';
import { connectStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { isolatedCli, pdm } from '../helpers/cli.ts';
import { cmapssFile } from '../helpers/data.ts';
import { testConfig } from '../helpers/store.ts';

const PLANT_FILE = path.resolve(import.meta.dirname, '../../examples/plants/cmapss-fd001.yaml');
/** A subset of the 100 engines keeps the run short; every step is the one a user runs on all. */
const UNITS = 40;
const ORIGIN = '2024-01-01T00:00:00Z';
const HOUR = 3.6e9;

describe('onboarding NASA C-MAPSS FD001 as a plant, through the generic path only', () => {
  const { dir, prefix, env } = isolatedCli('fd001');
  const plant = readPlantFile(PLANT_FILE);
  // The file's fields, in order: unit, cycle, then the plant file's 24 sensors as NASA lists them.
  const columns = ['unit', 'cycle', ...plant.classes.turbofan!.sensors.map((s) => s.name)];
  /** The generic ingestion of a file laid out as FD001's (docs/onboarding.md, section 3). */
  const ingest = (file: string) => [
    'ingest',
    file,
    ...['--format', 'csv', '--delimiter', 'whitespace', '--columns', columns.join(',')],
    ...['--time-field', 'cycle', '--time-unit', 'cycle', '--cycle-seconds', '3600', '--time-origin', ORIGIN],
    ...['--equipment-field', 'unit', '--equipment-format', 'fd001-%03d'],
  ];
  const lastCycle = new Map<number, number>();
  let subset = '';
  let rows = 0;
  let store: Store;
  let app: FastifyInstance;
  let key = '';

  beforeAll(async () => {
    const text = gunzipSync(readFileSync(cmapssFile('train_FD001.txt.gz'))).toString();
    const lines = text.split('\n').filter((l) => {
      const unit = Number(l.trim().split(/\s+/)[0]);
      if (!(unit >= 1 && unit <= UNITS)) return false;
      lastCycle.set(unit, Math.max(lastCycle.get(unit) ?? 0, Number(l.trim().split(/\s+/)[1])));
      return true;
    });
    rows = lines.length;
    subset = path.join(dir, 'engines.txt');
    writeFileSync(subset, `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('applies the plant file: one class with models of its own, a column per sensor', async () => {
    const r = await pdm(['plant', 'apply', PLANT_FILE, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ ok: true, version: 1, classes: ['turbofan'], equipment: 100 });
    expect(r.json.scopes).toMatchObject([{ name: 'turbofan', classes: ['turbofan'] }]);
    expect(r.json.columns_added).toEqual(expect.arrayContaining(['t24', 'phi', 'w32']));
  });

  it('ingests the training file as telemetry and a failure at each engine’s last cycle', async () => {
    const r = await pdm([...ingest(subset), '--failure-at-last', 'PDE', '--json'], env); // the ISO 14224 code: stored by the plant's mode name
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({
      ok: true,
      table: `${prefix}telemetry`,
      rows_read: rows,
      accepted: rows,
      rejected: 0,
      failures_written: UNITS,
      failure_mode: 'degradation',
    });
    const q = await pdm(
      [
        'query',
        `SELECT ts FROM ${prefix}maintenance WHERE equipment = $1::varchar AND kind = 'failure' AND mode = 'degradation'`,
        '--param',
        'fd001-007',
        '--json',
      ],
      env,
    );
    const at = Date.parse(ORIGIN) + (lastCycle.get(7) as number) * 3600e3;
    expect((q.json.rows as { ts: string }[]).map((x) => Date.parse(`${x.ts.slice(0, 19)}Z`))).toEqual([at]);
  });

  it('refuses a reading outside its plausible range, naming row and field', async () => {
    const bad = path.join(dir, 'bad.txt');
    const first = readFileSync(subset, 'utf8').split('\n')[0]!.trim().split(/\s+/);
    first[columns.indexOf('t24')] = '9999'; // degR: outside [400, 2000]
    writeFileSync(bad, `${first.join(' ')}\n`);
    const r = await pdm([...ingest(bad), '--json'], env);
    expect(r.code).not.toBe(0); // nothing ingested
    expect(r.stderr).toMatch(/row 1, field t24: 9999 is outside the plausible range \[400, 2000\] degR/);
  });

  it('backtests RUL walk-forward: the forest beats mean life, its 10-90 % interval covers', async () => {
    const r = await pdm(['backtest', 'rul', '--cap', '125', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.scope).toBe('turbofan');
    const b = r.json as { rmse_h: number; test_rows: number; baseline: { rmse_h: number } };
    expect(b.test_rows).toBeGreaterThan(100);
    expect(b.rmse_h).toBeGreaterThan(0);
    expect(b.rmse_h).toBeLessThan(b.baseline.rmse_h);
    const cover = r.json.interval_coverage as number;
    expect(cover).toBeGreaterThan(0.6);
  });

  it('backtests failure within 24 h (cycles) walk-forward, with the gate', async () => {
    const r = await pdm(['backtest', 'failure', '--horizon', '24', '--report', dir, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.roc_auc as number).toBeGreaterThan(0.75);
    expect((r.json.gate as { serve: string }).serve).toMatch(/^(model|baseline:.+)$/);
  });

  it('trains and promotes both, named by the scope', async () => {
    for (const args of [
      ['train', 'rul', '--cap', '125', '--trees', '30', '--json'],
      ['train', 'failure', '--horizon', '24', '--trees', '30', '--json'],
    ]) {
      const r = await pdm(args, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json.promoted).toBe('v0001');
      expect(r.json.scope).toBe('turbofan');
    }
  });

  it('scores an engine, forecasts the fleet and serves the equipment view, in the plant’s units', async () => {
    const config = testConfig({ PDM_TABLE_PREFIX: prefix, PDM_MODELS_DIR: env.PDM_MODELS_DIR! });
    store = await connectStore(config, { start: false });
    const registry = new ModelRegistry(config.modelsDir);
    const scorer = await LiveScorer.open(store, registry);
    key = new KeyStore(path.join(dir, 'keys.json')).create('admin').key;
    app = await buildApp({ store, registry, scorer, keys: new KeyStore(path.join(dir, 'keys.json')) });
    const as = { authorization: `Bearer ${key}` };
    // Engine 7, ten cycles before its last one.
    const at = Date.parse(ORIGIN) * 1000 + ((lastCycle.get(7) as number) - 10) * HOUR;
    const iso = new Date(at / 1000).toISOString();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as,
      payload: { equipment: 'fd001-007', at: iso },
    });
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    expect(s.status, JSON.stringify(s.insufficient)).toBe('ok');
    expect(s.rul.version).toBe('turbofan.rul-125h@v0001');
    expect(s.rul.low).toBeLessThanOrEqual(s.rul.hours);
    expect(s.failure.version).toBe('turbofan.failure-any-24h@v0001');
    expect(s.top_features.length).toBeGreaterThan(0);
    // A sensor another class would have is not one of this engine's.
    const foreign = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as,
      payload: { equipment: 'fd001-007', at: iso, readings: [{ ts: iso, coolant_temp: 20 }] },
    });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().field).toBe('body.readings.0.coolant_temp');

    // The fleet view: forecasts written by `pdm forecast` at that instant, ranked.
    const f = await pdm(['forecast', '--at', iso, '--json'], env);
    expect(f.code, f.stderr).toBe(0);
    expect(f.json.written as number).toBeGreaterThan(0);
    const fleet = await app.inject({ method: 'GET', url: '/v1/forecasts?horizon=24', headers: as });
    expect(fleet.statusCode, fleet.body).toBe(200);
    const ranked = fleet.json() as { forecasts: { equipment: string; equipment_class: string }[] };
    expect(ranked.forecasts.length).toBeGreaterThan(0);
    expect(ranked.forecasts.every((x) => x.equipment_class === 'turbofan')).toBe(true);

    // The equipment view: the class's sensors, each with its unit from the plant file.
    const h = await app.inject({
      method: 'GET',
      url: `/v1/equipment/fd001-007/health?at=${encodeURIComponent(iso)}&hours=48&step=3600`,
      headers: as,
    });
    expect(h.statusCode, h.body).toBe(200);
    const health = h.json();
    expect(health.sensors.map((x: { sensor: string }) => x.sensor)).toEqual(
      plant.classes.turbofan!.sensors.map((x) => x.name),
    );
    expect(health.units).toMatchObject({ t24: 'degR', p30: 'psia', nf: 'rpm' });
    expect(health.latest_score.status).toBe('ok');
  });
});
